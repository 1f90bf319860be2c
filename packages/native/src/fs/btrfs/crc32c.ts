import { crc32c, crc32cUpdate } from '../../checksum/crc32c.js';

export { crc32c };

/** `btrfs_name_hash()`: the key offset of a DIR_ITEM: CRC-32C seeded with ~1, no final inversion. */
export function btrfsNameHash(name: Uint8Array): number {
  return crc32cUpdate(0xfffffffe, name);
}
