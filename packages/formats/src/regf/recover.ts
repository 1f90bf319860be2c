import { ByteView } from '@imagecheck/binary';
import { type BaseBlock, parseBaseBlock, patchBaseBlock } from './base-block.js';
import { BASE_BLOCK_SIZE, HBIN_ALIGNMENT, MAX_HIVE_SIZE, MAX_LOG_ENTRIES } from './constants.js';
import { marvin32, REGF_LOG_SEED } from './marvin32.js';

/**
 * Transaction log recovery (msuhanov/regf, "Format of transaction log files", "Dirty state of a
 * hive", "Multiple transaction log files"). Applied in memory only; the primary file is never
 * written.
 *
 * Old format (file type 1, up to Windows 8): a partial base block, then at 512 a dirty vector
 * ("DIRT" + one bit per 512-byte page of the hive bins data), then the dirty pages, each 512
 * bytes, from the next sector boundary, in bit order. Applicable when its base block is valid,
 * its sequence numbers agree and its last-written timestamp equals the primary's.
 *
 * New format (file type 6, Windows 8.1+): a partial base block, then from 512 log entries at
 * 512-byte-aligned offsets: "HvLE", size, flags, sequence number, hive bins data size, dirty page
 * count, Hash-1 (Marvin32 of bytes 40..size), Hash-2 (Marvin32 of bytes 0..31), then (offset,
 * size) page references and the pages. Entries with a sequence number at least the primary's
 * are applied in consecutive sequence order, `.LOG1` then `.LOG2`; a bad hash or hive bins size
 * ends that log's entries.
 */

/** What recovery did, or why it did nothing. */
export interface RecoveryReport {
  /** Whether anything from a log was applied. */
  applied: boolean;
  /** `old` (DIRT dirty vector) or `new` (HvLE entries), for the log used. */
  format: 'old' | 'new' | null;
  /** The sequence numbers of the new-format entries applied, in order. */
  entries: number[];
  /** Old format: the 512-byte pages written. New format: the pages (of any size) written. */
  pages: number;
  /** Whether the base block came from a log (the primary's checksum was wrong). */
  baseBlockFromLog: boolean;
  /** One line per log looked at: why it was used or not. */
  notes: string[];
}

interface LogHeader {
  index: number;
  bytes: Uint8Array;
  base: BaseBlock;
}

/** Returns the recovered hive bytes (a new buffer), or null with the report saying why not. */
export function recoverHive(
  primary: Uint8Array,
  base: BaseBlock,
  logs: readonly Uint8Array[],
): { bytes: Uint8Array | null; report: RecoveryReport } {
  const report: RecoveryReport = {
    applied: false,
    format: null,
    entries: [],
    pages: 0,
    baseBlockFromLog: false,
    notes: [],
  };
  const headers: LogHeader[] = [];
  for (const [index, bytes] of logs.entries()) {
    const name = `log ${index + 1}`;
    if (bytes.length < 512) {
      report.notes.push(`${name}: ${bytes.length} bytes, shorter than a base block sector`);
      continue;
    }
    let lb: BaseBlock;
    try {
      lb = parseBaseBlock(bytes.subarray(0, 512), 0, `regf ${name} base block`);
    } catch {
      report.notes.push(`${name}: no "regf" base block`);
      continue;
    }
    if (lb.storedChecksum !== lb.computedChecksum) {
      report.notes.push(`${name}: base block checksum is wrong`);
      continue;
    }
    if (lb.fileType !== 1 && lb.fileType !== 6) {
      report.notes.push(`${name}: file type ${lb.fileType} is not a log (1 or 6)`);
      continue;
    }
    headers.push({ index, bytes, base: lb });
  }
  const newLogs = headers.filter((h) => h.base.fileType === 6);
  if (newLogs.length > 0) return recoverNew(primary, base, newLogs, report);
  for (const h of headers) {
    const r = recoverOld(primary, base, h, report);
    if (r !== null) return { bytes: r, report };
  }
  if (headers.length === 0) report.notes.push('no usable log');
  return { bytes: null, report };
}

function checksumValid(b: BaseBlock): boolean {
  return b.storedChecksum === b.computedChecksum;
}

/** A fresh buffer holding the hive with room for `binsSize` bytes of hive bins. */
function resized(src: Uint8Array, binsSize: number): Uint8Array {
  const out = new Uint8Array(BASE_BLOCK_SIZE + binsSize);
  out.set(src.subarray(0, Math.min(src.length, out.length)));
  return out;
}

function binsSizeOk(n: number): boolean {
  return n > 0 && n % HBIN_ALIGNMENT === 0 && BASE_BLOCK_SIZE + n <= MAX_HIVE_SIZE;
}

