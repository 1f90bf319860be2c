import { FormatError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';
import {
  COMPAT,
  hasCompat,
  hasIncompat,
  hasRoCompat,
  INCOMPAT,
  join64,
  RO_COMPAT,
  type Superblock,
} from './superblock.js';

/**
 * Block group descriptors (`struct ext4_group_desc`, ext4 docs "Block Group Descriptors").
 * 32 bytes without the 64bit feature; `s_desc_size` bytes (64 usually) with it, the `_hi`
 * halves at 0x20.. extending the `_lo` fields.
 *
 *   0x08 bg_inode_table_lo   0x12 bg_flags   0x1C bg_itable_unused_lo
 *   0x28 bg_inode_table_hi   0x32 bg_itable_unused_hi
 */
export interface GroupDesc {
  group: number;
  inodeTable: number;
  flags: number;
  itableUnused: number;
}

/** bg_flags: the inode table was never initialised (mke2fs lazy_itable_init); its bytes are not inodes. */
export const BG_INODE_UNINIT = 0x1;

function isPowerOf(n: number, base: number): boolean {
  if (n < 1) return false;
  while (n % base === 0) n /= base;
  return n === 1;
}

/** Whether group `g` holds a superblock copy (and, without meta_bg, a descriptor table copy). */
export function groupHasSuper(sb: Superblock, g: number): boolean {
  if (g === 0) return true;
  if (hasCompat(sb, COMPAT.sparse_super2)) return g === sb.backupBgs[0] || g === sb.backupBgs[1];
  if (g <= 1 || !hasRoCompat(sb, RO_COMPAT.sparse_super)) return true;
  if (g % 2 === 0) return false;
  return isPowerOf(g, 3) || isPowerOf(g, 5) || isPowerOf(g, 7);
}

export function groupFirstBlock(sb: Superblock, g: number): number {
  return sb.firstDataBlock + g * sb.blocksPerGroup;
}

/**
 * The block holding the descriptor of group `g` and the byte offset inside it.
 *
 * Without meta_bg (and for descriptor blocks below `s_first_meta_bg`) the table follows the block
 * that holds the primary superblock. With meta_bg, descriptor block `i` lives in the first group
 * of meta group `i` (groups `i*perBlock ..`), right after that group's superblock copy if it has one
 * (e2fsprogs `ext2fs_descriptor_block_loc2`).
 */
export function descriptorLocation(sb: Superblock, g: number): { block: number; offset: number } {
  const perBlock = sb.blockSize / sb.descSize;
  const index = Math.floor(g / perBlock);
  const offset = (g % perBlock) * sb.descSize;
  // The superblock sits at byte 1024: block 1 with 1 KiB blocks, block 0 otherwise.
  const sbBlock = Math.floor(1024 / sb.blockSize);
  if (!hasIncompat(sb, INCOMPAT.meta_bg) || index < sb.firstMetaBg)
    return { block: sbBlock + 1 + index, offset };
  const first = index * perBlock;
  let block = groupFirstBlock(sb, first) + (groupHasSuper(sb, first) ? 1 : 0);
  // Group 0 with 1 KiB blocks and first_data_block 0 (bigalloc) still has the boot block first.
  if (first === 0 && sb.firstDataBlock === 0 && sb.blockSize === 1024) block += 1;
  return { block, offset };
}

export function decodeGroupDesc(sb: Superblock, g: number, raw: Uint8Array): GroupDesc {
  const v = new ByteView(raw, `ext group descriptor ${g}`);
  const wide = hasIncompat(sb, INCOMPAT['64bit']) && sb.descSize >= 64;
  const inodeTable = join64(v.u32le(0x08), wide ? v.u32le(0x28) : 0);
  const itableUnused = v.u16le(0x1c) + (wide ? v.u16le(0x32) * 0x10000 : 0);
  if (inodeTable === 0 || inodeTable >= sb.blocksCount) {
    throw new FormatError(
      'ext/bad-inode-table',
      `group ${g}: inode table block ${inodeTable} is outside the filesystem`,
      {
        data: { group: g, actual: inodeTable, expected: `< ${sb.blocksCount}` },
      },
    );
  }
  return { group: g, inodeTable, flags: v.u16le(0x12), itableUnused };
}
