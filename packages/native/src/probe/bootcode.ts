import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../block/types.js';
import type { PartitionTable } from '../partition/types.js';

/**
 * Identifies the boot code in sector 0 (the MBR's first 440 bytes, before the disk signature at
 * 0x1B8) and, for GRUB 2, whether the core image it chains to is where boot.img says.
 *
 * Signatures:
 * - GRUB 2 `boot.img` (grub-core/boot/i386/pc/boot.S): starts with `EB 63 90` (GRUB 1.97 and
 *   later; `EB 4C` in 1.96) and holds the strings "GRUB \0Geom\0Hard Disk\0Read\0 Error". The u64 LE
 *   at 0x5C (`GRUB_BOOT_MACHINE_KERNEL_SECTOR`, include/grub/i386/pc/boot.h) is the LBA of the first
 *   sector of core.img, which grub-bios-setup writes: the sector after the MBR on MBR disks, the
 *   start of the BIOS boot partition on GPT disks.
 * - GRUB 2 core.img starts with `diskboot.img` (grub-core/boot/i386/pc/diskboot.S): `52 56 BE` and
 *   the strings "loading" and "Geom".
 * - GRUB legacy stage1 (stage1/stage1.S): `EB 48 90` and the same "GRUB " strings.
 * - syslinux `mbr.bin`/`altmbr.bin`/`gptmbr.bin` (syslinux mbr/*.S): "Missing operating system." and
 *   "Operating system load error.", or gptmbr's "Missing OS" and "Multiple active partitions".
 * - Windows (NT 6+ MBR): "Invalid partition table" and "Error loading operating system".
 * - `empty`: the 440 bytes are all zero (no boot code: a disk partitioned but never made bootable,
 *   or one for UEFI only).
 */
export type BootLoaderKind = 'grub2' | 'grub-legacy' | 'syslinux' | 'windows' | 'empty' | 'unknown';

export interface BootCodeInfo {
  readonly loader: BootLoaderKind;
  /** GRUB 2: the LBA boot.img loads core.img from, and what is there. */
  readonly coreSector?: number;
  readonly embeddedCore?: 'grub2' | 'missing';
}

export interface BiosBootPartitionInfo {
  readonly partition: number;
  /** What the partition's first sector holds: GRUB's core image, nothing, or something else. */
  readonly core: 'grub2' | 'empty' | 'unknown';
}

/** Bytes of boot code before the disk signature (MBR layout: 0x000-0x1B7). */
export const MBR_CODE_BYTES = 440;
/** Offset of GRUB's kernel sector field in boot.img. */
export const GRUB_KERNEL_SECTOR_OFFSET = 0x5c;

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

function contains(hay: Uint8Array, needle: string): boolean {
  const n = ascii(needle);
  outer: for (let i = 0; i + n.length <= hay.length; i++) {
    for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer;
    return true;
  }
  return false;
}

/** The boot loader family of a sector-0 image (at least 440 bytes; fewer is `unknown`). */
export function identifyBootCode(sector0: Uint8Array): BootLoaderKind {
  if (sector0.length < MBR_CODE_BYTES) return 'unknown';
  const code = sector0.subarray(0, MBR_CODE_BYTES);
  if (code.every((b) => b === 0)) return 'empty';
  const grubStrings = contains(code, 'GRUB \0Geom\0Hard Disk\0Read\0 Error');
  if (grubStrings && code[0] === 0xeb && (code[1] === 0x63 || code[1] === 0x4c)) return 'grub2';
  if (grubStrings && code[0] === 0xeb && code[1] === 0x48) return 'grub-legacy';
  if (contains(code, 'Missing operating system.') && contains(code, 'Operating system load error.'))
    return 'syslinux';
  if (contains(code, 'Missing OS') && contains(code, 'Multiple active partitions')) return 'syslinux';
  if (contains(code, 'Invalid partition table') && contains(code, 'Error loading operating system'))
    return 'windows';
  return 'unknown';
}

/** True when a sector is the first sector of a GRUB 2 i386-pc core image (diskboot.img). */
export function isGrubCoreSector(sector: Uint8Array): boolean {
  return (
    sector.length >= 512 &&
    sector[0] === 0x52 &&
    sector[1] === 0x56 &&
    sector[2] === 0xbe &&
    contains(sector.subarray(0, 512), 'loading')
  );
}

/**
 * Reads sector 0 (and the sectors GRUB points at) and reports the boot code, and on GPT disks the
 * BIOS boot partition's content. Never throws for content: unreadable or short sectors are `unknown`.
 */
export async function probeBootCode(
  disk: ByteSource,
  table: Pick<PartitionTable, 'table' | 'sectorSize' | 'partitions'>,
): Promise<{ bootCode: BootCodeInfo; biosBootPartition?: BiosBootPartitionInfo }> {
  const sectorSize = table.sectorSize;
  const readSector = async (lba: number): Promise<Uint8Array | undefined> => {
    const off = lba * sectorSize;
    if (!Number.isSafeInteger(off) || off < 0 || off + 512 > disk.size) return undefined;
    return disk.read(off, 512);
  };
  const s0 = await readSector(0);
  const loader = s0 ? identifyBootCode(s0) : 'unknown';
  let bootCode: BootCodeInfo = { loader };
  if (loader === 'grub2' && s0) {
    // A sector number past 2^53 becomes an unsafe number that readSector refuses: `missing`.
    const lba = Number(new ByteView(s0, 'MBR boot code').u64le(GRUB_KERNEL_SECTOR_OFFSET));
    const core = lba > 0 ? await readSector(lba) : undefined;
    bootCode = {
      loader,
      coreSector: lba,
      embeddedCore: core && isGrubCoreSector(core) ? 'grub2' : 'missing',
    };
  }
  const bbp =
    table.table === 'gpt'
      ? table.partitions.find((p) => p.type.toUpperCase() === '21686148-6449-6E6F-744E-656564454649')
      : undefined;
  if (!bbp) return { bootCode };
  const first = bbp.start + 512 <= disk.size ? await disk.read(bbp.start, 512) : undefined;
  const core: BiosBootPartitionInfo['core'] = !first
    ? 'unknown'
    : isGrubCoreSector(first)
      ? 'grub2'
      : first.every((b) => b === 0)
        ? 'empty'
        : 'unknown';
  return { bootCode, biosBootPartition: { partition: bbp.number, core } };
}
