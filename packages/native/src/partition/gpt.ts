import { FormatError, type LayoutWarningV2, type PartitionInfoV2 } from '@imagecheck/access';
import { ByteView, isZero } from '@imagecheck/binary';
import type { ByteSource } from '../block/types.js';
import { crc32 } from './crc32.js';
import { gptTypeName } from './names.js';
import type { PartitionTable } from './types.js';

/**
 * GUID Partition Table (UEFI Specification 2.10, §5.3).
 *
 * Header, at LBA 1 (primary) and at the disk's last LBA (backup):
 *    0  "EFI PART"            8  u32 revision        12  u32 header size (92..sector size)
 *   16  u32 header CRC32 (over header size bytes with this field zeroed)
 *   24  u64 my LBA           32  u64 alternate LBA   40  u64 first usable LBA  48  u64 last usable LBA
 *   56  disk GUID (mixed-endian)                     72  u64 entry array LBA
 *   80  u32 number of entries  84  u32 entry size (128 × 2^n)  88  u32 entry array CRC32
 * Entry:
 *    0  type GUID   16  unique partition GUID   32  u64 first LBA   40  u64 last LBA (inclusive)
 *   48  u64 attributes (bit 2: legacy BIOS bootable)   56  name, 36 UTF-16LE code units
 * Partitions are numbered by their index in the array, from 1; empty entries (zero type GUID) are skipped.
 */
export const GPT_SIGNATURE = 'EFI PART';
/** Entry arrays larger than this are refused: 128 × 128 B = 16 KiB is the norm; 1 MiB is generous. */
export const MAX_GPT_ENTRY_ARRAY_BYTES = 1024 * 1024;
/** Largest entry size accepted (the spec allows 128 × 2^n; nobody uses more than 128). */
export const MAX_GPT_ENTRY_SIZE = 4096;

export interface GptHeader {
  readonly myLba: number;
  readonly alternateLba: number;
  readonly firstUsable: number;
  readonly lastUsable: number;
  readonly diskGuid: string;
  readonly entriesLba: number;
  readonly entryCount: number;
  readonly entrySize: number;
  readonly entriesCrc: number;
}

/** True when the sector at LBA 1 starts with the GPT signature. */
export function hasGptSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && new ByteView(bytes, 'GPT header').latin1(0, 8) === GPT_SIGNATURE;
}

/** Decodes and validates a header; throws `FormatError` naming what failed. */
export function parseGptHeader(bytes: Uint8Array, sectorSize: number, expectedLba: number): GptHeader {
  const fail = (code: string, message: string, data: Record<string, unknown> = {}) =>
    new FormatError(`gpt/${code}`, `GPT header at LBA ${expectedLba}: ${message}`, {
      data: { lba: expectedLba, ...data },
    });
  if (!hasGptSignature(bytes)) throw fail('bad-signature', 'no "EFI PART" signature');
  const h = new ByteView(bytes, 'GPT header', expectedLba * sectorSize);
  const headerSize = h.u32le(12);
  if (headerSize < 92 || headerSize > sectorSize) {
    throw fail('bad-header-size', `header size ${headerSize} is outside 92..${sectorSize}`, { headerSize });
  }
  const stored = h.u32le(16);
  const copy = bytes.slice(0, headerSize);
  copy.fill(0, 16, 20);
  const actual = crc32(copy);
  if (actual !== stored) {
    throw fail(
      'bad-header-crc',
      `header CRC32 is 0x${stored.toString(16)}, computed 0x${actual.toString(16)}`,
      {
        expected: stored,
        actual,
      },
    );
  }
  const myLba = h.u64leSafe(24, 'gpt.myLba');
  if (myLba !== expectedLba) throw fail('bad-my-lba', `header says it is at LBA ${myLba}`, { myLba });
  const entrySize = h.u32le(84);
  const entryCount = h.u32le(80);
  if (entrySize < 128 || entrySize > MAX_GPT_ENTRY_SIZE || entrySize % 128 !== 0) {
    throw fail(
      'bad-entry-size',
      `entry size ${entrySize} is not a multiple of 128 in 128..${MAX_GPT_ENTRY_SIZE}`,
      {
        entrySize,
      },
    );
  }
  if (entryCount * entrySize > MAX_GPT_ENTRY_ARRAY_BYTES) {
    throw fail(
      'entry-array-too-large',
      `${entryCount} entries × ${entrySize} bytes exceeds ${MAX_GPT_ENTRY_ARRAY_BYTES}`,
      {
        entryCount,
        entrySize,
        cap: MAX_GPT_ENTRY_ARRAY_BYTES,
      },
    );
  }
  return {
    myLba,
    alternateLba: h.u64leSafe(32, 'gpt.alternateLba'),
    firstUsable: h.u64leSafe(40, 'gpt.firstUsable'),
    lastUsable: h.u64leSafe(48, 'gpt.lastUsable'),
    diskGuid: h.guid(56).toUpperCase(),
    entriesLba: h.u64leSafe(72, 'gpt.entriesLba'),
    entryCount,
    entrySize,
    entriesCrc: h.u32le(88),
  };
}

