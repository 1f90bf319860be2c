/**
 * Damaged and hostile partition tables: each ends in a typed error or a warning, quickly.
 * The inputs are real tables from the corpus (see layout/corpus.test.ts), damaged in memory.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { isImagecheckError } from '@imagecheck/access';
import { requireTools } from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/block/slice.js';
import { readLayout } from '../../src/layout.js';
import { readPartitionTable } from '../../src/partition/index.js';
import { corpusBytes } from '../helpers/corpus.js';

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Recomputes a GPT header's CRC after an edit (the header is 92 bytes here). */
function fixHeaderCrc(disk: Uint8Array, at: number): void {
  const v = dv(disk);
  v.setUint32(at + 16, 0, true);
  v.setUint32(at + 16, zlibCrc32(disk.subarray(at, at + 92)) >>> 0, true);
}

function lastLbaOffset(disk: Uint8Array): number {
  return disk.length - 512;
}

describe.skipIf(!requireTools('xz'))('hostile partition tables', () => {
  it('cyclic EBR chain: stops with mbr/ebr-loop and keeps the logical partitions found', async () => {
    const disk = corpusBytes('dfir_ntfs__mbr-512-p1e2.bin.gz').slice();
    // The extended partition starts at LBA 1; follow its link to the second EBR and point that one back to the first.
    const ext = 1;
    const next = ext + dv(disk).getUint32(ext * 512 + 446 + 16 + 8, true);
    const link = next * 512 + 446 + 16;
    disk[link + 4] = 0x05;
    dv(disk).setUint32(link + 8, 0, true);
    dv(disk).setUint32(link + 12, 1024, true);
    const t = await readPartitionTable(new MemorySource(disk));
    expect(t.partitions.map((p) => p.number)).toEqual([1, 2, 5, 6]);
    expect(t.warnings.map((w) => w.code)).toEqual(['mbr/ebr-loop']);
  });

  it('GPT with a huge entry count in both headers: typed error naming the cap', async () => {
    const disk = corpusBytes('dfir_ntfs__gpt-512-3p.raw.gz').slice();
    for (const at of [512, lastLbaOffset(disk)]) {
      dv(disk).setUint32(at + 80, 0x7fffffff, true);
      fixHeaderCrc(disk, at);
    }
    const err = await readPartitionTable(new MemorySource(disk)).catch((e: unknown) => e);
    expect(isImagecheckError(err) && err.code).toBe('gpt/no-valid-header');
    expect(isImagecheckError(err) && err.data.primary).toBe('gpt/entry-array-too-large');
    // The layout survives it with a warning.
    const { layout } = await readLayout(new MemorySource(disk), { format: 'raw' });
    expect(layout.disk.partitionTable).toBe('none');
    expect(layout.warnings.map((w) => w.code)).toEqual(['gpt/no-valid-header']);
  });

  it('GPT with a huge entry size: typed error', async () => {
    const disk = corpusBytes('dfir_ntfs__gpt-512-3p.raw.gz').slice();
    for (const at of [512, lastLbaOffset(disk)]) {
      dv(disk).setUint32(at + 84, 0x10000000, true);
      fixHeaderCrc(disk, at);
    }
    const err = await readPartitionTable(new MemorySource(disk)).catch((e: unknown) => e);
    expect(isImagecheckError(err) && err.data.primary).toBe('gpt/bad-entry-size');
  });

  it('damaged primary GPT header (one flipped byte): the backup header is used and a warning says so', async () => {
    const good = corpusBytes('dfir_ntfs__gpt-512-3p.raw.gz');
    const want = await readPartitionTable(new MemorySource(good));
    const disk = good.slice();
    disk[512 + 60] = (disk[512 + 60] ?? 0) ^ 0xff; // inside the disk GUID: the header CRC no longer matches
    const t = await readPartitionTable(new MemorySource(disk));
    expect(t.partitions).toEqual(want.partitions);
    expect(t.diskId).toBe(want.diskId);
    expect(t.details.gptHeader).toBe('backup');
    expect(t.warnings.map((w) => [w.code, w.data?.reason])).toEqual([
      ['gpt/primary-damaged', 'gpt/bad-header-crc'],
    ]);
  });

  it('damaged primary entry array: the backup is used', async () => {
    const disk = corpusBytes('dfir_ntfs__gpt-512-3p.raw.gz').slice();
    disk[1024 + 60] = (disk[1024 + 60] ?? 0) ^ 0x55; // a name character of entry 1
    const t = await readPartitionTable(new MemorySource(disk));
    expect(t.warnings.map((w) => w.data?.reason)).toEqual(['gpt/bad-entries-crc']);
    expect(t.partitions[0]?.label).toBe('Linux filesystem');
  });

  it('truncated GPT disk (backup gone): primary still read, partitions past the end warned about', async () => {
    const disk = corpusBytes('dfir_ntfs__gpt-512-3p.raw.gz').subarray(0, 64 * 1024);
    const { layout } = await readLayout(new MemorySource(disk), { format: 'raw' });
    expect(layout.disk.partitions).toHaveLength(3);
    expect(layout.warnings.map((w) => w.code)).toEqual(['partition/past-end', 'partition/past-end']);
  });

  it('truncated inside the EBR chain: warning, primaries kept', async () => {
    const disk = corpusBytes('dfvfs__mbr.raw').subarray(0, 351 * 512);
    const t = await readPartitionTable(new MemorySource(disk));
    expect(t.partitions.map((p) => p.number)).toEqual([1, 2]);
    expect(t.warnings.map((w) => w.code)).toContain('mbr/ebr-past-end');
  });

  it('random byte flips in the GPT area: a result or a typed error, never anything else', async () => {
    const good = corpusBytes('dfir_ntfs__gpt-512-3p.raw.gz');
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 300; i++) {
      const disk = good.slice();
      for (let k = 0; k < 4; k++) disk[rnd() % (34 * 512)] = rnd() & 0xff;
      try {
        await readLayout(new MemorySource(disk), { format: 'raw' });
      } catch (e) {
        expect(isImagecheckError(e), String(e)).toBe(true);
      }
    }
  });
});
