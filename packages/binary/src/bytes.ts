import { FormatError } from '@imagecheck/access';

/**
 * Bounds-checked readers of on-disk structures from bytes already read.
 *
 * Every reader names the structure it decodes and the absolute offset of the bytes it was given,
 * so that a short or crafted structure fails with one typed error everywhere:
 * `FormatError('binary/out-of-range')` with `data: { structure, offset, size, length }`, the
 * offset counted from the start of the source the bytes came from (the image, a partition, a
 * file), not from the buffer. Names carry endianness; 64-bit values come back as `bigint`, or as
 * a number only through the `*Safe` readers, which refuse values above 2^53 (no real offset or
 * size is larger; such a value is a corrupt or hostile field).
 *
 * In the spirit of Borewit/token-types: structures are declared by their offsets and decoded
 * synchronously; only the byte source is asynchronous.
 */
export class ByteView {
  /** A DataView is cheap to make, but one per view is cheaper than one per field. */
  private readonly view: DataView;

  /**
   * @param bytes the bytes of the structure (a sector, a record, a cell)
   * @param structure what they are, for messages (`NTFS boot sector`, `regf base block`)
   * @param base the absolute offset of `bytes[0]` in its source, for messages; default 0
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly structure: string,
    readonly base = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Throws unless `[offset, offset + size)` lies inside the bytes. */
  check(offset: number, size: number, field?: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0) {
      throw this.outOfRange(offset, size, field);
    }
    if (offset + size > this.bytes.length) throw this.outOfRange(offset, size, field);
  }

  private outOfRange(offset: number, size: number, field: string | undefined): FormatError {
    const what = field === undefined ? this.structure : `${this.structure} ${field}`;
    return new FormatError(
      'binary/out-of-range',
      `${what}: ${size} bytes at offset ${this.base + offset} run past the end of the ${this.bytes.length}-byte structure at ${this.base}`,
      {
        data: {
          structure: this.structure,
          ...(field === undefined ? {} : { field }),
          offset: this.base + offset,
          size,
          length: this.bytes.length,
        },
      },
    );
  }

  u8(o: number, field?: string): number {
    this.check(o, 1, field);
    return this.view.getUint8(o);
  }
  i8(o: number, field?: string): number {
    this.check(o, 1, field);
    return this.view.getInt8(o);
  }
  u16le(o: number, field?: string): number {
    this.check(o, 2, field);
    return this.view.getUint16(o, true);
  }
  u16be(o: number, field?: string): number {
    this.check(o, 2, field);
    return this.view.getUint16(o, false);
  }
  i16le(o: number, field?: string): number {
    this.check(o, 2, field);
    return this.view.getInt16(o, true);
  }
  u24le(o: number, field?: string): number {
    this.check(o, 3, field);
    return this.view.getUint16(o, true) | (this.view.getUint8(o + 2) << 16);
  }
  u32le(o: number, field?: string): number {
    this.check(o, 4, field);
    return this.view.getUint32(o, true);
  }
  u32be(o: number, field?: string): number {
    this.check(o, 4, field);
    return this.view.getUint32(o, false);
  }
  i32le(o: number, field?: string): number {
    this.check(o, 4, field);
    return this.view.getInt32(o, true);
  }
  i32be(o: number, field?: string): number {
    this.check(o, 4, field);
    return this.view.getInt32(o, false);
  }
  u64le(o: number, field?: string): bigint {
    this.check(o, 8, field);
    return this.view.getBigUint64(o, true);
  }
  u64be(o: number, field?: string): bigint {
    this.check(o, 8, field);
    return this.view.getBigUint64(o, false);
  }
  i64le(o: number, field?: string): bigint {
    this.check(o, 8, field);
    return this.view.getBigInt64(o, true);
  }
  /**
   * A u64 as a number for fields a range check follows (btrfs, exFAT sizes and offsets): a value
   * above 2^53 - 1, never a valid size or offset, becomes Infinity, so that check fails with the
   * structure's own code rather than this reader's.
   */
  u64leNumber(o: number, field?: string): number {
    const v = this.u64le(o, field);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
  }
  /** A u64 as a number; a value above 2^53 - 1 is `binary/u64-too-large` naming the field. */
  u64leSafe(o: number, field: string): number {
    return this.safe(this.u64le(o, field), o, field);
  }
  u64beSafe(o: number, field: string): number {
    return this.safe(this.u64be(o, field), o, field);
  }

  private safe(value: bigint, o: number, field: string): number {
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new FormatError(
        'binary/u64-too-large',
        `${this.structure} ${field} at offset ${this.base + o} is too large: ${value}`,
        { data: { structure: this.structure, field, offset: this.base + o, actual: value.toString() } },
      );
    }
    return Number(value);
  }

  /** `size` bytes at `o`, sharing memory with the view (callers must not modify them). */
  bytesAt(o: number, size: number, field?: string): Uint8Array {
    this.check(o, size, field);
    return this.bytes.subarray(o, o + size);
  }

  /** A view of `[o, o + size)` named `structure`, its base carried along for messages. */
  sub(o: number, size: number, structure: string = this.structure): ByteView {
    this.check(o, size, structure);
    return new ByteView(this.bytes.subarray(o, o + size), structure, this.base + o);
  }

  /** Bytes as code points 0-255 (ASCII and Latin-1 names); stops at the first NUL when `nulTerminated`. */
  latin1(o: number, size: number, options: { nulTerminated?: boolean; field?: string } = {}): string {
    return latin1(this.bytesAt(o, size, options.field), options.nulTerminated ?? false);
  }

  /** UTF-16LE text; stops at the first NUL code unit when `nulTerminated`. An odd byte is dropped. */
  utf16le(o: number, size: number, options: { nulTerminated?: boolean; field?: string } = {}): string {
    return utf16le(this.bytesAt(o, size, options.field), options.nulTerminated ?? false);
  }

  /** UTF-16BE text (VHD parent names); stops at the first NUL code unit when `nulTerminated`. */
  utf16be(o: number, size: number, options: { nulTerminated?: boolean; field?: string } = {}): string {
    return utf16be(this.bytesAt(o, size, options.field), options.nulTerminated ?? false);
  }

  /** UTF-8 text, invalid sequences as U+FFFD; stops at the first NUL when `nulTerminated`. */
  utf8(o: number, size: number, options: { nulTerminated?: boolean; field?: string } = {}): string {
    let b = this.bytesAt(o, size, options.field);
    if (options.nulTerminated) {
      const nul = b.indexOf(0);
      if (nul >= 0) b = b.subarray(0, nul);
    }
    return UTF8.decode(b);
  }

  /** A GUID in its mixed-endian Microsoft form (first three fields little-endian), lower case. */
  guid(o: number, field?: string): string {
    return guidString(this.bytesAt(o, 16, field));
  }

  /** A 16-byte UUID in network (big-endian) order, lower case. */
  uuid(o: number, field?: string): string {
    return uuidString(this.bytesAt(o, 16, field));
  }
}

