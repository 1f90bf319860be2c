/** Little-endian field readers for bytes already read; callers bounds-check the buffer first. */

export function u8(b: Uint8Array, off: number): number {
  return b[off] ?? 0;
}

export function u16le(b: Uint8Array, off: number): number {
  return (b[off] ?? 0) | ((b[off + 1] ?? 0) << 8);
}

export function u32le(b: Uint8Array, off: number): number {
  return (
    ((b[off] ?? 0) | ((b[off + 1] ?? 0) << 8) | ((b[off + 2] ?? 0) << 16) | ((b[off + 3] ?? 0) << 24)) >>> 0
  );
}

export function i32le(b: Uint8Array, off: number): number {
  return u32le(b, off) | 0;
}

/** `lo | hi << 32` as a number; callers check the result against a cap (it may exceed 2^53 only if hi is huge). */
export function join64(lo: number, hi: number): number {
  return hi * 0x1_0000_0000 + lo;
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** RFC 4122 text form of a 16-byte UUID as stored on disk (ext stores it in byte order). */
export function uuidString(b: Uint8Array): string {
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A NUL-padded fixed-width string field (volume name). */
export function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder('utf-8').decode(end < 0 ? b : b.subarray(0, end));
}