function recoverOld(
  primary: Uint8Array,
  base: BaseBlock,
  h: LogHeader,
  report: RecoveryReport,
): Uint8Array | null {
  const name = `log ${h.index + 1}`;
  const lb = h.base;
  if (lb.sequence1 !== lb.sequence2) {
    report.notes.push(
      `${name}: old-format log was not completely written (sequence ${lb.sequence1} != ${lb.sequence2})`,
    );
    return null;
  }
  // Note 3 of "Base block" (old format): the log applies to the primary with the same
  // last-written timestamp; when the primary's base block is bad, the first hive bin's copy.
  const primaryStamp = checksumValid(base)
    ? base.lastWrittenFiletime
    : primary.length >= BASE_BLOCK_SIZE + 28
      ? new ByteView(primary, 'regf hive bin').u64le(BASE_BLOCK_SIZE + 20)
      : -1n;
  if (lb.lastWrittenFiletime !== primaryStamp) {
    report.notes.push(
      `${name}: old-format log belongs to another write (last written ${lb.lastWrittenFiletime} != ${primaryStamp})`,
    );
    return null;
  }
  if (!binsSizeOk(lb.hiveBinsDataSize)) {
    report.notes.push(`${name}: hive bins data size ${lb.hiveBinsDataSize} is not usable`);
    return null;
  }
  const dirt = secondSector(h, 'DIRT');
  if (dirt === null) {
    report.notes.push(`${name}: no "DIRT" dirty vector in the second sector`);
    return null;
  }
  // One bit per 512-byte page of the hive bins data, bit 0 of byte 0 first ("Dirty vector").
  const bits = lb.hiveBinsDataSize / 512;
  const bitmapBytes = Math.ceil(bits / 8);
  if (dirt + 4 + bitmapBytes > h.bytes.length) {
    report.notes.push(`${name}: the dirty vector (${bitmapBytes} bytes) runs past the end of the log`);
    return null;
  }
  const bitmap = h.bytes.subarray(dirt + 4, dirt + 4 + bitmapBytes);
  // Dirty pages start at the sector after the dirty vector.
  const pagesStart = Math.ceil((dirt + 4 + bitmapBytes) / 512) * 512;
  const out = resized(primary, lb.hiveBinsDataSize);
  let k = 0;
  for (let bit = 0; bit < bits; bit++) {
    if (((bitmap[bit >>> 3] ?? 0) & (1 << (bit & 7))) === 0) continue;
    const from = pagesStart + k * 512;
    if (from + 512 > h.bytes.length) {
      report.notes.push(`${name}: dirty page ${k} (for bit ${bit}) runs past the end of the log`);
      return null;
    }
    out.set(h.bytes.subarray(from, from + 512), BASE_BLOCK_SIZE + bit * 512);
    k++;
  }
  // The base block: the log's copy (the in-memory one), as a primary file that is clean.
  out.set(h.bytes.subarray(0, 512), 0);
  patchBaseBlock(out, { fileType: 0, sequence1: lb.sequence1, sequence2: lb.sequence1 });
  report.applied = true;
  report.format = 'old';
  report.pages = k;
  report.baseBlockFromLog = !checksumValid(base);
  report.notes.push(`${name}: applied ${k} dirty pages (old format)`);
  return out;
}

/**
 * Where the second sector of a log starts: the dirty vector or the first log entry. The spec
 * says "the second sector"; with 512-byte sectors that is 512. A log written on a disk with
 * larger sectors (clustering factor > 1) may start it at 512 x clustering factor; that is
 * tried when 512 does not hold the signature. (Not seen in a real log: none was available.)
 */
function secondSector(h: LogHeader, signature: string): number | null {
  const candidates = [512];
  const cf = h.base.clusteringFactor;
  if (cf > 1 && cf <= 8) candidates.push(512 * cf);
  for (const at of candidates) {
    if (at + 4 <= h.bytes.length && String.fromCharCode(...h.bytes.subarray(at, at + 4)) === signature)
      return at;
  }
  return null;
}

interface LogEntry {
  log: number;
  offset: number;
  sequence: number;
  binsSize: number;
  pages: { offset: number; data: Uint8Array }[];
}

