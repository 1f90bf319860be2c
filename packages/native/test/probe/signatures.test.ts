/**
 * ISO9660, LUKS1/2 and squashfs images made by the real tools (xorriso, cryptsetup, mksquashfs),
 * compared with blkid on the same bytes. BitLocker has no Linux tool that writes it, so its test
 * lays out the one field the probe reads (the "-FVE-FS-" OEM name of the volume boot record,
 * per Microsoft's BitLocker volume format) and says so.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blkidAt, requireTools, run } from '@imagecheck/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySource } from '../../src/block/slice.js';
import { readLayout } from '../../src/layout.js';
import { probeFilesystem } from '../../src/probe/index.js';

const enc = (s: string) => new TextEncoder().encode(s);

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'imagecheck-probe-'));
  await writeFile(join(tmp, 'hello.txt'), 'hello\n');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Probes a whole image file, checks it against blkid, and returns the layout read from it. */
async function probeLikeBlkid(image: string) {
  const bytes = new Uint8Array(await readFile(image));
  const ours = await probeFilesystem(new MemorySource(bytes));
  const blkid = await blkidAt(image, 0, bytes.length);
  expect(ours?.type).toBe(blkid.TYPE === 'crypto_LUKS' ? 'luks' : blkid.TYPE);
  expect(ours?.uuid).toBe(blkid.UUID);
  expect(ours?.label).toBe(blkid.LABEL);
  return { ours, layout: (await readLayout(new MemorySource(bytes), { format: 'raw' })).layout };
}

describe.skipIf(!requireTools('xorriso', 'blkid'))('iso9660 made by xorriso', () => {
  it('label and UUID as blkid prints them; the disk is detected as iso9660, not a system disk', async () => {
    const image = join(tmp, 'disc.iso');
    await run('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'MY_DISC', '-o', image, join(tmp, 'hello.txt')]);
    const { ours, layout } = await probeLikeBlkid(image);
    expect(ours?.label).toBe('MY_DISC');
    expect(layout.disk.detected).toBe('iso9660');
    expect(layout.filesystems.map((f) => [f.id, f.type, f.readable])).toEqual([['disk', 'iso9660', false]]);
  });
});

describe.skipIf(!requireTools('cryptsetup', 'blkid'))('LUKS made by cryptsetup', () => {
  for (const version of ['luks1', 'luks2'] as const) {
    it(`${version}: UUID (and the LUKS2 label) from the header; the disk is detected as luks`, async () => {
      const image = join(tmp, `${version}.img`);
      const key = join(tmp, 'key');
      await writeFile(key, 'not a secret');
      await writeFile(image, new Uint8Array(16 * 1024 * 1024));
      // PBKDF2 with the smallest cost: the test needs a header, not a strong key.
      await run('cryptsetup', [
        'luksFormat',
        '-q',
        '--type',
        version,
        '--pbkdf',
        'pbkdf2',
        '--pbkdf-force-iterations',
        '1000',
        ...(version === 'luks2' ? ['--label', 'cryptroot'] : []),
        '--key-file',
        key,
        image,
      ]);
      const { ours, layout } = await probeLikeBlkid(image);
      expect(ours?.details).toMatchObject({ version: version === 'luks1' ? 1 : 2 });
      expect(layout.disk.detected).toBe('luks');
    });
  }
});

describe.skipIf(!requireTools('mksquashfs', 'blkid'))('squashfs made by mksquashfs', () => {
  it('version from the superblock, no UUID, as blkid', async () => {
    const image = join(tmp, 'fs.squashfs');
    await run('mksquashfs', [tmp, image, '-quiet', '-noappend', '-no-progress']);
    const { ours } = await probeLikeBlkid(image);
    expect(ours).toMatchObject({ type: 'squashfs', details: { version: '4.0' } });
  });
});

describe('BitLocker (no Linux tool writes it)', () => {
  it('"-FVE-FS-" OEM name; disk detected as bitlocker, never read as FAT or an MBR', async () => {
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
