import { FormatError, type LayoutWarningV2 } from '@imagecheck/access';
import type { ByteSource } from '../block/types.js';
import { hasGptSignature, readGpt } from './gpt.js';
import { looksLikeMbr, mbrEntries, readMbr } from './mbr.js';
import type { PartitionTable } from './types.js';

export { crc32 } from './crc32.js';
export type { GptHeader } from './gpt.js';
export {
  hasGptSignature,
  MAX_GPT_ENTRY_ARRAY_BYTES,
  MAX_GPT_ENTRY_SIZE,
  parseGptHeader,
  readGpt,
} from './gpt.js';
export type { MbrEntry } from './mbr.js';
export { looksLikeMbr, MAX_LOGICAL_PARTITIONS, mbrEntries, readMbr } from './mbr.js';
export { GPT_TYPE_NAMES, gptTypeName, MBR_EXTENDED_TYPES, MBR_TYPE_NAMES, mbrTypeName } from './names.js';
export type { PartitionTable } from './types.js';

/** Logical sector sizes a GPT is looked for with, in order (LBA 1 is at byte 512 or 4096). */
export const GPT_SECTOR_SIZES = [512, 4096] as const;

/**
 * Finds the partition table of a virtual disk.
 *
 * Order, as libblkid decides: a sector 0 that is a filesystem boot sector (FAT, NTFS, exFAT,
 * BitLocker; the caller says so with `bootSectorFilesystem`) is not a partition table unless it
 * carries a GPT protective entry. An MBR with a 0xEE entry means GPT (protective when 0xEE is the
 * only entry, hybrid otherwise); GPT is looked for at LBA 1 with 512- and then 4096-byte sectors,
 * and the backup header is used when the primary is damaged. An MBR without 0xEE is read as MBR
 * even when a stale GPT signature sits at LBA 1 (with a warning).
 */
export async function readPartitionTable(
  disk: ByteSource,
  options: { bootSectorFilesystem?: boolean } = {},
): Promise<PartitionTable> {
  const none: PartitionTable = { table: 'none', sectorSize: 512, partitions: [], warnings: [], details: {} };
  if (disk.size < 1024) {
    if (disk.size >= 512) {
      // A lone MBR sector (a dump of sector 0) still has a table worth reporting.
      const s0 = await disk.read(0, 512);
      if (looksLikeMbr(s0) && !options.bootSectorFilesystem) return readMbr(disk, s0, 512);
    }
    return none;
  }
  const sector0 = await disk.read(0, 512);
  const isMbr = looksLikeMbr(sector0);
  const entries = isMbr ? mbrEntries(sector0) : [];
  const used = entries.filter((e) => e.type !== 0 && e.sectors !== 0);
  const hasEe = used.some((e) => e.type === 0xee);
  const gptAt: number[] = [];
  for (const ss of GPT_SECTOR_SIZES) {
    if (disk.size >= ss * 2 && hasGptSignature(await disk.read(ss, 8))) gptAt.push(ss);
  }
  if (hasEe) {
    const kind = used.length > 1 ? 'hybrid' : 'protective';
    const order =
      gptAt.length > 0
        ? [...gptAt, ...GPT_SECTOR_SIZES.filter((s) => !gptAt.includes(s))]
        : [...GPT_SECTOR_SIZES];
    let first: unknown;
    for (const ss of order) {
      try {
        return await readGpt(disk, ss, kind);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        first ??= e;
      }
    }
    throw first;
  }
  if (isMbr && !options.bootSectorFilesystem) {
    const table = await readMbr(disk, sector0, 512);
    if (gptAt.length === 0) return table;
    const w: LayoutWarningV2 = {
      code: 'gpt/ignored',
      message:
        'a GPT header is present but the MBR has no protective (0xEE) entry; the MBR was used, as firmware and Linux do',
    };
    return { ...table, warnings: [...table.warnings, w] };
  }
  const ss = gptAt[0];
  if (ss !== undefined && !options.bootSectorFilesystem) {
    const table = await readGpt(disk, ss, 'protective');
    const w: LayoutWarningV2 = {
      code: 'gpt/no-protective-mbr',
      message: 'the disk has a GPT but no protective MBR; some firmware will not boot it',
    };
    return { ...table, details: { ...table.details, mbr: 'missing' }, warnings: [w, ...table.warnings] };
  }
  return none;
}
