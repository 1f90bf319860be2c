/**
 * The facts the plugin collects from the real Windows-shaped images (the test kit's builder: real
 * NTFS and FAT made by mkntfs and mkfs.fat, real hives and BCD stores from the corpus edited by
 * hivex, real PE files) have the shape their published schemas say: every value is checked against
 * the schema's JSON text with every error reported, apart from the engine's own run-time check,
 * which stops at the first.
 */
import { openNative } from '@imagecheck/access-native';
import { collectFacts, type FactResult } from '@imagecheck/sdk';
import { checkFactSchemas, collectedFactProblems } from '@imagecheck/sdk/testing';
import { buildWindowsImage, toolsReady, WINDOWS_IMAGES } from '@imagecheck/test-kit/windows';
import { describe, expect, it } from 'vitest';
import { plugin } from '../src/index.js';

type ImageName = keyof typeof WINDOWS_IMAGES;

describe('the published fact schemas', () => {
  it('are valid JSON Schema 2020-12 that ajv compiles in strict mode', () => {
    expect(() => checkFactSchemas(plugin.facts)).not.toThrow();
  });

  it('define every fact a collector computes, once', () => {
    const ids = plugin.facts.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(plugin.collectors.map((c) => c.fact).sort()).toEqual([...ids].sort());
  });
});

async function factsOf(path: string): Promise<Record<string, FactResult>> {
  const access = await openNative(path);
  try {
    return (await collectFacts({ access, plugins: [plugin], ids: plugin.facts.map((f) => f.id) })).facts;
  } finally {
    await access.close();
  }
}

const shapeProblems = (facts: Record<string, FactResult>): string[] =>
  collectedFactProblems(plugin.facts, facts);

const names = Object.keys(WINDOWS_IMAGES) as ImageName[];
const good = names.filter((n) => n.startsWith('good-'));
const faulty = names.filter((n) => !n.startsWith('good-'));

// Each image is built once (and cached across runs); the first build of all of them takes minutes.
const IMAGE_TIMEOUT = 15 * 60_000;

describe.skipIf(!toolsReady())('facts collected from the Windows-shaped images', () => {
  describe.each(good)('%s (good)', (name) => {
    it(
      'collects every fact, each matching its schema',
      async () => {
        const img = await buildWindowsImage(WINDOWS_IMAGES[name]);
        const facts = await factsOf(img.path);
        const unavailable = Object.entries(facts)
          .filter(([, r]) => r.status !== 'ok')
          .map(([id, r]) => `${id}: ${r.status === 'ok' ? '' : `${r.code ?? ''} ${r.reason}`}`);
        expect(unavailable).toEqual([]);
        expect(Object.keys(facts).sort()).toEqual(plugin.facts.map((f) => f.id).sort());
        expect(shapeProblems(facts)).toEqual([]);
      },
      IMAGE_TIMEOUT,
    );
  });

  describe.each(faulty)('%s', (name) => {
    it(
      'collects facts matching their schemas (none refused by the engine for its shape)',
      async () => {
        const img = await buildWindowsImage(WINDOWS_IMAGES[name]);
        const facts = await factsOf(img.path);
        const refused = Object.entries(facts)
          .filter(([, r]) => r.status === 'unavailable' && r.code === 'engine/fact-schema')
          .map(([id, r]) => `${id}: ${r.status === 'ok' ? '' : r.reason}`);
        expect(refused).toEqual([]);
        expect(Object.values(facts).filter((r) => r.status === 'ok').length).toBeGreaterThan(0);
        expect(shapeProblems(facts)).toEqual([]);
      },
      IMAGE_TIMEOUT,
    );
  });
});
