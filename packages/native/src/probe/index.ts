import { type ImagecheckError, isImagecheckError } from '@imagecheck/access';
import { isZero } from '@imagecheck/binary';
import type { ByteSource } from '../block/types.js';
import { probeBtrfs } from '../fs/btrfs/probe.js';
import { probeExfat } from '../fs/exfat/probe.js';
import { probeExt } from '../fs/ext/probe.js';
import { probeVfat } from '../fs/fat/probe.js';
import { probeNtfs } from '../fs/ntfs/probe.js';
import { probeXfs } from '../fs/xfs/probe.js';
import { probeBitlocker } from './bitlocker.js';
import { probeIso9660 } from './iso9660.js';
import { probeLuks } from './luks.js';
import { probeSquashfs } from './squashfs.js';
import { probeSwap } from './swap.js';
import type { Probe, ProbeResult } from './types.js';

export type { Probe, ProbeResult } from './types.js';
export {
  probeBitlocker,
  probeBtrfs,
  probeExfat,
  probeExt,
  probeIso9660,
  probeLuks,
  probeNtfs,
  probeSquashfs,
  probeSwap,
  probeVfat,
  probeXfs,
};

/**
 * The order probes are tried in. Filesystem probes live beside their readers (`fs/<type>/probe.ts`);
 * the probes of what the native backend does not read as a filesystem (LUKS, BitLocker, squashfs,
 * ISO 9660, swap) live here. Containers that hide everything else come first (LUKS,
 * BitLocker), then boot-sector filesystems with an OEM name (NTFS, exFAT) before the FAT
 * heuristics, then superblock filesystems, then swap (whose magic sits at the end of page 0 and
 * may survive on a reformatted partition). ISO 9660 comes after filesystems that live in its
 * first 32 KiB system area.
 */
export const PROBES: ReadonlyArray<readonly [string, Probe]> = [
  ['luks', probeLuks],
  ['bitlocker', probeBitlocker],
  ['ntfs', probeNtfs],
  ['exfat', probeExfat],
  ['vfat', probeVfat],
  ['xfs', probeXfs],
  ['ext', probeExt],
  ['btrfs', probeBtrfs],
  ['squashfs', probeSquashfs],
  ['iso9660', probeIso9660],
  ['swap', probeSwap],
];

/**
 * Identifies the filesystem (or swap, or encrypted container) on `source` by signature, as blkid
 * does. `undefined` when nothing is recognised. A recognised but damaged structure throws a typed
 * error from that probe.
 */
export async function probeFilesystem(source: ByteSource): Promise<ProbeResult | undefined> {
  for (const [, probe] of PROBES) {
    const r = await probe(source);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** Types whose boot sector sits where an MBR would (so sector 0 is not a partition table). */
export const BOOT_SECTOR_TYPES: ReadonlySet<string> = new Set(['vfat', 'ntfs', 'exfat', 'bitlocker']);

/** Bytes sampled for the all-zero check: the start, and windows spread over the disk. */
export const ZERO_SAMPLE_BYTES = 64 * 1024;
export const ZERO_SAMPLE_WINDOWS = 16;

/**
 * True when every sampled window of the disk is zero: the first 1 MiB and `ZERO_SAMPLE_WINDOWS`
 * windows spread evenly up to the end. Sampled, not exhaustive: an image is never read whole.
 */
export async function looksAllZero(source: ByteSource): Promise<boolean> {
  const head = await source.read(0, Math.min(source.size, 1024 * 1024));
  if (!isZero(head)) return false;
  for (let i = 1; i <= ZERO_SAMPLE_WINDOWS; i++) {
    const at = Math.max(0, Math.floor((source.size * i) / ZERO_SAMPLE_WINDOWS) - ZERO_SAMPLE_BYTES);
    const w = await source.read(at, Math.min(ZERO_SAMPLE_BYTES, source.size - at));
    if (!isZero(w)) return false;
  }
  return true;
}

export function isTypedError(e: unknown): e is ImagecheckError {
  return isImagecheckError(e);
}
