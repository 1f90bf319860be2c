import { FormatError } from '@imagecheck/access';
import { ByteView, inRange } from '@imagecheck/binary';
import { type ByteSource, clampRead, SliceSource } from '../../block/index.js';
import { crc32c } from '../../checksum/crc32c.js';

/*
 * VHDX log replay, in memory and read-only (MS-VHDX §2.3 "Log"). The log is a circular buffer of
 * entries, each a multiple of 4 KiB, little-endian:
 *   entry header: 0 'loge'  4 checksum (CRC-32C of the whole entry, this field zero)
 *     8 entry length u32  12 tail u32 (log offset of the first entry of this sequence)
 *    16 sequence number u64  24 descriptor count u32  32 log GUID  48 flushed file offset u64
 *    56 last file offset u64; descriptors of 32 bytes follow at 64:
 *   zero descriptor: 0 'zero'  8 zero length u64  16 file offset u64  24 sequence number u64
 *   data descriptor: 0 'desc'  4 trailing bytes (4)  8 leading bytes (8)  16 file offset u64
 *     24 sequence number u64; its 4 KiB data sector follows the descriptor area:
 *   data sector: 0 'data'  4 sequence high u32  8 data (4084)  4092 sequence low u32.
 * The active sequence is the run of consecutive, valid entries with the highest sequence number
 * whose head's tail points back into the run; its writes are applied in order.
 */

/** Descriptors per entry: an entry is at most the whole log, 32 bytes per descriptor. */
const MAX_LOG_LENGTH = 256 * 1024 * 1024;

interface Entry {
  offset: number;
  length: number;
  tail: number;
  seq: bigint;
  lastFileOffset: number;
  bytes: Uint8Array;
}

interface Write {
  offset: number;
  length: number;
  data: Uint8Array | undefined; // undefined: zeros
}

function bad(code: string, message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError(code, message, { data: { format: 'vhdx', ...data } });
}

async function readCircular(
  file: ByteSource,
  logOffset: number,
  logLength: number,
  at: number,
  length: number,
): Promise<Uint8Array> {
  const first = Math.min(length, logLength - at);
  const a = await file.read(logOffset + at, first);
  if (first === length) return a;
  const out = new Uint8Array(length);
  out.set(a);
  out.set(await file.read(logOffset, length - first), first);
  return out;
}

async function readEntry(
  file: ByteSource,
  logOffset: number,
  logLength: number,
  at: number,
  logGuid: string,
): Promise<Entry | undefined> {
  const hv = new ByteView(await file.read(logOffset + at, 64), 'VHDX log entry header', logOffset + at);
  if (hv.latin1(0, 4) !== 'loge') return undefined;
  const length = hv.u32le(8);
  if (length < 4096 || length % 4096 !== 0 || length > logLength) return undefined;
  if (hv.guid(32) !== logGuid) return undefined;
  const bytes = await readCircular(file, logOffset, logLength, at, length);
  if (crc32c(bytes, 4) !== hv.u32le(4)) return undefined;
  const count = hv.u32le(24);
  if (64 + count * 32 > length) return undefined;
  return {
    offset: at,
    length,
    tail: hv.u32le(12),
    seq: hv.u64le(16),
    lastFileOffset: inRange(hv.u64le(56), 0, Number.MAX_SAFE_INTEGER, 'vhdx/bad-log', 'last file offset'),
    bytes,
  };
}

