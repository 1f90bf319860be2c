import { FormatError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';
import { hasRoCompat, join64, RO_COMPAT, type Superblock } from './superblock.js';

/**
 * An inode (`struct ext4_inode`, ext4 docs "Index Nodes"); the 128-byte base plus, when the inode
 * is larger, `i_extra_isize` bytes of extra fields and then in-inode extended attributes.
 *
 *   0x00 i_mode u16        0x02 i_uid lo        0x04 i_size_lo     0x10 i_mtime (s32)
 *   0x18 i_gid lo          0x1A i_links_count   0x1C i_blocks_lo   0x20 i_flags
 *   0x28 i_block[60]       0x68 i_file_acl_lo   0x6C i_size_high
 *   0x74 l_i_blocks_high   0x76 l_i_file_acl_high  0x78 l_i_uid_high  0x7A l_i_gid_high
 *   0x80 i_extra_isize     0x88 i_mtime_extra (2 epoch bits, 30 nanosecond bits)
 */
export interface Inode {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  links: number;
  flags: number;
  /** 512-byte sectors (or filesystem blocks with EXT4_HUGE_FILE_FL), as the kernel counts i_blocks. */
  blocks: number;
  fileAcl: number;
  mtimeMs: number;
  /** The 60 bytes of i_block: an extent root, 15 block pointers, a fast symlink or inline data. */
  iBlock: Uint8Array;
  /** In-inode extended attribute area (after i_extra_isize), empty for 128-byte inodes. */
  xattrArea: Uint8Array;
}

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

// i_flags
export const FL_INDEX = 0x1000;
export const FL_HUGE_FILE = 0x40000;
export const FL_EXTENTS = 0x80000;
export const FL_EA_INODE = 0x200000;
export const FL_INLINE_DATA = 0x10000000;
export const FL_ENCRYPT = 0x800;

/** ext4 logical block numbers are u32, so no file is larger than 2^32 blocks. */
export function maxFileSize(sb: Superblock): number {
  return 2 ** 32 * sb.blockSize;
}

export function decodeInode(sb: Superblock, ino: number, raw: Uint8Array): Inode {
  const v = new ByteView(raw, `ext inode ${ino}`);
  const size = join64(v.u32le(0x04), v.u32le(0x6c));
  if (size > maxFileSize(sb)) {
    throw new FormatError(
      'ext/bad-inode-size',
      `inode ${ino}: size ${size} exceeds the largest possible file`,
      {
        data: { inode: ino, actual: size, expected: `<= ${maxFileSize(sb)}` },
      },
    );
  }
  let xattrArea: Uint8Array = new Uint8Array(0);
  let mtimeExtra = 0;
  if (raw.length > 128) {
    const extra = v.u16le(0x80);
    // i_extra_isize must leave room inside the inode and keep 4-byte alignment (kernel ext4_iget_extra_inode).
    if (extra % 4 !== 0 || 128 + extra > raw.length) {
      throw new FormatError(
        'ext/bad-extra-isize',
        `inode ${ino}: i_extra_isize ${extra} does not fit a ${raw.length}-byte inode`,
        {
          data: { inode: ino, actual: extra, expected: `<= ${raw.length - 128}` },
        },
      );
    }
    if (extra >= 0x0c) mtimeExtra = v.u32le(0x88);
    xattrArea = raw.subarray(128 + extra);
  }
  const flags = v.u32le(0x20);
  const blocksHi = hasRoCompat(sb, RO_COMPAT.huge_file) ? v.u16le(0x74) : 0;
  const blocks = join64(v.u32le(0x1c), blocksHi);
  // Seconds are signed 32-bit; the low two bits of *_extra extend them past 2038 (ext4 docs "Inode Timestamps").
  const seconds = v.i32le(0x10) + (mtimeExtra & 3) * 2 ** 32;
  const nanos = mtimeExtra >>> 2;
  return {
    ino,
    mode: v.u16le(0x00),
    uid: v.u16le(0x02) + v.u16le(0x78) * 0x10000,
    gid: v.u16le(0x18) + v.u16le(0x7a) * 0x10000,
    size,
    links: v.u16le(0x1a),
    flags,
    blocks,
    fileAcl: join64(v.u32le(0x68), v.u16le(0x76)),
    mtimeMs: seconds * 1000 + Math.floor(nanos / 1e6),
    iBlock: raw.subarray(0x28, 0x28 + 60),
    xattrArea,
  };
}

/** Blocks in use by the inode in filesystem blocks, honouring EXT4_HUGE_FILE_FL. */
export function inodeFsBlocks(sb: Superblock, inode: Inode): number {
  return inode.flags & FL_HUGE_FILE ? inode.blocks : (inode.blocks * 512) / sb.blockSize;
}

/** The in-inode xattr header magic (`EXT4_XATTR_MAGIC`), first 4 bytes of the xattr area. */
const XATTR_MAGIC = 0xea020000;
/** Entries in one inode body are bounded by its size (each is at least 16 bytes); this caps a corrupt chain. */
const MAX_IBODY_XATTRS = 256;

/**
 * Finds an attribute in the inode body (`struct ext4_xattr_ibody_header` then
 * `struct ext4_xattr_entry` records: 0x0 e_name_len u8, 0x1 e_name_index u8, 0x2 e_value_offs u16
 * (from the first entry), 0x4 e_value_inum u32, 0x8 e_value_size u32, 0xC e_hash, 0x10 name,
 * padded to 4 bytes; a zero u32 ends the list). Returns undefined when absent.
 */
export function findIbodyXattr(inode: Inode, nameIndex: number, name: string): Uint8Array | undefined {
  const area = inode.xattrArea;
  if (area.length < 4 || new ByteView(area, 'ext in-inode xattr area').u32le(0) !== XATTR_MAGIC)
    return undefined;
  const entries = area.subarray(4);
  const ev = new ByteView(entries, `ext in-inode xattrs of inode ${inode.ino}`);
  const wanted = new TextEncoder().encode(name);
  let off = 0;
  for (let n = 0; n < MAX_IBODY_XATTRS; n++) {
    if (off + 4 > entries.length || ev.u32le(off) === 0) return undefined;
    if (off + 16 > entries.length) break;
    const nameLen = ev.u8(off);
    const index = ev.u8(off + 1);
    const valueOffs = ev.u16le(off + 2);
    const valueInum = ev.u32le(off + 4);
    const valueSize = ev.u32le(off + 8);
    if (off + 16 + nameLen > entries.length) break;
    const entryName = entries.subarray(off + 16, off + 16 + nameLen);
    if (
      index === nameIndex &&
      entryName.length === wanted.length &&
      entryName.every((c, i) => c === wanted[i])
    ) {
      if (valueInum !== 0 || valueOffs + valueSize > entries.length) break;
      return entries.subarray(valueOffs, valueOffs + valueSize);
    }
    off += (16 + nameLen + 3) & ~3;
  }
  throw new FormatError('ext/bad-xattr', `inode ${inode.ino}: malformed in-inode extended attributes`, {
    data: { inode: inode.ino, offset: off },
  });
}

/** `system.data` (name index 7): the part of inline data that does not fit in i_block. */
export function inlineDataTail(inode: Inode): Uint8Array {
  return findIbodyXattr(inode, 7, 'data') ?? new Uint8Array(0);
}
