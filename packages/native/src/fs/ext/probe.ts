import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import { readIf, utf8Label } from '../../probe/read.js';
import type { ProbeResult } from '../../probe/types.js';
import { classifyExt, EXT_MAGIC, INCOMPAT, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE } from './superblock.js';

/**
 * ext2/3/4 signature, as blkid reports it. Superblock, 1024 bytes at byte 1024 (e2fsprogs
 * lib/ext2fs/ext2_fs.h): 0x18 u32 log2(block size) - 10, 0x38 u16 magic 0xEF53, 0x3A u16 state
 * (bit 1 errors), 0x3E u16 minor revision, 0x4C u32 revision, 0x5C u32 feature_compat,
 * 0x60 u32 feature_incompat, 0x64 u32 feature_ro_compat, 0x68 UUID (16), 0x78 volume name (16),
 * 0x160 u32 flags. The type comes from the reader's classifier (`classifyExt`).
 */
export async function probeExt(source: ByteSource): Promise<ProbeResult | undefined> {
  const raw = await readIf(source, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE);
  if (raw === undefined) return undefined;
  const sb = new ByteView(raw, 'ext superblock', SUPERBLOCK_OFFSET);
  if (sb.u16le(0x38) !== EXT_MAGIC) return undefined;
  const incompat = sb.u32le(0x60);
  const type = classifyExt(sb.u32le(0x5c), incompat, sb.u32le(0x64), sb.u32le(0x160));
  const label = utf8Label(sb.bytesAt(0x78, 16));
  const logBlock = sb.u32le(0x18);
  return {
    type,
    uuid: sb.uuid(0x68),
    ...(label === '' ? {} : { label }),
    details: {
      version: `${sb.u32le(0x4c)}.${sb.u16le(0x3e)}`,
      blockSize: logBlock <= 6 ? 1024 << logBlock : undefined,
      needsRecovery: (incompat & INCOMPAT.recover) !== 0,
      errors: (sb.u16le(0x3a) & 2) !== 0,
    },
  };
}
