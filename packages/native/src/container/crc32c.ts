/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as VHDX checksums its headers and log. */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of `bytes`, treating the 4 bytes at `skip` (the stored checksum field) as zero. */
export function crc32c(bytes: Uint8Array, skip = -1): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    const b = i >= skip && i < skip + 4 ? 0 : (bytes[i] ?? 0);
    c = (TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}
