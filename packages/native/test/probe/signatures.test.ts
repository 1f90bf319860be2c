/**
 * Signatures no installed tool can write here (no xorriso/genisoimage, mksquashfs or cryptsetup
 * on the build machines): minimal headers laid out from the public specifications, holding only
 * the fields the probes read. Everything a tool can make is tested on tool-made images in
 * test/layout/.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/block/slice.js';
import { readLayout } from '../../src/layout.js';
import { probeFilesystem } from '../../src/probe/index.js';

const enc = (s: string) => new TextEncoder().encode(s);

function iso(): Uint8Array {
  const b = new Uint8Array(64 * 1024);
  const pvd = 32768;
  b[pvd] = 1;
  b.set(enc('CD001'), pvd + 1);
  b.set(enc('MY_DISC'.padEnd(32, ' ')), pvd + 40);
  b.set(enc('2024010203040506'), pvd + 813);
  b.set(enc('2024070809101112'), pvd + 830);
  return b;
}

describe('signature probes without a tool to make them', () => {
  it('iso9660: label from the PVD, UUID from the modification time (blkid format); disk detected', async () => {
    expect(await probeFilesystem(new MemorySource(iso()))).toEqual({
      type: 'iso9660',
      uuid: '2024-07-08-09-10-11-12',
      label: 'MY_DISC',
    });
    const { layout } = await readLayout(new MemorySource(iso()), { format: 'raw' });
    expect(layout.disk.detected).toBe('iso9660');
    expect(layout.filesystems.map((f) => [f.id, f.type, f.readable])).toEqual([['disk', 'iso9660', false]]);
  });

  it('LUKS2: uuid and label from the binary header; disk detected as luks', async () => {
    const b = new Uint8Array(8192);
    b.set([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe, 0x00, 0x02]);
    b.set(enc('cryptroot'), 24);
    b.set(enc('0a1b2c3d-0000-4000-8000-00000000beef'), 168);
    expect(await probeFilesystem(new MemorySource(b))).toEqual({
      type: 'luks',
      uuid: '0a1b2c3d-0000-4000-8000-00000000beef',
      label: 'cryptroot',
      details: { version: 2 },
    });
    const { layout } = await readLayout(new MemorySource(b), { format: 'raw' });
    expect(layout.disk.detected).toBe('luks');
  });

  it('BitLocker: "-FVE-FS-" OEM name; disk detected as bitlocker, never read as FAT or an MBR', async () => {
    const b = new Uint8Array(8192);
    b.set([0xeb, 0x58, 0x90]);
    b.set(enc('-FVE-FS-'), 3);
    b[510] = 0x55;
    b[511] = 0xaa;
    const { layout } = await readLayout(new MemorySource(b), { format: 'raw' });
    expect(layout.disk.partitionTable).toBe('none');
    expect(layout.disk.detected).toBe('bitlocker');
    expect(layout.filesystems.map((f) => f.type)).toEqual(['bitlocker']);
  });

  it('squashfs: version from the superblock, no UUID', async () => {
    const b = new Uint8Array(4096);
    b.set(enc('hsqs'));
    b[28] = 4;
    expect(await probeFilesystem(new MemorySource(b))).toEqual({
      type: 'squashfs',
      details: { version: '4.0' },
    });
  });
});

describe('whole-disk detection', () => {
  it('an empty image', async () => {
    const { layout } = await readLayout(new MemorySource(new Uint8Array(0)), { format: 'raw' });
    expect(layout.disk).toMatchObject({ detected: 'empty', partitionTable: 'none', virtualSize: 0 });
  });

  it('an all-zero image', async () => {
    const { layout } = await readLayout(new MemorySource(new Uint8Array(8 * 1024 * 1024)), { format: 'raw' });
    expect(layout.disk).toMatchObject({ detected: 'zero', partitionTable: 'none' });
  });

  it('unknown bytes are neither zero nor anything else', async () => {
    const b = new Uint8Array(1024 * 1024).fill(0x41);
    const { layout } = await readLayout(new MemorySource(b), { format: 'raw' });
    expect(layout.disk.detected).toBeUndefined();
    expect(layout.filesystems).toEqual([]);
  });
});
