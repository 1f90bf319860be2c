import type { LayoutWarningV2, PartitionInfoV2 } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../block/types.js';
import { MBR_EXTENDED_TYPES, mbrTypeName, mbrTypeString } from './names.js';
import type { PartitionTable } from './types.js';

/**
 * Master Boot Record, as the IBM PC BIOS and every OS since read it.
 *
 * Sector 0 (any logical sector size; only the first 512 bytes matter):
 *   440  u32le  disk signature (blkid's PTUUID)
 *   446  4 × 16-byte entries:
 *          +0 u8 boot indicator (0x80 active, 0x00 inactive; anything else: not an MBR)
 *          +4 u8 partition type
 *          +8 u32le first LBA   +12 u32le sector count
 *   510  0x55 0xAA
 * An extended partition (type 0x05/0x0F/0x85) holds a chain of Extended Boot Records (EBRs), each
 * an MBR-shaped sector whose first entry is a logical partition (relative to that EBR) and whose
 * next extended entry links to the next EBR (relative to the start of the extended partition).
 * Linux numbers logical partitions from 5 in chain order.
 */
export const MBR_ENTRY_OFFSET = 446;
/** Logical partitions followed along an EBR chain before giving up (Linux's own limit is far lower in practice). */
export const MAX_LOGICAL_PARTITIONS = 256;

export interface MbrEntry {
  readonly slot: number;
  readonly bootIndicator: number;
  readonly type: number;
  readonly startLba: number;
  readonly sectors: number;
}

/** True when the sector carries the 0x55AA signature and sane boot indicators. */
export function looksLikeMbr(sector: Uint8Array): boolean {
  if (sector.length < 512 || sector[510] !== 0x55 || sector[511] !== 0xaa) return false;
  for (let i = 0; i < 4; i++) {
    const boot = sector[MBR_ENTRY_OFFSET + i * 16] ?? 0;
    if (boot !== 0 && boot !== 0x80) return false;
  }
  return true;
}

/** The four entries of an MBR or EBR sector; `base` is the sector's byte offset on the disk, for messages. */
export function mbrEntries(sector: Uint8Array, base = 0): MbrEntry[] {
  const v = new ByteView(sector, base === 0 ? 'MBR' : 'EBR', base);
  const out: MbrEntry[] = [];
  for (let i = 0; i < 4; i++) {
    const o = MBR_ENTRY_OFFSET + i * 16;
    out.push({
      slot: i,
      bootIndicator: v.u8(o),
      type: v.u8(o + 4),
      startLba: v.u32le(o + 8),
      sectors: v.u32le(o + 12),
    });
  }
  return out;
}

export function mbrSignature(sector: Uint8Array): string {
  return new ByteView(sector, 'MBR').u32le(440).toString(16).padStart(8, '0');
}

/** The PARTUUID blkid gives an MBR partition: `<signature>-<NN>`. */
function partUuid(sig: string, n: number): string {
  return `${sig}-${n.toString(16).padStart(2, '0')}`;
}

/**
 * Reads an MBR (sector 0, already checked with `looksLikeMbr`) and its EBR chain. Damage in the
 * chain (a loop, an EBR past the end, a missing signature) stops the walk with a warning: the
 * partitions found so far are still returned.
 */
export async function readMbr(
  disk: ByteSource,
  sector0: Uint8Array,
  sectorSize: number,
): Promise<PartitionTable> {
  const warnings: LayoutWarningV2[] = [];
  const sig = mbrSignature(sector0);
  const partitions: PartitionInfoV2[] = [];
  const entries = mbrEntries(sector0);
  let extended: MbrEntry | undefined;
  for (const e of entries) {
    if (e.type === 0 || e.sectors === 0) continue;
    const number = e.slot + 1;
    const isExt = MBR_EXTENDED_TYPES.has(e.type);
    if (isExt && extended === undefined) extended = e;
    partitions.push(entry(e, number, isExt ? 'extended' : 'primary', 0, sectorSize, sig));
    checkInside(disk, e.startLba, e.sectors, sectorSize, number, warnings);
  }
  if (extended !== undefined) await walkEbrChain(disk, extended, sectorSize, sig, partitions, warnings);
  return { table: 'mbr', sectorSize, diskId: sig, partitions, warnings, details: {} };
}

