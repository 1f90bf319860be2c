import { FormatError } from '@imagecheck/access';
import { type ByteSource, clampRead, SliceSource } from '../block/index.js';

/*
 * Little helpers shared by the container readers. Integer readers carry their endianness in the
 * name; 64-bit values are returned as numbers only when they are safe integers, otherwise the
 * caller gets a FormatError naming the field (a crafted image cannot smuggle in a lossy offset).
 */

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export const u8 = (b: Uint8Array, o: number): number => view(b).getUint8(o);
export const u16le = (b: Uint8Array, o: number): number => view(b).getUint16(o, true);
export const u16be = (b: Uint8Array, o: number): number => view(b).getUint16(o, false);
export const u32le = (b: Uint8Array, o: number): number => view(b).getUint32(o, true);
export const u32be = (b: Uint8Array, o: number): number => view(b).getUint32(o, false);
export const u64le = (b: Uint8Array, o: number): bigint => view(b).getBigUint64(o, true);
export const u64be = (b: Uint8Array, o: number): bigint => view(b).getBigUint64(o, false);

/** A 64-bit field as a number, or a FormatError naming the field when it is not a safe integer. */
export function safe(value: bigint, code: string, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FormatError(code, `${field} is too large: ${value}`, {
      data: { field, actual: value.toString() },
    });
  }
  return Number(value);
}

/** Throws a FormatError unless `value` is within [min, max]; `cap` names the limit in messages. */
export function checkRange(value: number, min: number, max: number, code: string, field: string): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new FormatError(code, `${field} = ${value} is outside [${min}, ${max}]`, {
      data: { field, actual: value, min, max },
    });
  }
  return value;
}

export function ascii(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = o; i < o + n && i < b.length; i++) s += String.fromCharCode(b[i] ?? 0);
  return s;
}

export function utf16le(b: Uint8Array, o: number, n: number): string {
  const s = new TextDecoder('utf-16le').decode(b.subarray(o, o + n));
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
}

export function utf16be(b: Uint8Array, o: number, n: number): string {
  const swapped = new Uint8Array(n);
  for (let i = 0; i + 1 < n; i += 2) {
    swapped[i] = b[o + i + 1] ?? 0;
    swapped[i + 1] = b[o + i] ?? 0;
  }
  return utf16le(swapped, 0, n);
}

/** A GUID in its mixed-endian on-disk form (first three fields little-endian), as lower-case text. */
export function guid(b: Uint8Array, o: number): string {
  const h = (i: number) => (b[o + i] ?? 0).toString(16).padStart(2, '0');
  const d1 = [3, 2, 1, 0].map(h).join('');
  const d2 = [5, 4].map(h).join('');
  const d3 = [7, 6].map(h).join('');
  const d4 = [8, 9].map(h).join('');
  const d5 = [10, 11, 12, 13, 14, 15].map(h).join('');
  return `${d1}-${d2}-${d3}-${d4}-${d5}`;
}

/** A 16-byte UUID in network (big-endian) order, as lower-case text (VDI, VHD). */
export function uuidBE(b: Uint8Array, o: number): string {
  const hex = Array.from(b.subarray(o, o + 16), (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Reads `length` bytes at `offset` of a host file that the container's mapping says must exist.
 * A mapping that points past the end of the file (a truncated or crafted image) is a FormatError.
 */
export async function readMapped(
  file: ByteSource,
  offset: number,
  length: number,
  code: string,
  what: string,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > file.size) {
    throw new FormatError(
      code,
      `${what} at ${offset} (+${length}) is past the end of the file (${file.size} bytes)`,
      {
        data: { offset, length, fileSize: file.size },
      },
    );
  }
  return file.read(offset, length);
}

/**
 * The virtual disk of a mapped container, read in units (cluster, grain, block). Subclasses map
 * one unit at a time; `out` arrives zero-filled, so unallocated and zero units need no work.
 */
export abstract class ChunkedSource implements ByteSource {
  constructor(
    readonly size: number,
    protected readonly chunkSize: number,
    private readonly label: string,
  ) {}

  async read(offset: number, length: number, options?: { allowShort?: boolean }): Promise<Uint8Array> {
    const end = clampRead(this.size, offset, length, options?.allowShort === true, this.label);
    const out = new Uint8Array(end - offset);
    let pos = offset;
    while (pos < end) {
      const index = Math.floor(pos / this.chunkSize);
      const within = pos - index * this.chunkSize;
      const n = Math.min(this.chunkSize - within, end - pos);
      await this.readChunk(index, within, n, out, pos - offset);
      pos += n;
    }
    return out;
  }

  slice(offset: number, length: number): ByteSource {
    return new SliceSource(this, offset, length);
  }

  /** Fills `out[outOffset, outOffset + length)` with bytes `[within, within + length)` of unit `index`. */
  protected abstract readChunk(
    index: number,
    within: number,
    length: number,
    out: Uint8Array,
    outOffset: number,
  ): Promise<void>;
}

/** Copies `[offset, offset + length)` of a source (a parent disk) into `out`, zero past its end. */
export async function readParent(
  parent: ByteSource,
  offset: number,
  length: number,
  out: Uint8Array,
  outOffset: number,
): Promise<void> {
  if (offset >= parent.size) return;
  const n = Math.min(length, parent.size - offset);
  out.set(await parent.read(offset, n), outOffset);
}

/**
 * A tiny LRU of decoded units (decompressed clusters or grains). Decompression is the one costly
 * decode here, and sequential small reads hit the same unit many times, so a handful is enough.
 */
export class DecodedCache {
  private readonly map = new Map<number, Uint8Array>();
  constructor(private readonly capacity: number) {}
  get(key: number): Uint8Array | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: number, value: Uint8Array): void {
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }
}
