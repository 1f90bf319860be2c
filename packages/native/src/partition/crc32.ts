import * as zlib from 'node:zlib';

/** IEEE 802.3 CRC-32 (reflected, polynomial 0xEDB88320), the checksum GPT uses (UEFI 2.10 §5.3.2). */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

type ZlibCrc = (data: Uint8Array, value?: number) => number;
/** Node >= 22.2 has a native crc32; older Node falls back to the table. */
const native: ZlibCrc | undefined = (zlib as unknown as { crc32?: ZlibCrc }).crc32;

/** Standard CRC-32 with pre- and post-inversion (what zlib and GPT compute). */
export function crc32(data: Uint8Array): number {
  if (native !== undefined) return native(data) >>> 0;
  return (rawCrc(0xffffffff, data) ^ 0xffffffff) >>> 0;
}

/**
 * CRC-32 register update without the final inversion, from an arbitrary initial value. LVM2's
 * `calc_crc` (lib/misc/crc.c) is this with initial value 0xf597a6cf.
 */
export function rawCrc(initial: number, data: Uint8Array): number {
  if (native !== undefined) return (native(data, (initial ^ 0xffffffff) >>> 0) ^ 0xffffffff) >>> 0;
  let c = initial >>> 0;
  for (let i = 0; i < data.length; i++) c = (TABLE[(c ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return c >>> 0;
}
