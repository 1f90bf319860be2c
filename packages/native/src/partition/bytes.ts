import { FormatError } from '@imagecheck/access';

/**
 * Little helpers for decoding on-disk structures from bytes already read. Names carry the
 * endianness; 64-bit values come back as numbers and throw when they exceed 2^53 (no image we
 * read can address more, and a larger value is a corrupt field, not a real offset).
 */
export function u16le(b: Uint8Array, o: number): number {
  return (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8);
}

export function u16be(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

export function u32le(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0;
}

export function u32be(b: Uint8Array, o: number): number {
  return (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;
}

export function u64leBig(b: Uint8Array, o: number): bigint {
  return BigInt(u32le(b, o)) | (BigInt(u32le(b, o + 4)) << 32n);
}

/** A u64 as a safe number; `what` names the field in the error. */
export function u64le(b: Uint8Array, o: number, what: string): number {
  const hi = u32le(b, o + 4);
  const lo = u32le(b, o);
  const v = hi * 2 ** 32 + lo;
  if (!Number.isSafeInteger(v)) {
    throw new FormatError('bytes/u64-too-large', `${what}: value ${u64leBig(b, o)} exceeds 2^53`, {
      data: { field: what, value: u64leBig(b, o).toString() },
    });
  }
  return v;
}

export function ascii(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = o; i < o + n && i < b.length; i++) s += String.fromCharCode(b[i] ?? 0);
  return s;
}

export function hex(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = o; i < o + n; i++) s += (b[i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

/** RFC 4122 layout of 16 big-endian bytes, lower-case, as blkid prints filesystem UUIDs. */
export function uuidBE(b: Uint8Array, o: number): string {
  const h = hex(b, o, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Microsoft GUID layout (first three fields little-endian), as GPT stores GUIDs; upper-case. */
export function guidLE(b: Uint8Array, o: number): string {
  const p = (i: number) => (b[o + i] ?? 0).toString(16).padStart(2, '0');
  const s = `${p(3)}${p(2)}${p(1)}${p(0)}-${p(5)}${p(4)}-${p(7)}${p(6)}-${p(8)}${p(9)}-${p(10)}${p(11)}${p(12)}${p(13)}${p(14)}${p(15)}`;
  return s.toUpperCase();
}

export function isZero(b: Uint8Array, o = 0, n = b.length - o): boolean {
  for (let i = o; i < o + n; i++) if (b[i] !== 0) return false;
  return true;
}

const utf16 = new TextDecoder('utf-16le');
const utf8 = new TextDecoder('utf-8');

/** UTF-16LE up to the first NUL code unit. */
export function utf16leZ(b: Uint8Array, o: number, n: number): string {
  let end = o;
  while (end + 1 < o + n && end + 1 < b.length && ((b[end] ?? 0) | (b[end + 1] ?? 0)) !== 0) end += 2;
  return utf16.decode(b.subarray(o, end));
}

/** UTF-8 up to the first NUL byte. */
export function utf8Z(b: Uint8Array, o: number, n: number): string {
  let end = o;
  while (end < o + n && end < b.length && b[end] !== 0) end++;
  return utf8.decode(b.subarray(o, end));
}
