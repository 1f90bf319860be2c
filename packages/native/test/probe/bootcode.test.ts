/**
 * Boot code identification on disks whose sector 0 holds real boot code: GRUB 2's boot.img and a
 * core image made by grub-mkimage (grub-pc-bin), syslinux's mbr.bin and gptmbr.bin
 * (syslinux-common). grub-bios-setup refuses to run without resolving the host's root device, so
 * the fixture does what it does: boot.img's code (bytes 0-439, keeping the partition table) into
 * sector 0, the core image's first sector LBA into boot.img's kernel-sector field (0x5C), and the
 * core image into the BIOS boot partition (GPT) or the gap after the MBR.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools, run } from '@imagecheck/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSource } from '../../src/block/file-source.js';
import { MemorySource } from '../../src/block/slice.js';
import { readLayout } from '../../src/layout.js';
import {
  GRUB_KERNEL_SECTOR_OFFSET,
  identifyBootCode,
  isGrubCoreSector,
  MBR_CODE_BYTES,
} from '../../src/probe/bootcode.js';

const GRUB_DIR = '/usr/lib/grub/i386-pc';
const SYSLINUX_DIR = '/usr/lib/syslinux/mbr';
const haveGrub = requireTools('grub-mkimage', 'sgdisk', 'sfdisk', 'truncate', `${GRUB_DIR}/boot.img`);
const haveSyslinux = requireTools(
  'sgdisk',
  'sfdisk',
  'truncate',
  `${SYSLINUX_DIR}/mbr.bin`,
  `${SYSLINUX_DIR}/gptmbr.bin`,
);

const work = mkdtempSync(join(tmpdir(), 'imagecheck-bootcode-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function writeAt(path: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

async function blankDisk(name: string, table: 'gpt-bios' | 'gpt' | 'mbr'): Promise<string> {
  const p = join(work, name);
  await run('truncate', ['-s', '16M', p]);
  if (table === 'mbr')
    await run('sfdisk', ['-q', p], { input: 'label: dos\nstart=2048, type=83, bootable\n' });
  else if (table === 'gpt-bios')
    await run('sgdisk', ['-n', '1:2048:+1M', '-t', '1:EF02', '-n', '2:0:0', '-t', '2:8300', p]);
  else await run('sgdisk', ['-n', '1:2048:0', '-t', '1:8300', p]);
  return p;
}

/** boot.img's code with the kernel sector set, as grub-bios-setup writes it. */
function bootImg(kernelSector: number): Uint8Array {
  const img = new Uint8Array(readFileSync(`${GRUB_DIR}/boot.img`)).slice(0, MBR_CODE_BYTES);
  new DataView(img.buffer).setBigUint64(GRUB_KERNEL_SECTOR_OFFSET, BigInt(kernelSector), true);
  return img;
}

async function coreImg(prefix: string, label: string): Promise<Uint8Array> {
  const out = join(work, `core-${label}.img`);
  await run('grub-mkimage', [
    '-O',
    'i386-pc',
    '-o',
    out,
    '-p',
    prefix,
    'biosdisk',
    label === 'gpt' ? 'part_gpt' : 'part_msdos',
    'ext2',
  ]);
  return new Uint8Array(readFileSync(out));
}

async function layoutOf(path: string) {
  const src = await FileSource.open(path);
  try {
    return (await readLayout(src, { format: 'raw' })).layout;
  } finally {
    await src.close();
  }
}

