import { Type } from 'typebox';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { newAjv } from '../rules/schemas.js';
import { defineCollector, defineFact, type FactValue, Nullable } from './define.js';
import type { CollectContext, FactResult } from './types.js';

const mountFact = defineFact({
  id: 'test.mounts',
  version: '1.0.0',
  description: 'mount points',
  schema: Type.Object({
    entries: Type.Array(Type.Object({ mountpoint: Type.String(), line: Type.Integer({ minimum: 1 }) })),
    source: Nullable(Type.String()),
    mode: Nullable(Type.Enum(['UTC', 'LOCAL'])),
    found: Nullable(Type.Object({ path: Type.String() })),
    either: Type.Union([Type.String(), Type.Integer()]),
  }),
});

describe('defineFact', () => {
  it('publishes standard JSON Schema (draft 2020-12) that ajv validates with', () => {
    const json = JSON.parse(JSON.stringify(mountFact.schema)) as Record<string, unknown>;
    expect(json).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['entries', 'source', 'mode', 'found', 'either'],
      properties: {
        entries: {
          type: 'array',
          items: {
            type: 'object',
            required: ['mountpoint', 'line'],
            properties: { mountpoint: { type: 'string' }, line: { type: 'integer', minimum: 1 } },
          },
        },
        source: { type: ['string', 'null'] },
        mode: { enum: ['UTC', 'LOCAL', null] },
        found: { type: ['object', 'null'], required: ['path'], properties: { path: { type: 'string' } } },
        either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      },
    });
    // Validated as a published schema is: against the meta-schema, in strict mode.
    const validate = newAjv({ strict: true }).compile(json);
    const ok = { entries: [{ mountpoint: '/', line: 3 }], source: null, mode: null, found: null, either: 1 };
    expect(validate(ok)).toBe(true);
    expect(validate({ ...ok, mode: 'LOCAL', found: { path: '/etc/adjtime' }, either: 'x' })).toBe(true);
    expect(validate({ ...ok, entries: [{ mountpoint: '/', line: 0 }] })).toBe(false);
    expect(validate.errors?.[0]?.instancePath).toBe('/entries/0/line');
    // Null joins a single type or an enum, and nothing else: an object must still have its fields.
    expect(validate({ ...ok, mode: 'utc' })).toBe(false);
    expect(validate({ ...ok, found: {} })).toBe(false);
    expect(validate.errors?.[0]?.instancePath).toBe('/found');
  });

  it("types ctx.fact(key) with the schema's value type", async () => {
    const value = {
      entries: [{ mountpoint: '/boot', line: 2 }],
      source: '/etc/fstab',
      mode: 'UTC',
      found: null,
      either: 'x',
    };
    const ctx = {
      fact: async () => ({ status: 'ok', value, evidence: [] }),
    } as unknown as CollectContext;
    const r = await ctx.fact(mountFact);
    expectTypeOf(r).toEqualTypeOf<FactResult<FactValue<typeof mountFact>>>();
    expectTypeOf<FactValue<typeof mountFact>>().toEqualTypeOf<{
      entries: { mountpoint: string; line: number }[];
      source: string | null;
      mode: 'UTC' | 'LOCAL' | null;
      found: { path: string } | null;
      either: string | number;
    }>();
    expect(r.status === 'ok' && r.value.entries[0]?.mountpoint).toBe('/boot');
  });

  it('ties a collector to its key', async () => {
    const c = defineCollector(mountFact, async () => ({
      status: 'ok',
      value: { entries: [], source: null, mode: null, found: null, either: 0 },
      evidence: [],
    }));
    expect(c.fact).toBe('test.mounts');
    // @ts-expect-error: a value of another shape does not compile.
    defineCollector(mountFact, async () => ({ status: 'ok', value: { entries: 1 }, evidence: [] }));
  });
});
