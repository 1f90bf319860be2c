/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum btrfs uses for its
 * superblock, tree nodes and (seeded with ~1, without the final inversion) directory name hashes.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** The raw register update: no initial or final inversion (the kernel's `crc32c(seed, ...)`). */
export function crc32cUpdate(seed: number, bytes: Uint8Array): number {
  let c = seed >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c >>> 0;
}

/** The standard CRC-32C of `bytes` (init ~0, final inversion), as stored in btrfs checksums. */
export function crc32c(bytes: Uint8Array): number {
  return (crc32cUpdate(0xffffffff, bytes) ^ 0xffffffff) >>> 0;
}

/** `btrfs_name_hash()`: the key offset of a DIR_ITEM. */
export function btrfsNameHash(name: Uint8Array): number {
  return crc32cUpdate(0xfffffffe, name);
}
