import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import { readIf, utf8Label } from '../../probe/read.js';
import type { ProbeResult } from '../../probe/types.js';

/**
 * btrfs superblock at byte 65536 (kernel fs/btrfs/ctree.h `btrfs_super_block`):
 *   0x20 fsid   0x40 "_BHRfS_M"   0x90 u32 sectorsize   0x94 u32 nodesize
 *   0xC9 dev_item (its uuid at +0x42 → 0x10B)   0x12B label[256]
 */
export const BTRFS_SUPER_OFFSET = 65536;

export async function probeBtrfs(source: ByteSource): Promise<ProbeResult | undefined> {
  const raw = await readIf(source, BTRFS_SUPER_OFFSET, 4096);
  if (raw === undefined) return undefined;
  const sb = new ByteView(raw, 'btrfs superblock', BTRFS_SUPER_OFFSET);
  if (sb.latin1(0x40, 8) !== '_BHRfS_M') return undefined;
  const label = utf8Label(sb.bytesAt(0x12b, 256));
  return {
    type: 'btrfs',
    uuid: sb.uuid(0x20),
    subUuid: sb.uuid(0x10b),
    ...(label === '' ? {} : { label }),
    details: { sectorSize: sb.u32le(0x90), nodeSize: sb.u32le(0x94) },
  };
}
