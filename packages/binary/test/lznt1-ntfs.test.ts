import { readFile } from 'node:fs/promises';
import { requireTools } from '@imagecheck/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import { decompressLznt1 } from '../src/index.js';
import {
  CLUSTER,
  compressionUnits,
  NTFS_TOOLS,
  type NtfsFile,
  type NtfsFixture,
  ntfsFixture,
  UNIT_CLUSTERS,
} from './fixtures/ntfs.js';
import { WINDOWS_NTFS_TOOLS, type WindowsNtfsFixture, windowsNtfsFixture } from './fixtures/windows-ntfs.js';

/**
 * LZNT1 against ntfs-3g and Windows: every compression unit of a compressed file is read from the
 * image at the clusters `ntfsinfo` lists, decoded, and compared with what `ntfscat` (and, for the
 * Windows volume, The Sleuth Kit's `icat`) reads from the same file.
 */

const UNIT = CLUSTER * UNIT_CLUSTERS;
const root = typeof process.getuid === 'function' && process.getuid() === 0;

/** Decodes a file unit by unit, checking each against the reference contents; returns the counts of each kind. */
function decodeFile(file: NtfsFile, image: Uint8Array): Record<'compressed' | 'stored' | 'sparse', number> {
  const counts = { compressed: 0, stored: 0, sparse: 0 };
  const whole = new Uint8Array(file.dataSize);
  for (const unit of compressionUnits(file, image)) {
    counts[unit.kind]++;
    const out = new Uint8Array(UNIT);
    if (unit.kind === 'stored') out.set(unit.data);
    // NTFS pads a unit that decodes short with zeros.
    else if (unit.kind === 'compressed') out.set(decompressLznt1(unit.data, UNIT));
    const from = unit.index * UNIT;
    const expected = file.contents.subarray(from, Math.min(from + UNIT, file.dataSize));
    expect(
      Buffer.compare(out.subarray(0, expected.length), expected),
      `${file.name} unit ${unit.index}`,
    ).toBe(0);
    whole.set(out.subarray(0, expected.length), from);
  }
  expect(Buffer.compare(whole, file.contents), file.name).toBe(0);
  return counts;
}

describe.skipIf(!(root && requireTools(...NTFS_TOOLS)))('LZNT1 compression units written by ntfs-3g', () => {
  let fixture: NtfsFixture;
  let image: Uint8Array;
  beforeAll(async () => {
    fixture = await ntfsFixture();
    image = new Uint8Array(await readFile(fixture.image));
  }, 300_000);

  it('has the files as ntfs-3g stored them: only the tiny one resident', () => {
    const resident = fixture.files.filter((f) => f.runs.length === 0).map((f) => f.name);
    expect(resident).toEqual(['tiny.txt']);
    for (const f of fixture.files) expect(f.contents.length, f.name).toBe(f.dataSize);
  });

  it('decodes every compressed unit to the bytes ntfscat reads', () => {
    const total = { compressed: 0, stored: 0, sparse: 0 };
    for (const file of fixture.files) {
      if (file.runs.length === 0) continue;
      const counts = decodeFile(file, image);
      for (const k of ['compressed', 'stored', 'sparse'] as const) total[k] += counts[k];
    }
    expect(total.compressed).toBeGreaterThan(20);
    // random.bin does not compress: ntfs-3g stores its units as they are.
    expect(total.stored).toBeGreaterThan(0);
  });
});

describe.skipIf(!requireTools(...WINDOWS_NTFS_TOOLS))(
  'LZNT1 written by Windows (corpus: dissect.ntfs ntfs.bin, /Large.txt)',
  () => {
    let fixture: WindowsNtfsFixture;
    beforeAll(async () => {
      fixture = await windowsNtfsFixture();
    }, 300_000);

    it('ntfscat and icat agree on the contents', () => {
      expect(fixture.file.dataSize).toBe(2_097_152);
      expect(Buffer.compare(fixture.icat, fixture.file.contents)).toBe(0);
    });

    it('decodes every one of its 32 compressed units to those contents', () => {
      expect(decodeFile(fixture.file, fixture.image)).toEqual({ compressed: 32, stored: 0, sparse: 0 });
    });
  },
);
