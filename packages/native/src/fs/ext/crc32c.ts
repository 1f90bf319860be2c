/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as ext4's metadata_csum uses it.
 *
 * ext4 stores the raw register: `crc32c_le(~0, bytes)` with no final inversion (the kernel's
 * `ext4_chksum()`), so `crc32cRaw(0xffffffff, bytes)` is the value to compare.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32cRaw(seed: number, bytes: Uint8Array): number {
  let c = seed >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (TABLE[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return c >>> 0;
}