/** Finds and decodes the active log sequence; returns its writes in replay order. */
export async function replayLog(
  file: ByteSource,
  logOffset: number,
  logLength: number,
  logGuid: string,
): Promise<{ writes: Write[]; entries: number; size: number }> {
  if (
    logLength === 0 ||
    logLength % (1024 * 1024) !== 0 ||
    logLength > MAX_LOG_LENGTH ||
    logOffset + logLength > file.size
  ) {
    throw bad('vhdx/bad-log', `log at ${logOffset} (${logLength} bytes) is malformed or outside the file`, {
      offset: logOffset,
      length: logLength,
    });
  }
  const valid = new Map<number, Entry>();
  for (let at = 0; at < logLength; at += 4096) {
    const e = await readEntry(file, logOffset, logLength, at, logGuid);
    if (e !== undefined) valid.set(at, e);
  }
  let best: Entry[] | undefined;
  for (const start of valid.values()) {
    const run: Entry[] = [start];
    // A run cannot be longer than the log has 4 KiB slots.
    for (let i = 0; i < logLength / 4096; i++) {
      const last = run[run.length - 1] as Entry;
      const next = valid.get((last.offset + last.length) % logLength);
      if (next === undefined || next.seq !== last.seq + 1n || next === start) break;
      run.push(next);
    }
    const head = run[run.length - 1] as Entry;
    const tailAt = run.findIndex((e) => e.offset === head.tail);
    if (tailAt === -1) continue;
    const seqRun = run.slice(tailAt);
    if (best === undefined || head.seq > (best[best.length - 1] as Entry).seq) best = seqRun;
  }
  if (best === undefined)
    throw bad('vhdx/no-log-sequence', 'the log needs replay but holds no complete, valid sequence');

  const writes: Write[] = [];
  for (const e of best) {
    const ev = new ByteView(e.bytes, 'VHDX log entry', logOffset + e.offset);
    const count = ev.u32le(24);
    let dataSector = Math.ceil((64 + count * 32) / 4096) * 4096;
    for (let i = 0; i < count; i++) {
      const dv = ev.sub(64 + i * 32, 32, 'VHDX log descriptor');
      const kind = dv.latin1(0, 4);
      const fileOffset = inRange(
        dv.u64le(16),
        0,
        Number.MAX_SAFE_INTEGER,
        'vhdx/bad-log',
        'descriptor file offset',
      );
      if (fileOffset % 4096 !== 0)
        throw bad('vhdx/bad-log', `log descriptor writes at unaligned offset ${fileOffset}`);
      if (kind === 'zero') {
        const length = inRange(dv.u64le(8), 0, Number.MAX_SAFE_INTEGER, 'vhdx/bad-log', 'zero length');
        if (length % 4096 !== 0)
          throw bad('vhdx/bad-log', `zero descriptor length ${length} is not 4 KiB aligned`);
        writes.push({ offset: fileOffset, length, data: undefined });
      } else if (kind === 'desc') {
        if (dataSector + 4096 > e.length) throw bad('vhdx/bad-log', 'data descriptor has no data sector');
        const sv = ev.sub(dataSector, 4096, 'VHDX log data sector');
        const s = sv.bytes;
        const seq = dv.u64le(24);
        if (
          sv.latin1(0, 4) !== 'data' ||
          BigInt(sv.u32le(4)) !== seq >> 32n ||
          BigInt(sv.u32le(4092)) !== (seq & 0xffffffffn)
        ) {
          throw bad(
            'vhdx/bad-log',
            `data sector of entry at log offset ${e.offset} does not match its descriptor`,
          );
        }
        const page = new Uint8Array(4096);
        page.set(dv.bytesAt(8, 8), 0); // leading bytes
        page.set(s.subarray(8, 4092), 8);
        page.set(dv.bytesAt(4, 4), 4092); // trailing bytes
        writes.push({ offset: fileOffset, length: 4096, data: page });
        dataSector += 4096;
      } else {
        throw bad('vhdx/bad-log', `unknown log descriptor '${kind}'`);
      }
    }
  }
  const head = best[best.length - 1] as Entry;
  return { writes, entries: best.length, size: Math.max(file.size, head.lastFileOffset) };
}

/** The host file as it would be after replaying the log: the log's writes laid over its bytes. */
export class ReplayedSource implements ByteSource {
  constructor(
    private readonly base: ByteSource,
    private readonly writes: readonly Write[],
    readonly size: number,
  ) {}

  async read(offset: number, length: number, options?: { allowShort?: boolean }): Promise<Uint8Array> {
    const end = clampRead(this.size, offset, length, options?.allowShort === true, 'vhdx log replay');
    const out = new Uint8Array(end - offset);
    const baseEnd = Math.min(end, this.base.size);
    if (baseEnd > offset) out.set(await this.base.read(offset, baseEnd - offset));
    for (const w of this.writes) {
      const a = Math.max(offset, w.offset);
      const b = Math.min(end, w.offset + w.length);
      if (a >= b) continue;
      if (w.data === undefined) out.fill(0, a - offset, b - offset);
      else out.set(w.data.subarray(a - w.offset, b - w.offset), a - offset);
    }
    return out;
  }

  slice(offset: number, length: number): ByteSource {
    return new SliceSource(this, offset, length);
  }
}