function entry(
  e: MbrEntry,
  number: number,
  kind: 'primary' | 'extended' | 'logical',
  base: number,
  sectorSize: number,
  sig: string,
): PartitionInfoV2 {
  const typeName = mbrTypeName(e.type);
  return {
    number,
    start: (base + e.startLba) * sectorSize,
    size: e.sectors * sectorSize,
    type: mbrTypeString(e.type),
    ...(typeName === undefined ? {} : { typeName }),
    uuid: partUuid(sig, number),
    bootable: e.bootIndicator === 0x80,
    kind,
  };
}

function checkInside(
  disk: ByteSource,
  startLba: number,
  sectors: number,
  sectorSize: number,
  number: number,
  warnings: LayoutWarningV2[],
): void {
  const end = (startLba + sectors) * sectorSize;
  if (end > disk.size) {
    warnings.push({
      code: 'partition/past-end',
      message: `partition ${number} ends at byte ${end}, past the end of the disk (${disk.size} bytes)`,
      data: { partition: number, end, diskSize: disk.size },
    });
  }
}

async function walkEbrChain(
  disk: ByteSource,
  ext: MbrEntry,
  sectorSize: number,
  sig: string,
  partitions: PartitionInfoV2[],
  warnings: LayoutWarningV2[],
): Promise<void> {
  const extStart = ext.startLba;
  const extEnd = ext.startLba + ext.sectors;
  const seen = new Set<number>();
  let number = 5;
  let ebr: number | undefined = extStart;
  const stop = (code: string, message: string, data: Record<string, unknown>) => {
    warnings.push({ code, message, data });
  };
  while (ebr !== undefined) {
    if (seen.has(ebr)) {
      stop('mbr/ebr-loop', `EBR chain loops back to LBA ${ebr}; stopped after ${seen.size} EBRs`, {
        lba: ebr,
      });
      return;
    }
    if (number - 5 >= MAX_LOGICAL_PARTITIONS) {
      stop(
        'mbr/too-many-logical',
        `more than ${MAX_LOGICAL_PARTITIONS} logical partitions; the rest are ignored`,
        {
          cap: MAX_LOGICAL_PARTITIONS,
        },
      );
      return;
    }
    seen.add(ebr);
    if ((ebr + 1) * sectorSize > disk.size) {
      stop('mbr/ebr-past-end', `EBR at LBA ${ebr} is past the end of the disk`, {
        lba: ebr,
        diskSize: disk.size,
      });
      return;
    }
    const sector = await disk.read(ebr * sectorSize, 512);
    if (sector[510] !== 0x55 || sector[511] !== 0xaa) {
      stop('mbr/ebr-bad-signature', `EBR at LBA ${ebr} has no 0x55AA signature`, { lba: ebr });
      return;
    }
    const entries = mbrEntries(sector, ebr * sectorSize);
    let next: number | undefined;
    for (const e of entries) {
      if (e.type === 0 || e.sectors === 0) continue;
      if (MBR_EXTENDED_TYPES.has(e.type)) {
        // Only the first link counts; link offsets are relative to the extended partition.
        if (next === undefined) next = extStart + e.startLba;
        continue;
      }
      // Linux ignores data entries in slots 3 and 4 that fall outside the extended partition: they hold garbage on some disks.
      if (e.slot >= 2 && (ebr + e.startLba + e.sectors > extEnd || e.startLba === 0)) continue;
      const p = entry(e, number, 'logical', ebr, sectorSize, sig);
      partitions.push(p);
      checkInside(disk, ebr + e.startLba, e.sectors, sectorSize, number, warnings);
      number++;
    }
    ebr = next;
  }
}
