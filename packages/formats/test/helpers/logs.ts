import { baseBlockChecksum, marvin32, REGF_LOG_SEED } from '../../src/index.js';

/**
 * Transaction logs CONSTRUCTED FROM THE SPECIFICATION (msuhanov/regf, "Format of transaction log
 * files"), not captured from Windows: no real .LOG1/.LOG2 was available. They exercise our log
 * parser and replay against the spec's text only; whether Windows writes exactly this is not
 * tested here.
 */

const le = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** A copy of `hive`'s base block with the given fields changed and the checksum recomputed. */
export function withBaseBlock(
  hive: Uint8Array,
  fields: {
    sequence1?: number;
    sequence2?: number;
    fileType?: number;
    lastWritten?: bigint;
    hiveBinsDataSize?: number;
  },
  length = 4096,
): Uint8Array {
  const b = hive.slice(0, 4096);
  const d = le(b);
  if (fields.sequence1 !== undefined) d.setUint32(4, fields.sequence1, true);
  if (fields.sequence2 !== undefined) d.setUint32(8, fields.sequence2, true);
  if (fields.lastWritten !== undefined) d.setBigUint64(12, fields.lastWritten, true);
  if (fields.fileType !== undefined) d.setUint32(28, fields.fileType, true);
  if (fields.hiveBinsDataSize !== undefined) d.setUint32(40, fields.hiveBinsDataSize, true);
  d.setUint32(508, baseBlockChecksum(b), true);
  return b.subarray(0, length);
}

export const sequence1 = (hive: Uint8Array): number => le(hive).getUint32(4, true);
export const binsSize = (hive: Uint8Array): number => le(hive).getUint32(40, true);
export const lastWritten = (hive: Uint8Array): bigint => le(hive).getBigUint64(12, true);

/** The hive bins offsets of the `page`-byte pages where `to` differs from `from` (or `from` ends). */
export function changedPages(from: Uint8Array, to: Uint8Array, page: number): number[] {
  const out: number[] = [];
  const n = binsSize(to);
  for (let off = 0; off < n; off += page) {
    const a = from.subarray(4096 + off, 4096 + off + page);
    const b = to.subarray(4096 + off, 4096 + off + page);
    if (a.length !== b.length || !a.every((x, i) => x === b[i])) out.push(off);
  }
  return out;
}

/**
 * One new-format log entry ("Log entries"): "HvLE", size, flags, sequence, hive bins data size,
 * dirty page count, Hash-1 (Marvin32 of bytes 40..size), Hash-2 (Marvin32 of bytes 0..31), page
 * references (offset, size), the pages; padded to a multiple of 512.
 */
export function logEntry(
  target: Uint8Array,
  sequence: number,
  pages: readonly number[],
  pageSize = 4096,
): Uint8Array {
  const body = 40 + pages.length * 8 + pages.length * pageSize;
  const size = Math.ceil(body / 512) * 512;
  const e = new Uint8Array(size);
  const d = le(e);
  e.set([0x48, 0x76, 0x4c, 0x45], 0); // HvLE
  d.setUint32(4, size, true);
  d.setUint32(8, 0, true);
  d.setUint32(12, sequence, true);
  d.setUint32(16, binsSize(target), true);
  d.setUint32(20, pages.length, true);
  let at = 40 + pages.length * 8;
  pages.forEach((off, i) => {
    d.setUint32(40 + i * 8, off, true);
    d.setUint32(44 + i * 8, pageSize, true);
    e.set(target.subarray(4096 + off, 4096 + off + pageSize), at);
    at += pageSize;
  });
  d.setBigUint64(24, marvin32(e.subarray(40), REGF_LOG_SEED), true);
  d.setBigUint64(32, marvin32(e.subarray(0, 32), REGF_LOG_SEED), true);
  return e;
}

/** A new-format log: the target's base block (file type 6) in the first sector, then the entries. */
export function newFormatLog(
  target: Uint8Array,
  sequence: number,
  entries: readonly Uint8Array[],
): Uint8Array {
  const head = withBaseBlock(target, { fileType: 6, sequence1: sequence, sequence2: sequence }, 512);
  const total = 512 + entries.reduce((n, e) => n + e.length, 0);
  const log = new Uint8Array(total);
  log.set(head, 0);
  let at = 512;
  for (const e of entries) {
    log.set(e, at);
    at += e.length;
  }
  return log;
}

/**
 * An old-format log ("Old format"): the target's base block (file type 1, equal sequence numbers,
 * the primary's last-written time) in the first sector, "DIRT" and a bitmap of the dirty 512-byte
 * pages from 512, then those pages from the next sector boundary.
 */
export function oldFormatLog(
  target: Uint8Array,
  primaryLastWritten: bigint,
  sequence: number,
  pages512: readonly number[],
): Uint8Array {
  const head = withBaseBlock(
    target,
    { fileType: 1, sequence1: sequence, sequence2: sequence, lastWritten: primaryLastWritten },
    512,
  );
  const bits = binsSize(target) / 512;
  const bitmap = new Uint8Array(Math.ceil(bits / 8));
  for (const off of pages512)
    bitmap[(off / 512) >>> 3] = (bitmap[(off / 512) >>> 3] as number) | (1 << ((off / 512) & 7));
  const pagesAt = Math.ceil((516 + bitmap.length) / 512) * 512;
  const log = new Uint8Array(pagesAt + pages512.length * 512);
  log.set(head, 0);
  log.set([0x44, 0x49, 0x52, 0x54], 512); // DIRT
  log.set(bitmap, 516);
  [...pages512]
    .sort((a, b) => a - b)
    .forEach((off, k) => {
      log.set(target.subarray(4096 + off, 4096 + off + 512), pagesAt + k * 512);
    });
  return log;
}
