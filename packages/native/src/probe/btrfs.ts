import type { ByteSource } from '../block/types.js';
import { ascii, u32le, uuidBE } from '../partition/bytes.js';
import { readIf, utf8Label } from './read.js';
import type { ProbeResult } from './types.js';

/**
 * btrfs superblock at byte 65536 (kernel fs/btrfs/ctree.h `btrfs_super_block`):
 *   0x20 fsid   0x40 "_BHRfS_M"   0x90 u32 sectorsize   0x94 u32 nodesize
 *   0xC9 dev_item (its uuid at +0x42 → 0x10B)   0x12B label[256]
 */
export const BTRFS_SUPER_OFFSET = 65536;

export async function probeBtrfs(source: ByteSource): Promise<ProbeResult | undefined> {
  const sb = await readIf(source, BTRFS_SUPER_OFFSET, 4096);
  if (sb === undefined || ascii(sb, 0x40, 8) !== '_BHRfS_M') return undefined;
  const label = utf8Label(sb.subarray(0x12b, 0x12b + 256));
  return {
    type: 'btrfs',
    uuid: uuidBE(sb, 0x20),
    subUuid: uuidBE(sb, 0x10b),
    ...(label === '' ? {} : { label }),
    details: { sectorSize: u32le(sb, 0x90), nodeSize: u32le(sb, 0x94) },
  };
}
