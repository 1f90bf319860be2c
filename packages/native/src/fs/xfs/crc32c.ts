/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every XFS v5 metadata
 * block. XFS stores it little-endian, computed over the whole buffer with the CRC field itself
 * taken as zero (xfs_cksum.h: `xfs_start_cksum_safe` / `xfs_end_cksum`), seed and final XOR ~0.
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

function update(crc: number, bytes: Uint8Array, from: number, to: number): number {
  let c = crc;
  for (let i = from; i < to; i++) c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c;
}

export function crc32c(bytes: Uint8Array): number {
  return (update(0xffffffff, bytes, 0, bytes.length) ^ 0xffffffff) >>> 0;
}

/** CRC-32C of `bytes` with the 4 bytes at `crcOffset` treated as zero (how XFS checksums a block). */
export function xfsCrc(bytes: Uint8Array, crcOffset: number): number {
  let c = update(0xffffffff, bytes, 0, crcOffset);
  c = update(c, ZERO4, 0, 4);
  c = update(c, bytes, crcOffset + 4, bytes.length);
  return (c ^ 0xffffffff) >>> 0;
}

const ZERO4 = new Uint8Array(4);

/** The CRC stored at `crcOffset` (little-endian, unlike every other XFS field). */
export function storedCrc(bytes: Uint8Array, crcOffset: number): number {
  return (
    ((bytes[crcOffset] as number) |
      ((bytes[crcOffset + 1] as number) << 8) |
      ((bytes[crcOffset + 2] as number) << 16) |
      ((bytes[crcOffset + 3] as number) << 24)) >>>
    0
  );
}
