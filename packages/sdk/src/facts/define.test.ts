import { Type } from 'typebox';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { newAjv } from '../rules/schemas.js';
import { defineCollector, defineFact, type FactValue } from './define.js';
import type { CollectContext, FactResult } from './types.js';

const mountFact = defineFact({
  id: 'test.mounts',
  version: '1.0.0',
  description: 'mount points',
  schema: Type.Object({
    entries: Type.Array(Type.Object({ mountpoint: Type.String(), line: Type.Integer({ minimum: 1 }) })),
    source: Type.Union([Type.String(), Type.Null()]),
  }),
});

describe('defineFact', () => {
  it('publishes standard JSON Schema (draft 2020-12) that ajv validates with', () => {
    const json = JSON.parse(JSON.stringify(mountFact.schema)) as Record<string, unknown>;
    expect(json).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['entries', 'source'],
      properties: {
        entries: {
          type: 'array',
          items: {
            type: 'object',
            required: ['mountpoint', 'line'],
            properties: { mountpoint: { type: 'string' }, line: { type: 'integer', minimum: 1 } },
          },
        },
        source: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      },
    });
    // Validated as a published schema is: against the meta-schema, in strict mode.
    const validate = newAjv({ strict: true }).compile(json);
    expect(validate({ entries: [{ mountpoint: '/', line: 3 }], source: null })).toBe(true);
    expect(validate({ entries: [{ mountpoint: '/', line: 0 }], source: null })).toBe(false);
    expect(validate.errors?.[0]?.instancePath).toBe('/entries/0/line');
  });

  it("types ctx.fact(key) with the schema's value type", async () => {
    const value = { entries: [{ mountpoint: '/boot', line: 2 }], source: '/etc/fstab' };
    const ctx = {
      fact: async () => ({ status: 'ok', value, evidence: [] }),
    } as unknown as CollectContext;
    const r = await ctx.fact(mountFact);
    expectTypeOf(r).toEqualTypeOf<FactResult<FactValue<typeof mountFact>>>();
    expectTypeOf<FactValue<typeof mountFact>>().toEqualTypeOf<{
      entries: { mountpoint: string; line: number }[];
      source: string | null;
    }>();
    expect(r.status === 'ok' && r.value.entries[0]?.mountpoint).toBe('/boot');
  });

  it('ties a collector to its key', async () => {
    const c = defineCollector(mountFact, async () => ({
      status: 'ok',
      value: { entries: [], source: null },
      evidence: [],
    }));
    expect(c.fact).toBe('test.mounts');
    // @ts-expect-error: a value of another shape does not compile.
    defineCollector(mountFact, async () => ({ status: 'ok', value: { entries: 1 }, evidence: [] }));
  });
});
