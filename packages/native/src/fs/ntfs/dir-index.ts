import { FormatError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';
import { applyFixups, type FileName, fileRef, parseFileName } from './record.js';

/**
 * Directory indexes ($I30): an $INDEX_ROOT node in the MFT record and, for larger directories,
 * INDX records in $INDEX_ALLOCATION, forming a B+tree ordered by the upper-cased name
 * (libfsntfs "Index", ntfs-3g layout.h `INDEX_ROOT`, `INDEX_BLOCK`, `INDEX_ENTRY`).
 */

/** A B+tree of this depth with the minimum fan-out of 2 holds 2^32 entries: deeper is a loop or corruption. */
export const MAX_INDEX_DEPTH = 32;
/** Entries one directory listing may hold; the largest real directories (WinSxS) have ~100,000. */
export const MAX_DIR_ENTRIES = 1_000_000;

export interface IndexEntry {
  readonly record: number;
  readonly sequence: number;
  /** Absent on the last entry of a node, which carries only a child pointer. */
  readonly name?: FileName;
  /** VCN of the child node holding the names that sort before this entry. */
  readonly child?: number;
}

export interface IndexRoot {
  readonly indexRecordSize: number;
  readonly entries: readonly IndexEntry[];
}

/**
 * $INDEX_ROOT value: 0x00 u32 indexed attribute type (0x30 for $I30), 0x04 u32 collation rule
 * (1 = file name), 0x08 u32 index record size, 0x0C u8 clusters per index record, 0x10 node header.
 */
export function parseIndexRoot(value: Uint8Array, record: number): IndexRoot {
  const v = new ByteView(value, '$INDEX_ROOT');
  const type = v.u32le(0, 'indexed type');
  const collation = v.u32le(4, 'collation rule');
  if (type !== 0x30 || collation !== 1) {
    throw new FormatError(
      'ntfs/bad-index',
      `$I30 of record ${record} indexes type 0x${type.toString(16)} with collation ${collation}`,
      {
        data: {
          structure: '$INDEX_ROOT',
          record,
          expected: 'type 0x30, collation 1',
          actual: `0x${type.toString(16)}/${collation}`,
        },
      },
    );
  }
  const indexRecordSize = v.u32le(8, 'index record size');
  return { indexRecordSize, entries: parseNode(v, 0x10, record, '$INDEX_ROOT') };
}

/**
 * An INDX record (fix-ups applied here): 0x00 "INDX", 0x10 u64 VCN of this record, 0x18 node header.
 * `expectedVcn` guards against a child pointer that lands on another node.
 */
export function parseIndexRecord(
  bytes: Uint8Array,
  offset: number,
  expectedVcn: number,
  record: number,
): IndexEntry[] {
  const rec = new Uint8Array(bytes); // a copy (Buffer#slice would share memory)
  const v = new ByteView(rec, 'INDX record', offset);
  const magic = v.latin1(0, 4);
  if (magic !== 'INDX') {
    throw new FormatError(
      'ntfs/bad-index',
      `INDX record at ${offset} (VCN ${expectedVcn} of directory ${record}) starts with ${JSON.stringify(magic)}`,
      {
        data: { structure: 'INDX record', offset, record, expected: 'INDX', actual: magic },
      },
    );
  }
  applyFixups(rec, 'INDX record', offset);
  const vcn = v.u64leSafe(0x10, 'VCN');
  if (vcn !== expectedVcn) {
    throw new FormatError(
      'ntfs/bad-index',
      `INDX record at ${offset} says VCN ${vcn}, was reached as VCN ${expectedVcn}`,
      {
        data: { structure: 'INDX record', offset, record, expected: expectedVcn, actual: vcn },
      },
    );
  }
  return parseNode(v, 0x18, record, 'INDX record');
}

/**
 * Index node header: 0x00 u32 offset of the first entry, 0x04 u32 end of the used entries (both
 * from the header), 0x08 u32 allocated, 0x0C u8 flags. Entry: 0x00 u64 file reference,
 * 0x08 u16 entry length, 0x0A u16 key length, 0x0C u32 flags (0x1 has a child, 0x2 last entry),
 * 0x10 key ($FILE_NAME), and in the last 8 bytes the child VCN when flag 0x1 is set.
 */
function parseNode(v: ByteView, header: number, record: number, structure: string): IndexEntry[] {
  const first = v.u32le(header, 'entries offset');
  const used = v.u32le(header + 4, 'index length');
  const end = header + used;
  if (end > v.length || header + first > end) {
    throw new FormatError(
      'ntfs/bad-index',
      `${structure} of directory ${record} at ${v.base}: entries ${first}..${used} run past its ${v.length} bytes`,
      {
        data: {
          structure,
          offset: v.base + header,
          record,
          expected: `<= ${v.length - header}`,
          actual: used,
        },
      },
    );
  }
  const entries: IndexEntry[] = [];
  let o = header + first;
  for (;;) {
    if (o + 0x10 > end) {
      throw new FormatError(
        'ntfs/bad-index',
        `${structure} of directory ${record}: entry at ${v.base + o} runs past the node without a last entry`,
        {
          data: { structure, offset: v.base + o, record },
        },
      );
    }
    const length = v.u16le(o + 8, 'entry length');
    const keyLength = v.u16le(o + 0x0a, 'key length');
    const flags = v.u32le(o + 0x0c, 'entry flags');
    const hasChild = (flags & 1) !== 0;
    const last = (flags & 2) !== 0;
    if (
      length < 0x10 + (hasChild ? 8 : 0) ||
      (length & 7) !== 0 ||
      o + length > end ||
      (!last && 0x10 + keyLength > length)
    ) {
      throw new FormatError(
        'ntfs/bad-index',
        `${structure} of directory ${record}: entry at ${v.base + o} has length ${length}, key ${keyLength}`,
        {
          data: {
            structure,
            offset: v.base + o,
            record,
            expected: `8-aligned, 16..${end - o}`,
            actual: length,
          },
        },
      );
    }
    const child = hasChild ? v.u64leSafe(o + length - 8, 'child VCN') : undefined;
    if (last) {
      entries.push({ record: 0, sequence: 0, ...(child === undefined ? {} : { child }) });
      break;
    }
    const ref = fileRef(v, o, 'file reference');
    const name = parseFileName(v.bytesAt(o + 0x10, keyLength, 'key'), v.base + o + 0x10);
    entries.push({
      record: ref.record,
      sequence: ref.sequence,
      name,
      ...(child === undefined ? {} : { child }),
    });
    o += length;
  }
  return entries;
}

/**
 * The volume's $UpCase table (MFT record 10): 65,536 UTF-16 code units, the upper-case form of
 * each, which the $I30 collation compares names by.
 */
export class UpCase {
  constructor(private readonly table: Uint16Array) {}

  static parse(bytes: Uint8Array, offset: number): UpCase {
    if (bytes.length !== 131072) {
      throw new FormatError(
        'ntfs/bad-upcase',
        `$UpCase at ${offset} is ${bytes.length} bytes, expected 131072`,
        {
          data: { structure: '$UpCase', offset, expected: 131072, actual: bytes.length },
        },
      );
    }
    const t = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) t[i] = (bytes[2 * i] ?? 0) | ((bytes[2 * i + 1] ?? 0) << 8);
    return new UpCase(t);
  }

  upper(name: string): string {
    let out = '';
    for (let i = 0; i < name.length; i++) out += String.fromCharCode(this.table[name.charCodeAt(i)] ?? 0);
    return out;
  }

  /** The $I30 collation: upper-cased UTF-16 code units compared in order, a prefix first. */
  static compare(a: string, b: string): number {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const d = a.charCodeAt(i) - b.charCodeAt(i);
      if (d !== 0) return d;
    }
    return a.length - b.length;
  }
}
