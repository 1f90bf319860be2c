import { stat } from 'node:fs/promises';
import {
  BIG_DATA_RANGES,
  buildContainerFixtures,
  type ContainerFixture,
  fixtureNames,
  requireTools,
  TOOLS,
} from '@imagecheck/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import { openContainer } from '../../src/index.js';
import { compareRanges, hashFile, hashSource, randomRanges } from './compare.js';

/*
 * Every container variant qemu-img writes, read through our reader and compared byte for byte
 * with `qemu-img convert -O raw` of the same image: the sha256 of the whole virtual disk, plus
 * ~50 ranges that start near cluster/grain/block boundaries and cross them.
 */
describe.skipIf(!requireTools(...TOOLS))('containers read exactly what qemu-img reads', () => {
  let fixtures: Map<string, ContainerFixture>;
  beforeAll(async () => {
    const built = await buildContainerFixtures();
    fixtures = new Map(built.fixtures.map((f) => [f.name, f]));
  });

  it.each(fixtureNames())('%s', async (name) => {
    const f = fixtures.get(name);
    if (f === undefined) throw new Error(`fixture ${name} missing`);
    const c = await openContainer(f.image);
    try {
      expect(c.format).toBe(f.format);
      const refSize = (await stat(f.reference)).size;
      expect(c.source.size).toBe(refSize);
      if (!f.big) expect(await hashSource(c.source)).toBe(await hashFile(f.reference));
      else await compareRanges(c.source, f.reference, BIG_DATA_RANGES);
      await compareRanges(c.source, f.reference, randomRanges(c.source.size, 50, name.length * 7919));
      const s = c.stats();
      expect(s.reads).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
  });
});
