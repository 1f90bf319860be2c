/**
 * The facts the plugin collects from real Debian 12 images (debian-images.sh: mmdebstrap and the
 * real filesystem, GRUB and LVM tools) have the shape their published schemas say: every value is
 * checked against the schema's JSON text with every error reported, apart from the engine's own
 * run-time check, which stops at the first.
 */
import { openNative } from '@imagecheck/access-native';
import { collectFacts, type FactResult } from '@imagecheck/sdk';
import { checkFactSchemas, collectedFactProblems } from '@imagecheck/sdk/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { plugin } from '../../src/index.js';
import {
  buildDebianImages,
  canBuildDebianImages,
  type DebianImageName,
  type DebianImages,
  FAULT_IMAGES,
  GOOD_IMAGES,
  imagePath,
} from './debian.js';

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

describe.skipIf(!canBuildDebianImages())('facts collected from real Debian 12 images', () => {
  let images: DebianImages;

  beforeAll(async () => {
    images = await buildDebianImages();
  });

  describe.each(GOOD_IMAGES)('%s (good)', (name: DebianImageName) => {
    it('collects every fact, each matching its schema', async () => {
      const facts = await factsOf(imagePath(images, name));
      const unavailable = Object.entries(facts)
        .filter(([, r]) => r.status !== 'ok')
        .map(([id, r]) => `${id}: ${r.status === 'ok' ? '' : `${r.code ?? ''} ${r.reason}`}`);
      expect(unavailable).toEqual([]);
      expect(Object.keys(facts).sort()).toEqual(plugin.facts.map((f) => f.id).sort());
      expect(shapeProblems(facts)).toEqual([]);
    });
  });

  describe.each(FAULT_IMAGES)('%s', (name: DebianImageName) => {
    it('collects facts matching their schemas (none refused by the engine for its shape)', async () => {
      const facts = await factsOf(imagePath(images, name));
      const refused = Object.entries(facts)
        .filter(([, r]) => r.status === 'unavailable' && r.code === 'engine/fact-schema')
        .map(([id, r]) => `${id}: ${r.status === 'ok' ? '' : r.reason}`);
      expect(refused).toEqual([]);
      expect(Object.values(facts).filter((r) => r.status === 'ok').length).toBeGreaterThan(0);
      expect(shapeProblems(facts)).toEqual([]);
    });
  });
});
