/**
 * LVM2 metadata: the config parser's bounds, and damaged PVs from the corpus (dissect.volume
 * lvm.bin, see test/fixtures/corpus/ATTRIBUTION.md) edited in memory with their CRCs fixed up.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { isImagecheckError } from '@imagecheck/access';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/block/slice.js';
import { readLayout } from '../../src/layout.js';
import { parseLvmConfig } from '../../src/volume/lvm/config.js';
import { corpusBytes } from '../helpers/corpus.js';

/** LVM's CRC (CRC-32 register, no final inversion, seed 0xf597a6cf), from zlib's. */
function lvmCrc(data: Uint8Array): number {
  return (zlibCrc32(data, (0xf597a6cf ^ 0xffffffff) >>> 0) ^ 0xffffffff) >>> 0;
}

const MDA = 4096;
const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function fixMdaCrc(disk: Uint8Array): void {
  dv(disk).setUint32(MDA, lvmCrc(disk.subarray(MDA + 4, MDA + 512)), true);
}

describe('LVM config parser', () => {
  it('parses sections, arrays, strings with escapes, numbers and comments', () => {
    const s = parseLvmConfig('vg { a = 1 # c\n b = "x\\"y" c = ["p", 2] d { e = -3 } }\n');
    const vg = s.get('vg') as Map<string, unknown>;
    expect(vg.get('a')).toBe(1);
    expect(vg.get('b')).toBe('x"y');
    expect(vg.get('c')).toEqual(['p', 2]);
    expect((vg.get('d') as Map<string, unknown>).get('e')).toBe(-3);
  });

  it.each([
    ['deep nesting', `${'a { '.repeat(100)}${'} '.repeat(100)}`],
    ['unterminated string', 'a = "abc'],
    ['missing brace', 'a { b = 1'],
    ['stray token', 'a = = 1'],
  ])('%s: typed error', (_name, text) => {
    let err: unknown;
    try {
      parseLvmConfig(text);
    } catch (e) {
      err = e;
    }
    expect(isImagecheckError(err) && err.code).toBe('lvm/bad-metadata');
  });
});

describe('damaged LVM PVs', () => {
  const good = () => corpusBytes('dissect.volume__lvm.bin.gz').slice();

  it('metadata size beyond the cap: warning, no volumes', async () => {
    const disk = good();
    dv(disk).setUint32(MDA + 48, 0x7fffffff, true);
    fixMdaCrc(disk);
    const { layout } = await readLayout(new MemorySource(disk), { format: 'raw' });
    expect(layout.volumes).toEqual([]);
    expect(layout.warnings.map((w) => w.code)).toEqual(['lvm/metadata-too-large']);
  });

  it('segment pointing past the PV: the LV is listed unreadable with the reason', async () => {
    const disk = good();
    const off = MDA + Number(dv(disk).getBigUint64(MDA + 40, true));
    const size = Number(dv(disk).getBigUint64(MDA + 48, true));
    const text = new TextDecoder().decode(disk.subarray(off, off + size));
    const at = text.indexOf('"pv0", 0');
    expect(at).toBeGreaterThan(0);
    disk.set(new TextEncoder().encode('"pv0", 9'), off + at);
    dv(disk).setUint32(MDA + 56, lvmCrc(disk.subarray(off, off + size)), true);
    fixMdaCrc(disk);
    const { layout } = await readLayout(new MemorySource(disk), { format: 'raw' });
    expect(layout.volumes.map((v) => [v.lv, v.readable])).toEqual([['lv_test', false]]);
    expect(layout.volumes[0]?.reason).toMatch(/past the end of PV pv0/);
    expect(layout.warnings.map((w) => w.code)).toEqual(['lvm/lv-unreadable']);
  });

  it('metadata text CRC mismatch: warning naming the checksum', async () => {
    const disk = good();
    const off = MDA + Number(dv(disk).getBigUint64(MDA + 40, true));
    disk[off + 2] = (disk[off + 2] ?? 0) ^ 1;
    const { layout } = await readLayout(new MemorySource(disk), { format: 'raw' });
    expect(layout.warnings.map((w) => w.code)).toEqual(['lvm/bad-metadata-crc']);
  });

  it('label CRC mismatch and truncation: typed warnings, never a crash', async () => {
    const flipped = good();
    flipped[512 + 40] = (flipped[512 + 40] ?? 0) ^ 1;
    const a = await readLayout(new MemorySource(flipped), { format: 'raw' });
    expect(a.layout.warnings.map((w) => w.code)).toEqual(['lvm/bad-label-crc']);
    const b = await readLayout(new MemorySource(good().subarray(0, 6000)), { format: 'raw' });
    expect(b.layout.warnings.map((w) => w.code)).toEqual(['lvm/bad-mda']);
  });

  it('LV bytes: the first 1024 bytes are 0xdeadbeef repeated (pvck facts)', async () => {
    const { sources, layout } = await readLayout(new MemorySource(good()), { format: 'raw' });
    expect(layout.volumes[0]?.readable).toBe(true);
    // No filesystem on it, so it has no source in the layout; map it through the scan instead.
    expect(sources.size).toBe(0);
    const { scanLvm, readPvLabel } = await import('../../src/volume/lvm/index.js');
    const disk = new MemorySource(good());
    const label = await readPvLabel(disk);
    const scan = await scanLvm([{ location: 0, source: disk, label: label as NonNullable<typeof label> }]);
    const bytes = await scan.lvs[0]?.source?.read(0, 1024);
    expect(Buffer.from(bytes ?? []).toString('hex')).toBe('deadbeef'.repeat(256));
  });
});
