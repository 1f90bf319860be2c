import { ByteView } from '@imagecheck/binary';
import { BASE_BLOCK_SIZE, CHECKSUM_OFFSET } from './constants.js';
import { regfError } from './errors.js';

/** The fields of a base block (msuhanov/regf, "Base block"; offsets in the comments). */
export interface BaseBlock {
  /** @4 incremented when a write starts. */
  sequence1: number;
  /** @8 incremented when it ends; equal to `sequence1` in a clean hive. */
  sequence2: number;
  /** @12 FILETIME (100 ns since 1601-01-01 UTC). */
  lastWrittenFiletime: bigint;
  /** @20, @24: 1.3 (NT 4 - XP), 1.4, 1.5 (XP+), 1.6 (Windows 10 "differencing hives"). */
  major: number;
  minor: number;
  /** @28: 0 primary file, 1 old-format log, 2 (XP) alternate, 6 new-format log. */
  fileType: number;
  /** @32: 1 = direct memory load. */
  fileFormat: number;
  /** @36, relative to the first hive bin (file offset 4096). */
  rootCellOffset: number;
  /** @40. */
  hiveBinsDataSize: number;
  /** @44: sector size / 512. */
  clusteringFactor: number;
  /** @48, 64 bytes of UTF-16LE, for debugging only. */
  fileName: string;
  /** @508 as stored, and as computed over bytes 0..507. */
  storedChecksum: number;
  computedChecksum: number;
}

/**
 * The XOR-32 checksum of the first 508 bytes. Windows maps a result of 0xFFFFFFFF to 0xFFFFFFFE
 * and 0 to 1 (HvpHeaderCheckSum; libregf documentation, "File header" checksum note).
 */
export function baseBlockChecksum(b: Uint8Array): number {
  const v = new ByteView(b, 'regf base block');
  let c = 0;
  for (let i = 0; i < CHECKSUM_OFFSET; i += 4) c = (c ^ v.u32le(i)) >>> 0;
  if (c === 0xffffffff) return 0xfffffffe;
  if (c === 0) return 1;
  return c;
}

/**
 * Parses the first 512 bytes of a base block (all a log file carries; the rest is reserved).
 * Throws `regf/bad-signature` when it is not one.
 */
export function parseBaseBlock(bytes: Uint8Array, base = 0, structure = 'regf base block'): BaseBlock {
  const v = new ByteView(bytes, structure, base);
  v.check(0, 512, 'header');
  if (v.latin1(0, 4) !== 'regf') {
    throw regfError('bad-signature', `${structure}: no "regf" signature at ${base}`, {
      structure,
      offset: base,
      expected: 'regf',
      actual: v.latin1(0, 4),
    });
  }
  return {
    sequence1: v.u32le(4),
    sequence2: v.u32le(8),
    lastWrittenFiletime: v.u64le(12),
    major: v.u32le(20),
    minor: v.u32le(24),
    fileType: v.u32le(28),
    fileFormat: v.u32le(32),
    rootCellOffset: v.u32le(36),
    hiveBinsDataSize: v.u32le(40),
    clusteringFactor: v.u32le(44),
    fileName: v.utf16le(48, 64, { nulTerminated: true }),
    storedChecksum: v.u32le(CHECKSUM_OFFSET),
    computedChecksum: baseBlockChecksum(bytes),
  };
}

/** Writes the sequence numbers, file type, hive bins size and a fresh checksum into a base block. */
export function patchBaseBlock(
  bytes: Uint8Array,
  fields: { sequence1?: number; sequence2?: number; fileType?: number; hiveBinsDataSize?: number },
): void {
  const d = new DataView(bytes.buffer, bytes.byteOffset, BASE_BLOCK_SIZE);
  if (fields.sequence1 !== undefined) d.setUint32(4, fields.sequence1, true);
  if (fields.sequence2 !== undefined) d.setUint32(8, fields.sequence2, true);
  if (fields.fileType !== undefined) d.setUint32(28, fields.fileType, true);
  if (fields.hiveBinsDataSize !== undefined) d.setUint32(40, fields.hiveBinsDataSize, true);
  d.setUint32(CHECKSUM_OFFSET, baseBlockChecksum(bytes), true);
}

/** FILETIME (100 ns ticks since 1601-01-01 UTC) to a Date, millisecond precision. */
export function filetimeToDate(ft: bigint): Date {
  // 11,644,473,600 s between 1601-01-01 and 1970-01-01.
  return new Date(Number(ft / 10_000n) - 11_644_473_600_000);
}