async function readEntries(disk: ByteSource, h: GptHeader, sectorSize: number): Promise<Uint8Array> {
  const bytes = h.entryCount * h.entrySize;
  const offset = h.entriesLba * sectorSize;
  if (!Number.isSafeInteger(offset) || offset + bytes > disk.size) {
    throw new FormatError(
      'gpt/entries-past-end',
      `GPT entry array at LBA ${h.entriesLba} is past the end of the disk`,
      {
        data: { lba: h.entriesLba, bytes, diskSize: disk.size },
      },
    );
  }
  const array = await disk.read(offset, bytes);
  const actual = crc32(array);
  if (actual !== h.entriesCrc) {
    throw new FormatError(
      'gpt/bad-entries-crc',
      `GPT entry array at LBA ${h.entriesLba}: CRC32 is 0x${h.entriesCrc.toString(16)}, computed 0x${actual.toString(16)}`,
      { data: { lba: h.entriesLba, expected: h.entriesCrc, actual } },
    );
  }
  return array;
}

async function readHeaderAt(
  disk: ByteSource,
  lba: number,
  sectorSize: number,
): Promise<{ header: GptHeader; entries: Uint8Array }> {
  if ((lba + 1) * sectorSize > disk.size) {
    throw new FormatError('gpt/header-past-end', `GPT header LBA ${lba} is past the end of the disk`, {
      data: { lba },
    });
  }
  const header = parseGptHeader(await disk.read(lba * sectorSize, sectorSize), sectorSize, lba);
  return { header, entries: await readEntries(disk, header, sectorSize) };
}

/**
 * Reads the GPT: the primary header at LBA 1, or, when it (or its entry array) is damaged, the
 * backup header at the last LBA, with a `gpt/primary-damaged` warning naming what failed.
 * Throws `FormatError` when neither copy is valid.
 */
export async function readGpt(
  disk: ByteSource,
  sectorSize: number,
  mbrKind: 'protective' | 'hybrid',
): Promise<PartitionTable> {
  const warnings: LayoutWarningV2[] = [];
  let used: 'primary' | 'backup' = 'primary';
  let found: { header: GptHeader; entries: Uint8Array };
  try {
    found = await readHeaderAt(disk, 1, sectorSize);
  } catch (primaryError) {
    if (!(primaryError instanceof FormatError)) throw primaryError;
    const lastLba = Math.floor(disk.size / sectorSize) - 1;
    try {
      found = await readHeaderAt(disk, lastLba, sectorSize);
    } catch (backupError) {
      throw new FormatError(
        'gpt/no-valid-header',
        `both GPT headers are damaged: ${primaryError.message}; ${(backupError as Error).message}`,
        {
          data: { primary: primaryError.code, backup: (backupError as { code?: string }).code },
        },
      );
    }
    used = 'backup';
    warnings.push({
      code: 'gpt/primary-damaged',
      message: `the primary GPT is damaged (${primaryError.message}); the backup header at LBA ${lastLba} was used`,
      data: { reason: primaryError.code, backupLba: lastLba },
    });
  }
  const { header, entries } = found;
  const partitions: PartitionInfoV2[] = [];
  const ev = new ByteView(entries, 'GPT entry array', header.entriesLba * sectorSize);
  for (let i = 0; i < header.entryCount; i++) {
    const o = i * header.entrySize;
    if (isZero(ev.bytesAt(o, 16))) continue;
    const type = ev.guid(o).toUpperCase();
    const first = ev.u64leSafe(o + 32, 'gpt.entry.firstLba');
    const last = ev.u64leSafe(o + 40, 'gpt.entry.lastLba');
    const number = i + 1;
    if (last < first) {
      warnings.push({
        code: 'gpt/bad-entry',
        message: `GPT entry ${number}: last LBA ${last} is before first LBA ${first}; skipped`,
        data: { partition: number, first, last },
      });
      continue;
    }
    const start = first * sectorSize;
    const size = (last - first + 1) * sectorSize;
    if (!Number.isSafeInteger(start + size))
      throw new FormatError('gpt/entry-too-large', `GPT entry ${number} is out of range`);
    if (start + size > disk.size) {
      warnings.push({
        code: 'partition/past-end',
        message: `partition ${number} ends at byte ${start + size}, past the end of the disk (${disk.size} bytes)`,
        data: { partition: number, end: start + size, diskSize: disk.size },
      });
    }
    const typeName = gptTypeName(type);
    const label = ev.utf16le(o + 56, Math.min(72, header.entrySize - 56), { nulTerminated: true });
    const attrs = ev.u64le(o + 48);
    partitions.push({
      number,
      start,
      size,
      type,
      ...(typeName === undefined ? {} : { typeName }),
      uuid: ev.guid(o + 16),
      ...(label === '' ? {} : { label }),
      bootable: (attrs & 4n) !== 0n,
      kind: 'gpt',
    });
  }
  return {
    table: 'gpt',
    sectorSize,
    diskId: header.diskGuid.toLowerCase(),
    partitions,
    warnings,
    details: {
      mbr: mbrKind,
      gptHeader: used,
      firstUsableLba: header.firstUsable,
      lastUsableLba: header.lastUsable,
      entryCount: header.entryCount,
    },
  };
}
