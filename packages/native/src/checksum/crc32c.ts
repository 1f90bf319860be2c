/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): VHDX headers and log, ext4
 * metadata_csum, XFS v5 metadata and btrfs all use it, with different seeds and inversions.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/**
 * The raw register update over `bytes[from, to)`: no initial or final inversion (the Linux
 * kernel's `crc32c(seed, ...)`; ext4 stores this value, btrfs seeds its name hash with ~1).
 */
export function crc32cUpdate(seed: number, bytes: Uint8Array, from = 0, to = bytes.length): number {
  let c = seed >>> 0;
  for (let i = from; i < to; i++) c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c >>> 0;
}

const ZERO4 = new Uint8Array(4);

/**
 * The standard CRC-32C of `bytes` (seed ~0, final inversion). When `skip` is given, the 4 bytes
 * at `skip` (the stored checksum field) count as zero, as VHDX and XFS checksum their structures.
 */
export function crc32c(bytes: Uint8Array, skip = -1): number {
  if (skip < 0 || skip + 4 > bytes.length) return (crc32cUpdate(0xffffffff, bytes) ^ 0xffffffff) >>> 0;
  let c = crc32cUpdate(0xffffffff, bytes, 0, skip);
  c = crc32cUpdate(c, ZERO4);
  c = crc32cUpdate(c, bytes, skip + 4);
  return (c ^ 0xffffffff) >>> 0;
}