/** Parses a log's entries up to the first invalid one ("Log entries" note 7). */
function parseEntries(h: LogHeader, notes: string[]): LogEntry[] {
  const name = `log ${h.index + 1}`;
  const out: LogEntry[] = [];
  const b = h.bytes;
  const first = secondSector(h, 'HvLE');
  if (first === null) notes.push(`${name}: no "HvLE" entry in the second sector`);
  for (let at = first ?? b.length; at + 40 <= b.length; ) {
    if (out.length >= MAX_LOG_ENTRIES) {
      notes.push(`${name}: more than ${MAX_LOG_ENTRIES} entries; the rest ignored`);
      break;
    }
    const v = new ByteView(b, `regf ${name} log entry`, 0);
    if (v.latin1(at, 4) !== 'HvLE') break; // the end of the entries (or never-written space)
    const size = v.u32le(at + 4);
    const sequence = v.u32le(at + 12);
    const binsSize = v.u32le(at + 16);
    const count = v.u32le(at + 20);
    if (size < 40 || size % 512 !== 0 || at + size > b.length) {
      notes.push(`${name}: entry at ${at} has size ${size}; entries end here`);
      break;
    }
    const entry = b.subarray(at, at + size);
    if (marvin32(entry.subarray(40), REGF_LOG_SEED) !== v.u64le(at + 24)) {
      notes.push(`${name}: entry at ${at} (sequence ${sequence}) fails its Hash-1; entries end here`);
      break;
    }
    if (marvin32(entry.subarray(0, 32), REGF_LOG_SEED) !== v.u64le(at + 32)) {
      notes.push(`${name}: entry at ${at} (sequence ${sequence}) fails its Hash-2; entries end here`);
      break;
    }
    if (!binsSizeOk(binsSize)) {
      notes.push(`${name}: entry at ${at} has hive bins data size ${binsSize}; entries end here`);
      break;
    }
    // Page references at 40 (8 bytes each), then the pages back to back.
    if (count > (size - 40) / 8) {
      notes.push(`${name}: entry at ${at} claims ${count} pages; entries end here`);
      break;
    }
    let dataAt = 40 + count * 8;
    const pages: LogEntry['pages'] = [];
    let ok = true;
    for (let i = 0; i < count; i++) {
      const po = v.u32le(at + 40 + i * 8);
      const ps = v.u32le(at + 44 + i * 8);
      if (ps === 0 || ps % 512 !== 0 || dataAt + ps > size || po % 512 !== 0 || po + ps > binsSize) {
        notes.push(
          `${name}: entry at ${at} page ${i} (offset ${po}, size ${ps}) does not fit; entries end here`,
        );
        ok = false;
        break;
      }
      pages.push({ offset: po, data: entry.subarray(dataAt, dataAt + ps) });
      dataAt += ps;
    }
    if (!ok) break;
    out.push({ log: h.index, offset: at, sequence, binsSize, pages });
    at += size;
  }
  return out;
}

function recoverNew(
  primary: Uint8Array,
  base: BaseBlock,
  logs: readonly LogHeader[],
  report: RecoveryReport,
): { bytes: Uint8Array | null; report: RecoveryReport } {
  report.format = 'new';
  // Note 6: a primary with a wrong checksum takes its base block from a log (the one with the
  // highest sequence, the most recent copy).
  let start: BaseBlock = base;
  let baseFrom: LogHeader | null = null;
  if (!checksumValid(base)) {
    for (const h of logs) if (baseFrom === null || h.base.sequence1 > baseFrom.base.sequence1) baseFrom = h;
    if (baseFrom === null) {
      report.notes.push('the primary base block is bad and no log has a valid one');
      return { bytes: null, report };
    }
    start = baseFrom.base;
  }
  const all: LogEntry[] = [];
  for (const h of logs) all.push(...parseEntries(h, report.notes));
  // Note 5: only entries at or after the primary sequence number, applied consecutively.
  const byseq = new Map<number, LogEntry>();
  for (const e of all) if (e.sequence >= start.sequence1 && !byseq.has(e.sequence)) byseq.set(e.sequence, e);
  let firstSeq = Number.POSITIVE_INFINITY;
  for (const s of byseq.keys()) if (s < firstSeq) firstSeq = s;
  const chain: LogEntry[] = [];
  for (let s = firstSeq; byseq.has(s); s++) chain.push(byseq.get(s) as LogEntry);
  if (chain.length === 0) {
    report.notes.push(`no log entry with sequence >= ${start.sequence1}`);
    if (baseFrom === null) return { bytes: null, report };
  }
  if (chain.length < byseq.size) {
    report.notes.push(
      `entries after sequence ${firstSeq + chain.length - 1} are not consecutive; not applied`,
    );
  }
  let binsSize = chain.at(-1)?.binsSize ?? start.hiveBinsDataSize;
  if (!binsSizeOk(binsSize)) binsSize = start.hiveBinsDataSize;
  let out = resized(primary, Math.max(binsSize, 0));
  if (baseFrom !== null) {
    out.set(baseFrom.bytes.subarray(0, 512), 0);
    report.baseBlockFromLog = true;
  }
  for (const e of chain) {
    if (BASE_BLOCK_SIZE + e.binsSize > out.length) out = resized(out, e.binsSize);
    for (const p of e.pages) out.set(p.data, BASE_BLOCK_SIZE + p.offset);
    report.entries.push(e.sequence);
    report.pages += e.pages.length;
  }
  const last = chain.at(-1);
  // "Sequence number: written both to a primary sequence number and to a secondary sequence
  // number of a base block when applying a transaction."
  const seq = last?.sequence ?? start.sequence1;
  out = out.length === BASE_BLOCK_SIZE + binsSize ? out : resized(out, binsSize);
  patchBaseBlock(out, { fileType: 0, sequence1: seq, sequence2: seq, hiveBinsDataSize: binsSize });
  report.applied = true;
  report.notes.push(
    `applied ${chain.length} log entries (new format), sequence ${chain[0]?.sequence ?? '-'}..${seq}`,
  );
  return { bytes: out, report };
}