const UTF8 = new TextDecoder('utf-8');
const UTF16LE = new TextDecoder('utf-16le');

export function latin1(b: Uint8Array, nulTerminated = false): string {
  let end = b.length;
  if (nulTerminated) {
    const nul = b.indexOf(0);
    if (nul >= 0) end = nul;
  }
  let s = '';
  // Chunks keep String.fromCharCode's argument list short on long names.
  for (let i = 0; i < end; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(end, i + 8192)));
  }
  return s;
}

export function utf16le(b: Uint8Array, nulTerminated = false): string {
  let end = b.length & ~1;
  if (nulTerminated) {
    for (let i = 0; i + 1 < end; i += 2) {
      if (b[i] === 0 && b[i + 1] === 0) {
        end = i;
        break;
      }
    }
  }
  return UTF16LE.decode(b.subarray(0, end));
}

/** UTF-16BE: the bytes of each code unit swapped, then decoded as UTF-16LE. */
export function utf16be(b: Uint8Array, nulTerminated = false): string {
  const swapped = new Uint8Array(b.length & ~1);
  for (let i = 0; i + 1 < b.length; i += 2) {
    swapped[i] = b[i + 1] as number;
    swapped[i + 1] = b[i] as number;
  }
  return utf16le(swapped, nulTerminated);
}

function hex(b: Uint8Array, order: readonly number[]): string {
  let s = '';
  for (const i of order) s += (b[i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

/** 16 bytes in the Microsoft mixed-endian GUID layout, as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export function guidString(b: Uint8Array): string {
  return `${hex(b, [3, 2, 1, 0])}-${hex(b, [5, 4])}-${hex(b, [7, 6])}-${hex(b, [8, 9])}-${hex(b, [10, 11, 12, 13, 14, 15])}`;
}

/** 16 bytes in network order, as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export function uuidString(b: Uint8Array): string {
  return `${hex(b, [0, 1, 2, 3])}-${hex(b, [4, 5])}-${hex(b, [6, 7])}-${hex(b, [8, 9])}-${hex(b, [10, 11, 12, 13, 14, 15])}`;
}

/**
 * Checks a count, length or offset read from an image against a named cap before it is used;
 * `binary/over-cap` names the field, the value and the cap.
 */
export function capped(value: number, cap: number, field: string, structure: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > cap) {
    throw new FormatError('binary/over-cap', `${structure} ${field} = ${value} exceeds the cap of ${cap}`, {
      data: { structure, field, actual: value, cap },
    });
  }
  return value;
}

/** True when `n` bytes of `b` from `o` are all zero (an unused slot, an empty sector). */
export function isZero(b: Uint8Array, o = 0, n = b.length - o): boolean {
  const end = Math.min(b.length, o + n);
  for (let i = Math.max(0, o); i < end; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Checks a value read from an image against `[min, max]` and returns it as a number; otherwise a
 * `FormatError` with the caller's format-specific `code` (`qcow2/bad-cluster-bits`), naming the
 * field, the value and the bounds. A 64-bit field may be passed as a bigint: a value beyond 2^53
 * fails here instead of losing precision.
 */
export function inRange(
  value: number | bigint,
  min: number,
  max: number,
  code: string,
  field: string,
): number {
  const ok =
    typeof value === 'bigint'
      ? value >= BigInt(min) && value <= BigInt(max)
      : Number.isSafeInteger(value) && value >= min && value <= max;
  if (!ok) {
    throw new FormatError(code, `${field} = ${value} is outside [${min}, ${max}]`, {
      data: { field, actual: typeof value === 'bigint' ? value.toString() : value, min, max },
    });
  }
  return Number(value);
}
