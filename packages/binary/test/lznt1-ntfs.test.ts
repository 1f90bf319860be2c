import { open } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { decompressLznt1 } from '../src/index.js';
import { CLUSTER, NTFS_TOOLS, type NtfsFixture, ntfsFixture, UNIT_CLUSTERS } from './fixtures/ntfs.js';
import { hasTools } from './fixtures/tools.js';

/**
 * LZNT1 against ntfs-3g: every compression unit ntfs-3g wrote for the files of a compressed
 * directory is read from the image at the clusters `ntfsinfo` lists, decoded, and compared with
 * what `ntfscat` reads from the same file.
 */

const UNIT = CLUSTER * UNIT_CLUSTERS;
const root = typeof process.getuid === 'function' && process.getuid() === 0;

describe.skipIf(!(root && hasTools(...NTFS_TOOLS)))('LZNT1 compression units written by ntfs-3g', () => {
  let fixture: NtfsFixture;
  beforeAll(async () => {
    fixture = await ntfsFixture();
  }, 300_000);

  it('has the files as ntfs-3g stored them: only the tiny one resident', () => {
    const resident = fixture.files.filter((f) => f.runs.length === 0).map((f) => f.name);
    expect(resident).toEqual(['tiny.txt']);
    for (const f of fixture.files) expect(f.contents.length, f.name).toBe(f.dataSize);
  });

  it('decodes every compressed unit to the bytes ntfscat reads', async () => {
    const image = await open(fixture.image, 'r');
    const counts = { compressed: 0, stored: 0, sparse: 0 };
    try {
      for (const file of fixture.files) {
        if (file.runs.length === 0) continue;
        // The LCN of each VCN (-1 for a hole), from the runlist.
        const lcns: number[] = [];
        for (const run of file.runs) {
          for (let i = 0; i < run.length; i++) lcns[run.vcn + i] = run.lcn < 0 ? -1 : run.lcn + i;
        }
        const whole = new Uint8Array(file.dataSize);
        for (let u = 0; u * UNIT < file.dataSize; u++) {
          const unit = lcns.slice(u * UNIT_CLUSTERS, (u + 1) * UNIT_CLUSTERS);
          const allocated = unit.filter((l) => l >= 0);
          // Allocated clusters come first in a unit, then the hole.
          expect(unit.slice(0, allocated.length)).toEqual(allocated);
          const expected = file.contents.subarray(u * UNIT, Math.min((u + 1) * UNIT, file.dataSize));
          let out = new Uint8Array(UNIT);
          if (allocated.length === 0) counts.sparse++;
          else {
            const stored = new Uint8Array(allocated.length * CLUSTER);
            for (let i = 0; i < allocated.length; i++) {
              await image.read(stored, i * CLUSTER, CLUSTER, (allocated[i] ?? 0) * CLUSTER);
            }
            if (allocated.length === UNIT_CLUSTERS) {
              counts.stored++;
              out = stored;
            } else {
              counts.compressed++;
              const decoded = decompressLznt1(stored, UNIT);
              // NTFS pads a unit that decodes short with zeros.
              out.set(decoded);
            }
          }
          expect(Buffer.compare(out.subarray(0, expected.length), expected), `${file.name} unit ${u}`).toBe(
            0,
          );
          whole.set(out.subarray(0, expected.length), u * UNIT);
        }
        expect(Buffer.compare(whole, file.contents), file.name).toBe(0);
      }
    } finally {
      await image.close();
    }
    expect(counts.compressed).toBeGreaterThan(20);
    // random.bin does not compress: ntfs-3g stores its units as they are.
    expect(counts.stored).toBeGreaterThan(0);
  });
});
