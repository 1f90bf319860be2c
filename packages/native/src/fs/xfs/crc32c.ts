import { ByteView } from '@imagecheck/binary';
import { crc32c } from '../../checksum/crc32c.js';

/**
 * The checksum of an XFS v5 metadata block: CRC-32C over the whole buffer with the CRC field
 * itself taken as zero (xfs_cksum.h: `xfs_start_cksum_safe` / `xfs_end_cksum`), seed and final XOR ~0.
 */
export function xfsCrc(bytes: Uint8Array, crcOffset: number): number {
  return crc32c(bytes, crcOffset);
}

/** The CRC stored at `crcOffset` (little-endian, unlike every other XFS field). */
export function storedCrc(bytes: Uint8Array, crcOffset: number): number {
  return new ByteView(bytes, 'XFS metadata block').u32le(crcOffset, 'crc');
}
