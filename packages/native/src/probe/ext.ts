import type { ByteSource } from '../block/types.js';
import { u16le, u32le, uuidBE } from '../partition/bytes.js';
import { readIf, utf8Label } from './read.js';
import type { ProbeResult } from './types.js';

/**
 * ext2/3/4 superblock, 1024 bytes at byte 1024 (e2fsprogs lib/ext2fs/ext2_fs.h):
 *   0x18 u32 log2(block size) - 10   0x38 u16 magic 0xEF53   0x3A u16 state (1 clean, 2 errors)
 *   0x3E u16 minor revision   0x5C u32 feature_compat   0x60 u32 feature_incompat
 *   0x64 u32 feature_ro_compat   0x68 UUID (16)   0x78 volume name (16)   0x160 u32 flags
 * ext2/ext3/ext4 are told apart by features exactly as libblkid does: a journal makes ext3, any
 * feature outside what ext2/ext3 support makes ext4, a journal device is `jbd`.
 */
const COMPAT_HAS_JOURNAL = 0x4;
const INCOMPAT_RECOVER = 0x4;
const INCOMPAT_JOURNAL_DEV = 0x8;
/** FILETYPE | META_BG */
const EXT2_INCOMPAT_SUPP = 0x0002 | 0x0010;
/** FILETYPE | RECOVER | META_BG */
const EXT3_INCOMPAT_SUPP = 0x0002 | 0x0004 | 0x0010;
/** SPARSE_SUPER | LARGE_FILE | BTREE_DIR */
const EXT23_RO_COMPAT_SUPP = 0x1 | 0x2 | 0x4;
const FLAGS_TEST_FILESYS = 0x4;

export async function probeExt(source: ByteSource): Promise<ProbeResult | undefined> {
  const sb = await readIf(source, 1024, 1024);
  if (sb === undefined || u16le(sb, 0x38) !== 0xef53) return undefined;
  const compat = u32le(sb, 0x5c);
  const incompat = u32le(sb, 0x60);
  const roCompat = u32le(sb, 0x64);
  let type: string;
  if (incompat & INCOMPAT_JOURNAL_DEV) type = 'jbd';
  else if (compat & COMPAT_HAS_JOURNAL) {
    type =
      (incompat & ~EXT3_INCOMPAT_SUPP) !== 0 || (roCompat & ~EXT23_RO_COMPAT_SUPP) !== 0 ? 'ext4' : 'ext3';
  } else if ((incompat & ~EXT2_INCOMPAT_SUPP) !== 0 || (roCompat & ~EXT23_RO_COMPAT_SUPP) !== 0)
    type = 'ext4';
  else type = 'ext2';
  if (type === 'ext4' && u32le(sb, 0x160) & FLAGS_TEST_FILESYS) type = 'ext4dev';
  const label = utf8Label(sb.subarray(0x78, 0x88));
  const logBlock = u32le(sb, 0x18);
  return {
    type,
    uuid: uuidBE(sb, 0x68),
    ...(label === '' ? {} : { label }),
    details: {
      version: `${u32le(sb, 0x4c)}.${u16le(sb, 0x3e)}`,
      blockSize: logBlock <= 6 ? 1024 << logBlock : undefined,
      needsRecovery: (incompat & INCOMPAT_RECOVER) !== 0,
      errors: (u16le(sb, 0x3a) & 2) !== 0,
    },
  };
}
