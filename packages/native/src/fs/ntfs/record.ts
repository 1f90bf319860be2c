import { FormatError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';

/**
 * MFT records ("FILE") and index records ("INDX"): their update sequence array and attributes.
 * Offsets from libyal libfsntfs documentation ("MFT entry header", "The attribute"), Linux
 * fs/ntfs3/ntfs.h (`struct MFT_REC`, `struct ATTRIB`) and ntfs-3g include/ntfs-3g/layout.h.
 */

/** Fix-up strides are always 512 bytes, whatever the sector size (ntfs-3g `NTFS_BLOCK_SIZE`). */
export const FIXUP_STRIDE = 512;
/** Attributes in one MFT record: a 64 KiB record holds at most 64 KiB / 24-byte headers. */
export const MAX_ATTRIBUTES_PER_RECORD = 65536 / 24;

export const ATTR = {
  STANDARD_INFORMATION: 0x10,
  ATTRIBUTE_LIST: 0x20,
  FILE_NAME: 0x30,
  OBJECT_ID: 0x40,
  SECURITY_DESCRIPTOR: 0x50,
  VOLUME_NAME: 0x60,
  VOLUME_INFORMATION: 0x70,
  DATA: 0x80,
  INDEX_ROOT: 0x90,
  INDEX_ALLOCATION: 0xa0,
  BITMAP: 0xb0,
  REPARSE_POINT: 0xc0,
  END: 0xffffffff,
} as const;

/** Attribute flags (header 0x0C). */
export const ATTR_FLAG_COMPRESSED = 0x0001;
export const ATTR_FLAG_ENCRYPTED = 0x4000;
export const ATTR_FLAG_SPARSE = 0x8000;

/**
 * Undoes the update sequence array of a multi-sector record in place (a copy is made by the caller):
 * header 0x04 u16 array offset, 0x06 u16 count (1 + strides); the array's first entry is the
 * sequence number that the last two bytes of every 512-byte stride must hold, the following
 * entries are the original bytes. A mismatch is a torn write: `ntfs/bad-fixup`.
 */
export function applyFixups(rec: Uint8Array, structure: string, offset: number): void {
  const v = new ByteView(rec, structure, offset);
  const usaOffset = v.u16le(4, 'update sequence offset');
  const usaCount = v.u16le(6, 'update sequence count');
  const strides = rec.length / FIXUP_STRIDE;
  if (
    usaCount !== strides + 1 ||
    usaOffset < 8 ||
    (usaOffset & 1) !== 0 ||
    usaOffset + usaCount * 2 > rec.length
  ) {
    throw new FormatError(
      'ntfs/bad-fixup',
      `${structure} at ${offset}: update sequence array (offset ${usaOffset}, count ${usaCount}) does not fit a ${rec.length}-byte record`,
      {
        data: { structure, offset, expected: strides + 1, actual: usaCount },
      },
    );
  }
  const check = v.u16le(usaOffset);
  for (let i = 1; i < usaCount; i++) {
    const end = i * FIXUP_STRIDE - 2;
    const actual = v.u16le(end);
    if (actual !== check) {
      throw new FormatError(
        'ntfs/bad-fixup',
        `${structure} at ${offset}: stride ${i - 1} ends in 0x${actual.toString(16)}, not the update sequence number 0x${check.toString(16)}`,
        {
          data: { structure, offset: offset + end, expected: check, actual },
        },
      );
    }
    rec[end] = rec[usaOffset + i * 2] ?? 0;
    rec[end + 1] = rec[usaOffset + i * 2 + 1] ?? 0;
  }
}

/** One attribute as found in a record (header fields decoded, value or runlist left as bytes). */
export interface RawAttribute {
  readonly type: number;
  /** Attribute name (`$I30`, a stream name); empty for unnamed. */
  readonly name: string;
  readonly flags: number;
  readonly id: number;
  /** MFT record the attribute lives in. */
  readonly record: number;
  readonly resident: boolean;
  /** Resident: the value. */
  readonly value?: Uint8Array;
  /** Non-resident: first and last VCN of this extent. */
  readonly startVcn?: number;
  readonly lastVcn?: number;
  /** Non-resident: runlist bytes. */
  readonly runlist?: Uint8Array;
  /** Absolute offset of the runlist in the volume, for messages. */
  readonly runlistOffset?: number;
  /** Non-resident, first extent only: log2 of the compression unit in clusters (0: none). */
  readonly compressionUnit?: number;
  readonly allocatedSize?: number;
  readonly dataSize?: number;
  readonly initializedSize?: number;
}

export interface MftRecord {
  readonly number: number;
  readonly sequence: number;
  readonly flags: number;
  readonly inUse: boolean;
  readonly isDirectory: boolean;
  /** Base record number; equal to `number` for a base record. */
  readonly base: number;
  readonly attributes: readonly RawAttribute[];
}

/** Splits a 64-bit file reference into its 48-bit record number and 16-bit sequence. */
export function fileRef(v: ByteView, o: number, field: string): { record: number; sequence: number } {
  const lo = v.u32le(o, field);
  const hi = v.u16le(o + 4, field);
  return { record: hi * 2 ** 32 + lo, sequence: v.u16le(o + 6, field) };
}

/**
 * Decodes an MFT record (fix-ups already applied). Header: 0x00 "FILE", 0x10 u16 sequence,
 * 0x12 u16 link count, 0x14 u16 first attribute offset, 0x16 u16 flags (0x1 in use, 0x2 has a
 * directory index), 0x18 u32 used size, 0x1C u32 allocated size, 0x20 u64 base record reference.
 */
export function parseMftRecord(rec: Uint8Array, number: number, offset: number): MftRecord {
  const structure = 'MFT record';
  const v = new ByteView(rec, structure, offset);
  const magic = v.latin1(0, 4);
  if (magic !== 'FILE') {
    throw new FormatError(
      'ntfs/bad-record-magic',
      `MFT record ${number} at ${offset} starts with ${JSON.stringify(magic)}, not "FILE"`,
      {
        data: { structure, offset, record: number, expected: 'FILE', actual: magic },
      },
    );
  }
  const sequence = v.u16le(0x10);
  const firstAttr = v.u16le(0x14);
  const flags = v.u16le(0x16);
  const used = v.u32le(0x18);
  if (used > rec.length || firstAttr < 0x2a || firstAttr >= used) {
    throw new FormatError(
      'ntfs/bad-record',
      `MFT record ${number} at ${offset}: used size ${used} or first attribute ${firstAttr} is outside the ${rec.length}-byte record`,
      {
        data: { structure, offset, record: number, expected: `<= ${rec.length}`, actual: used },
      },
    );
  }
  const baseRef = fileRef(v, 0x20, 'base record');
  const base = baseRef.record === 0 ? number : baseRef.record;
  const attributes: RawAttribute[] = [];
  let o = firstAttr;
  for (let i = 0; ; i++) {
    if (i > MAX_ATTRIBUTES_PER_RECORD) {
      throw new FormatError(
        'ntfs/bad-attribute',
        `MFT record ${number}: more than ${MAX_ATTRIBUTES_PER_RECORD} attributes`,
        {
          data: { structure, offset, record: number, cap: MAX_ATTRIBUTES_PER_RECORD },
        },
      );
    }
    if (o + 4 > used) break;
    const type = v.u32le(o, 'attribute type');
    if (type === ATTR.END) break;
    const len = o + 8 <= used ? v.u32le(o + 4, 'attribute length') : 0;
    if (len < 0x18 || (len & 7) !== 0 || o + len > used) {
      throw new FormatError(
        'ntfs/bad-attribute',
        `MFT record ${number}: attribute 0x${type.toString(16)} at +${o} has length ${len}, outside the record`,
        {
          data: {
            structure: 'attribute',
            offset: offset + o,
            record: number,
            expected: `8-aligned, 24..${used - o}`,
            actual: len,
          },
        },
      );
    }
    attributes.push(parseAttribute(v.sub(o, len, 'attribute'), number));
    o += len;
  }
  return {
    number,
    sequence,
    flags,
    inUse: (flags & 1) !== 0,
    isDirectory: (flags & 2) !== 0,
    base,
    attributes,
  };
}

/**
 * One attribute. Header: 0x00 u32 type, 0x04 u32 length, 0x08 u8 non-resident, 0x09 u8 name length
 * (UTF-16 units), 0x0A u16 name offset, 0x0C u16 flags, 0x0E u16 id. Resident: 0x10 u32 value length,
 * 0x14 u16 value offset. Non-resident: 0x10 u64 first VCN, 0x18 u64 last VCN, 0x20 u16 runlist
 * offset, 0x22 u16 compression unit (log2 clusters), 0x28 u64 allocated, 0x30 u64 data size,
 * 0x38 u64 initialized size.
 */
function parseAttribute(a: ByteView, record: number): RawAttribute {
  const type = a.u32le(0);
  const nonResident = a.u8(8, 'non-resident flag');
  const nameLength = a.u8(9, 'name length');
  const nameOffset = a.u16le(0x0a, 'name offset');
  const flags = a.u16le(0x0c, 'flags');
  const id = a.u16le(0x0e, 'id');
  const name = nameLength === 0 ? '' : a.utf16le(nameOffset, nameLength * 2, { field: 'name' });
  const bad = (field: string, actual: unknown, expected: string) =>
    new FormatError(
      'ntfs/bad-attribute',
      `attribute 0x${type.toString(16)} of MFT record ${record} at ${a.base}: ${field} ${String(actual)}, expected ${expected}`,
      {
        data: { structure: 'attribute', offset: a.base, record, field, expected, actual },
      },
    );
  if (nonResident === 0) {
    const vlen = a.u32le(0x10, 'value length');
    const voff = a.u16le(0x14, 'value offset');
    if (voff + vlen > a.length) throw bad('value', `${vlen} bytes at +${voff}`, `inside ${a.length} bytes`);
    return { type, name, flags, id, record, resident: true, value: a.bytesAt(voff, vlen) };
  }
  if (nonResident !== 1) throw bad('non-resident flag', nonResident, '0 or 1');
  if (a.length < 0x40) throw bad('length', a.length, '>= 64 for a non-resident attribute');
  const startVcn = a.u64leSafe(0x10, 'first VCN');
  const lastVcnRaw = a.i64le(0x18, 'last VCN');
  // An empty non-resident attribute has last VCN -1.
  const lastVcn = lastVcnRaw < 0n ? startVcn - 1 : a.u64leSafe(0x18, 'last VCN');
  const rlOffset = a.u16le(0x20, 'runlist offset');
  if (rlOffset < 0x40 || rlOffset > a.length) throw bad('runlist offset', rlOffset, `64..${a.length}`);
  if (lastVcn < startVcn - 1) throw bad('last VCN', lastVcn, `>= ${startVcn - 1}`);
  const compressionUnit = a.u16le(0x22, 'compression unit');
  return {
    type,
    name,
    flags,
    id,
    record,
    resident: false,
    startVcn,
    lastVcn,
    runlist: a.bytesAt(rlOffset, a.length - rlOffset),
    runlistOffset: a.base + rlOffset,
    compressionUnit,
    allocatedSize: a.u64leSafe(0x28, 'allocated size'),
    dataSize: a.u64leSafe(0x30, 'data size'),
    initializedSize: a.u64leSafe(0x38, 'initialized size'),
  };
}

/** Windows FILETIME (100 ns since 1601-01-01 UTC) to Unix milliseconds. */
export function filetimeToMs(ft: bigint): number {
  return Number(ft / 10000n) - 11644473600000;
}

/** Namespaces of a $FILE_NAME (0x41): POSIX, Win32, DOS (8.3 only), Win32 and DOS in one name. */
export const NS_POSIX = 0;
export const NS_WIN32 = 1;
export const NS_DOS = 2;
export const NS_WIN32_DOS = 3;

export interface FileName {
  readonly parent: number;
  readonly parentSequence: number;
  readonly name: string;
  readonly namespace: number;
  readonly flags: number;
  readonly reparseTag: number;
  readonly dataSize: number;
}

/**
 * $FILE_NAME (0x30): 0x00 u64 parent reference, 0x08..0x27 four FILETIMEs, 0x28 u64 allocated,
 * 0x30 u64 real size, 0x38 u32 DOS flags, 0x3C u32 reparse tag (or EA size), 0x40 u8 name length
 * (UTF-16 units), 0x41 u8 namespace, 0x42 name.
 */
export function parseFileName(value: Uint8Array, offset: number): FileName {
  const v = new ByteView(value, '$FILE_NAME', offset);
  const parent = fileRef(v, 0, 'parent');
  const len = v.u8(0x40, 'name length');
  return {
    parent: parent.record,
    parentSequence: parent.sequence,
    dataSize: v.u64leSafe(0x30, 'real size'),
    flags: v.u32le(0x38, 'flags'),
    reparseTag: v.u32le(0x3c, 'reparse tag'),
    namespace: v.u8(0x41, 'namespace'),
    name: v.utf16le(0x42, len * 2, { field: 'name' }),
  };
}