describe.skipIf(!haveGrub)('GRUB 2 boot.img and core.img (grub-pc-bin)', () => {
  it('GPT: boot.img in the MBR, core.img in the BIOS boot partition', async () => {
    const disk = await blankDisk('gpt-grub.img', 'gpt-bios');
    writeAt(disk, 0, bootImg(2048));
    writeAt(disk, 2048 * 512, await coreImg('(hd0,gpt2)/boot/grub', 'gpt'));
    const layout = await layoutOf(disk);
    expect(layout.disk.partitionTable).toBe('gpt');
    expect(layout.disk.boot.mbrBootCode).toEqual({
      known: true,
      kind: 'grub2',
      coreSector: 2048,
      embeddedCore: 'grub2',
    });
    expect(layout.disk.boot.biosBootPartition).toEqual({ partition: 1, core: 'grub2' });
  });

  it('GPT: boot.img but an empty BIOS boot partition (grub-install never finished)', async () => {
    const disk = await blankDisk('gpt-nocore.img', 'gpt-bios');
    writeAt(disk, 0, bootImg(2048));
    const layout = await layoutOf(disk);
    expect(layout.disk.boot.mbrBootCode).toEqual({
      known: true,
      kind: 'grub2',
      coreSector: 2048,
      embeddedCore: 'missing',
    });
    expect(layout.disk.boot.biosBootPartition).toEqual({ partition: 1, core: 'empty' });
  });

  it('MBR: core.img embedded in the gap after the MBR', async () => {
    const disk = await blankDisk('mbr-grub.img', 'mbr');
    writeAt(disk, 0, bootImg(1));
    writeAt(disk, 512, await coreImg('(hd0,msdos1)/boot/grub', 'msdos'));
    const layout = await layoutOf(disk);
    expect(layout.disk.partitionTable).toBe('mbr');
    expect(layout.disk.boot.mbrBootCode).toEqual({
      known: true,
      kind: 'grub2',
      coreSector: 1,
      embeddedCore: 'grub2',
    });
    expect(layout.disk.boot.biosBootPartition).toBeUndefined();
  });

  it('a kernel sector pointing past the end of the disk, or at LBA 0: missing, no throw', async () => {
    const disk = await blankDisk('mbr-bad.img', 'mbr');
    writeAt(disk, 0, bootImg(2 ** 40));
    expect((await layoutOf(disk)).disk.boot.mbrBootCode).toMatchObject({
      known: true,
      kind: 'grub2',
      embeddedCore: 'missing',
    });
    writeAt(disk, 0, bootImg(0));
    expect((await layoutOf(disk)).disk.boot.mbrBootCode).toMatchObject({
      known: true,
      kind: 'grub2',
      embeddedCore: 'missing',
    });
  });

  it('GRUB legacy is told apart by its jump (EB 48), and the core image by diskboot', () => {
    const img = bootImg(1);
    const legacy = new Uint8Array(img);
    legacy[1] = 0x48;
    expect(identifyBootCode(img)).toBe('grub2');
    expect(identifyBootCode(legacy)).toBe('grub-legacy');
    expect(isGrubCoreSector(new Uint8Array(readFileSync(`${GRUB_DIR}/diskboot.img`)))).toBe(true);
    expect(isGrubCoreSector(img)).toBe(false);
  });

  it('truncated and flipped sectors: unknown, never a throw', () => {
    const img = bootImg(1);
    expect(identifyBootCode(img.subarray(0, 100))).toBe('unknown');
    const flipped = img.map((b, i) => (i >= 0x180 && i < 0x1a0 ? b ^ 0xff : b));
    expect(identifyBootCode(flipped)).toBe('unknown');
  });
});

describe.skipIf(!haveSyslinux)('syslinux MBR code (syslinux-common)', () => {
  it('mbr.bin on an MBR disk, gptmbr.bin on a GPT disk', async () => {
    const mbr = await blankDisk('mbr-syslinux.img', 'mbr');
    writeAt(mbr, 0, new Uint8Array(readFileSync(`${SYSLINUX_DIR}/mbr.bin`)).slice(0, MBR_CODE_BYTES));
    expect((await layoutOf(mbr)).disk.boot.mbrBootCode).toEqual({ known: true, kind: 'syslinux' });
    const gpt = await blankDisk('gpt-syslinux.img', 'gpt');
    writeAt(gpt, 0, new Uint8Array(readFileSync(`${SYSLINUX_DIR}/gptmbr.bin`)).slice(0, MBR_CODE_BYTES));
    expect((await layoutOf(gpt)).disk.boot.mbrBootCode).toEqual({ known: true, kind: 'syslinux' });
  });
});

describe('no boot code', () => {
  it.skipIf(!requireTools('sfdisk'))('a partitioned disk whose MBR code is zero: empty', async () => {
    const disk = await blankDisk('mbr-empty.img', 'mbr');
    expect((await layoutOf(disk)).disk.boot.mbrBootCode).toEqual({ known: true, kind: 'empty' });
  });

  it('a bare filesystem or an unpartitioned disk: the boot code is not known, and says why', async () => {
    const { layout } = await readLayout(new MemorySource(new Uint8Array(1 << 20)), { format: 'raw' });
    expect(layout.disk.boot.mbrBootCode).toEqual({
      known: false,
      reason: 'the disk has no partition table, so no MBR boot code',
    });
  });
});
