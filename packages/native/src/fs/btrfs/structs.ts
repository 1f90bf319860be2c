import { createHash } from 'node:crypto';
import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';
import { crc32c } from './crc32c.js';

/**
 * btrfs on-disk structures (kernel include/uapi/linux/btrfs_tree.h; btrfs documentation
 * "On-disk format"). All integers little-endian; u64s are decoded as checked JS numbers.
 */

export const SUPERBLOCK_OFFSET = 0x10000;
export const SUPERBLOCK_SIZE = 4096;
const MAGIC = '_BHRfS_M';

/** Tree object ids and item key types used here. */
export const ROOT_TREE_OBJECTID = 1;
export const CHUNK_TREE_OBJECTID = 3;
export const FS_TREE_OBJECTID = 5;
export const ROOT_TREE_DIR_OBJECTID = 6;
export const FIRST_FREE_OBJECTID = 256;
export const KEY_INODE_ITEM = 1;
export const KEY_INODE_REF = 12;
export const KEY_DIR_ITEM = 84;
export const KEY_DIR_INDEX = 96;
export const KEY_EXTENT_DATA = 108;
export const KEY_ROOT_ITEM = 132;
export const KEY_ROOT_BACKREF = 144;
export const KEY_ROOT_REF = 156;
export const KEY_CHUNK_ITEM = 228;

/** Block-group profile bits of a chunk's type (BTRFS_BLOCK_GROUP_*). */
export const BG_RAID0 = 1 << 3;
export const BG_RAID1 = 1 << 4;
export const BG_DUP = 1 << 5;
export const BG_RAID10 = 1 << 6;
export const BG_RAID5 = 1 << 7;
export const BG_RAID6 = 1 << 8;
export const BG_RAID1C3 = 1 << 9;
export const BG_RAID1C4 = 1 << 10;

/** BTRFS_MAX_LEVEL: a tree is at most 8 levels deep. */
export const MAX_TREE_LEVEL = 8;
/** Largest node size mkfs.btrfs allows. */
export const MAX_NODE_SIZE = 64 * 1024;
/** The superblock's sys_chunk_array is 2048 bytes. */
const SYS_CHUNK_ARRAY_MAX = 2048;
/** A chunk has at most this many stripes (the kernel caps stripes by what fits a leaf; 256 is plenty). */
export const MAX_STRIPES = 256;

export const NODE_HEADER_SIZE = 0x65;
const ITEM_SIZE = 25;
const KEY_PTR_SIZE = 33;

export interface Key {
  readonly objectid: bigint;
  readonly type: number;
  readonly offset: bigint;
}

export function compareKeys(a: Key, b: Key): number {
  if (a.objectid !== b.objectid) return a.objectid < b.objectid ? -1 : 1;
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.offset !== b.offset) return a.offset < b.offset ? -1 : 1;
  return 0;
}

function readKey(v: ByteView, o: number): Key {
  return { objectid: v.u64le(o), type: v.u8(o + 8), offset: v.u64le(o + 9) };
}

export type ChecksumType = 'crc32c' | 'xxhash64' | 'sha256' | 'blake2b';
const CSUM_TYPES: Record<number, ChecksumType> = { 0: 'crc32c', 1: 'xxhash64', 2: 'sha256', 3: 'blake2b' };

/**
 * Checks a superblock or node checksum: bytes 0..32 hold the checksum of everything after them.
 * crc32c and sha256 are verified; xxhash64 and blake2b-256 are not available from node:crypto
 * (blake2b512 is a different digest, not a truncation), so those are trusted and reported.
 */
export function verifyChecksum(block: Uint8Array, type: ChecksumType, what: string, offset: number): void {
  const v = new ByteView(block, what, offset);
  if (type === 'crc32c') {
    const want = v.u32le(0);
    const got = crc32c(block.subarray(32));
    if (want !== got) {
      throw new FormatError('btrfs/bad-checksum', `${what}: crc32c mismatch`, {
        data: { offset, expected: want.toString(16), actual: got.toString(16) },
      });
    }
  } else if (type === 'sha256') {
    const got = createHash('sha256').update(block.subarray(32)).digest();
    for (let i = 0; i < 32; i++) {
      if (got[i] !== block[i]) {
        throw new FormatError('btrfs/bad-checksum', `${what}: sha256 mismatch`, { data: { offset } });
      }
    }
  }
}

export interface Stripe {
  readonly devid: number;
  readonly offset: number;
}

export interface Chunk {
  readonly logical: number;
  readonly length: number;
  readonly type: number;
  readonly stripes: readonly Stripe[];
}

/**
 * A chunk item (struct btrfs_chunk, 48 bytes + 32 per stripe): length u64 @0, owner @8,
 * stripe_len @16, type @24, io_align u32 @32, io_width @36, sector_size @40, num_stripes u16 @44,
 * sub_stripes u16 @46; stripes of devid u64, offset u64, dev_uuid[16].
 */
export function parseChunk(
  b: Uint8Array,
  o: number,
  logical: number,
  limit: number,
): { chunk: Chunk; size: number } {
  if (o + 48 > limit)
    throw new FormatError('btrfs/bad-chunk', 'chunk item is truncated', { data: { offset: o } });
  const v = new ByteView(b, `btrfs chunk item at ${logical}`);
  const numStripes = v.u16le(o + 44);
  if (numStripes === 0 || numStripes > MAX_STRIPES || o + 48 + numStripes * 32 > limit) {
    throw new FormatError('btrfs/bad-chunk', 'chunk stripe count is out of range', {
      data: { offset: o, expected: `1..${MAX_STRIPES}`, actual: numStripes },
    });
  }
  const stripes: Stripe[] = [];
  for (let i = 0; i < numStripes; i++) {
    const s = o + 48 + i * 32;
    stripes.push({ devid: v.u64leNumber(s), offset: v.u64leNumber(s + 8) });
  }
  const length = v.u64leNumber(o);
  if (!Number.isSafeInteger(logical) || !Number.isSafeInteger(length) || length === 0) {
    throw new FormatError('btrfs/bad-chunk', 'chunk logical range is out of range', {
      data: { offset: o, logical, length },
    });
  }
  return {
    chunk: { logical, length, type: Number(v.u64le(o + 24) & 0xffffn), stripes },
    size: 48 + numStripes * 32,
  };
}

export interface Superblock {
  readonly fsid: string;
  readonly metadataUuid: string;
  readonly generation: number;
  readonly root: number;
  readonly rootLevel: number;
  readonly chunkRoot: number;
  readonly chunkRootLevel: number;
  readonly totalBytes: number;
  readonly sectorSize: number;
  readonly nodeSize: number;
  readonly numDevices: number;
  readonly devid: number;
  readonly label: string;
  readonly csumType: ChecksumType;
  readonly incompatFlags: bigint;
  readonly compatRoFlags: bigint;
  readonly sysChunks: readonly Chunk[];
  readonly logRoot: number;
}

/** INCOMPAT_METADATA_UUID: node headers carry metadata_uuid instead of fsid. */
const INCOMPAT_METADATA_UUID = 1n << 10n;

/**
 * The superblock (struct btrfs_super_block), at 64 KiB: csum[32] @0, fsid[16] @0x20,
 * bytenr @0x30, flags @0x38, magic "_BHRfS_M" @0x40, generation @0x48, root @0x50,
 * chunk_root @0x58, log_root @0x60, total_bytes @0x70, bytes_used @0x78, root_dir @0x80,
 * num_devices @0x88, sectorsize u32 @0x90, nodesize @0x94, stripesize @0x9c,
 * sys_chunk_array_size u32 @0xa0, compat_flags @0xac, compat_ro_flags @0xb4,
 * incompat_flags @0xbc, csum_type u16 @0xc4, root_level u8 @0xc6, chunk_root_level @0xc7,
 * dev_item @0xc9 (devid u64 first), label[256] @0x12b, metadata_uuid[16] @0x23b,
 * sys_chunk_array[2048] @0x32b (pairs of a 17-byte disk key and a chunk item).
 */
export function parseSuperblock(b: Uint8Array): Superblock | undefined {
  if (b.length < SUPERBLOCK_SIZE) return undefined;
  const v = new ByteView(b, 'btrfs superblock', SUPERBLOCK_OFFSET);
  if (v.latin1(0x40, 8) !== MAGIC) return undefined;
  const csumCode = v.u16le(0xc4);
  const csumType = CSUM_TYPES[csumCode];
  if (csumType === undefined) {
    throw new UnsupportedError('btrfs/unsupported-csum', `btrfs checksum type ${csumCode}`, {
      data: { offset: 0xc4, actual: csumCode },
    });
  }
  verifyChecksum(b.subarray(0, SUPERBLOCK_SIZE), csumType, 'superblock', SUPERBLOCK_OFFSET);
  const sectorSize = v.u32le(0x90);
  const nodeSize = v.u32le(0x94);
  const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
  if (
    !pow2(sectorSize) ||
    sectorSize < 4096 ||
    sectorSize > MAX_NODE_SIZE ||
    !pow2(nodeSize) ||
    nodeSize < sectorSize ||
    nodeSize > MAX_NODE_SIZE
  ) {
    throw new FormatError('btrfs/bad-superblock', 'sector or node size is out of range', {
      data: { offset: SUPERBLOCK_OFFSET + 0x90, sectorSize, nodeSize },
    });
  }
  const rootLevel = v.u8(0xc6);
  const chunkRootLevel = v.u8(0xc7);
  if (rootLevel >= MAX_TREE_LEVEL || chunkRootLevel >= MAX_TREE_LEVEL) {
    throw new FormatError('btrfs/bad-superblock', 'tree root level is out of range', {
      data: {
        offset: SUPERBLOCK_OFFSET + 0xc6,
        expected: `< ${MAX_TREE_LEVEL}`,
        actual: Math.max(rootLevel, chunkRootLevel),
      },
    });
  }
  const arraySize = v.u32le(0xa0);
  if (arraySize > SYS_CHUNK_ARRAY_MAX) {
    throw new FormatError('btrfs/bad-superblock', 'sys_chunk_array_size is out of range', {
      data: { offset: SUPERBLOCK_OFFSET + 0xa0, expected: SYS_CHUNK_ARRAY_MAX, actual: arraySize },
    });
  }
  const sysChunks: Chunk[] = [];
  const base = 0x32b;
  let p = base;
  const end = base + arraySize;
  while (p < end) {
    if (p + 17 > end)
      throw new FormatError('btrfs/bad-chunk', 'sys_chunk_array ends inside a key', {
        data: { offset: SUPERBLOCK_OFFSET + p },
      });
    const key = readKey(v, p);
    if (key.type !== KEY_CHUNK_ITEM) {
      throw new FormatError('btrfs/bad-chunk', 'sys_chunk_array holds a non-chunk key', {
        data: { offset: SUPERBLOCK_OFFSET + p, expected: KEY_CHUNK_ITEM, actual: key.type },
      });
    }
    const { chunk, size } = parseChunk(b, p + 17, Number(key.offset), end);
    sysChunks.push(chunk);
    p += 17 + size;
  }
  const incompatFlags = v.u64le(0xbc);
  const label = v.utf8(0x12b, 256, { nulTerminated: true });
  return {
    fsid: v.uuid(0x20),
    metadataUuid: (incompatFlags & INCOMPAT_METADATA_UUID) !== 0n ? v.uuid(0x23b) : v.uuid(0x20),
    generation: v.u64leNumber(0x48),
    root: v.u64leNumber(0x50),
    rootLevel,
    chunkRoot: v.u64leNumber(0x58),
    chunkRootLevel,
    logRoot: v.u64leNumber(0x60),
    totalBytes: v.u64leNumber(0x70),
    sectorSize,
    nodeSize,
    numDevices: v.u64leNumber(0x88),
    devid: v.u64leNumber(0xc9),
    label,
    csumType,
    incompatFlags,
    compatRoFlags: v.u64le(0xb4),
    sysChunks,
  };
}

export interface LeafItem {
  readonly key: Key;
  /** The item's data (a view into the node). */
  readonly data: Uint8Array;
}

export interface KeyPtr {
  readonly key: Key;
  readonly blockptr: number;
}

export type TreeNode =
  | { readonly level: 0; readonly owner: number; readonly items: readonly LeafItem[] }
  | { readonly level: number; readonly owner: number; readonly ptrs: readonly KeyPtr[] };

/**
 * A tree node (struct btrfs_header, 0x65 bytes): csum[32] @0, fsid[16] @0x20, bytenr u64 @0x30,
 * flags @0x38, chunk_tree_uuid[16] @0x40, generation @0x50, owner @0x58, nritems u32 @0x60,
 * level u8 @0x64. Leaves: nritems × (key[17], offset u32, size u32) from 0x65, item data at
 * 0x65 + offset. Internal nodes: nritems × (key[17], blockptr u64, generation u64).
 */
export function parseNode(
  b: Uint8Array,
  logical: number,
  fsidBytes: Uint8Array,
  csumType: ChecksumType,
): TreeNode {
  verifyChecksum(b, csumType, `tree node at ${logical}`, logical);
  const v = new ByteView(b, `btrfs tree node at ${logical}`);
  for (let i = 0; i < 16; i++) {
    if (v.u8(0x20 + i) !== fsidBytes[i]) {
      throw new FormatError('btrfs/bad-node', `tree node at ${logical} belongs to another filesystem`, {
        data: { offset: logical },
      });
    }
  }
  const bytenr = v.u64leNumber(0x30);
  if (bytenr !== logical) {
    throw new FormatError('btrfs/bad-node', `tree node at ${logical} says it is at ${bytenr}`, {
      data: { offset: logical, expected: logical, actual: bytenr },
    });
  }
  const nritems = v.u32le(0x60);
  const level = v.u8(0x64);
  const owner = v.u64leNumber(0x58);
  if (level >= MAX_TREE_LEVEL) {
    throw new FormatError('btrfs/bad-node', `tree node at ${logical} has level ${level}`, {
      data: { offset: logical, expected: `< ${MAX_TREE_LEVEL}`, actual: level },
    });
  }
  const room = b.length - NODE_HEADER_SIZE;
  if (level === 0) {
    if (nritems * ITEM_SIZE > room) {
      throw new FormatError('btrfs/bad-node', `leaf at ${logical} claims ${nritems} items`, {
        data: { offset: logical, actual: nritems },
      });
    }
    const items: LeafItem[] = [];
    for (let i = 0; i < nritems; i++) {
      const p = NODE_HEADER_SIZE + i * ITEM_SIZE;
      const off = v.u32le(p + 17);
      const size = v.u32le(p + 21);
      if (off + size > room || NODE_HEADER_SIZE + off < p + ITEM_SIZE) {
        throw new FormatError('btrfs/bad-item', `leaf at ${logical}: item ${i} data is out of the leaf`, {
          data: { offset: logical, item: i, itemOffset: off, size },
        });
      }
      items.push({
        key: readKey(v, p),
        data: b.subarray(NODE_HEADER_SIZE + off, NODE_HEADER_SIZE + off + size),
      });
    }
    return { level: 0, owner, items };
  }
  if (nritems * KEY_PTR_SIZE > room || nritems === 0) {
    throw new FormatError('btrfs/bad-node', `node at ${logical} claims ${nritems} pointers`, {
      data: { offset: logical, actual: nritems },
    });
  }
  const ptrs: KeyPtr[] = [];
  for (let i = 0; i < nritems; i++) {
    const p = NODE_HEADER_SIZE + i * KEY_PTR_SIZE;
    ptrs.push({ key: readKey(v, p), blockptr: v.u64leNumber(p + 17) });
  }
  return { level, owner, ptrs };
}

/** struct btrfs_inode_item (160 bytes) fields used here. */
export interface InodeItem {
  readonly size: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  readonly mtimeMs: number;
}

/** size u64 @16, nlink u32 @40, uid @44, gid @48, mode @52, mtime (sec u64, nsec u32) @136. */
export function parseInode(d: Uint8Array, where: number): InodeItem {
  if (d.length < 160)
    throw new FormatError('btrfs/bad-inode', 'inode item is truncated', {
      data: { offset: where, actual: d.length },
    });
  const v = new ByteView(d, `btrfs inode item in the leaf at ${where}`);
  const size = v.u64leNumber(16);
  if (!Number.isSafeInteger(size))
    throw new FormatError('btrfs/bad-inode', 'inode size is out of range', { data: { offset: where } });
  return {
    size,
    nlink: v.u32le(40),
    uid: v.u32le(44),
    gid: v.u32le(48),
    mode: v.u32le(52),
    mtimeMs: v.u64leNumber(136) * 1000 + Math.floor(v.u32le(144) / 1e6),
  };
}

/** One entry of a DIR_ITEM / DIR_INDEX item (struct btrfs_dir_item + name). */
export interface DirEntryItem {
  readonly name: Uint8Array;
  readonly location: Key;
  readonly fileType: number;
}

/** location key[17] @0, transid u64 @17, data_len u16 @25, name_len u16 @27, type u8 @29, name @30, then data. */
export function parseDirItems(d: Uint8Array, where: number): DirEntryItem[] {
  const out: DirEntryItem[] = [];
  const v = new ByteView(d, `btrfs directory item in the leaf at ${where}`);
  let p = 0;
  while (p < d.length) {
    if (p + 30 > d.length)
      throw new FormatError('btrfs/bad-dir-item', 'directory item is truncated', { data: { offset: where } });
    const dataLen = v.u16le(p + 25);
    const nameLen = v.u16le(p + 27);
    // BTRFS_NAME_LEN is 255.
    if (nameLen === 0 || nameLen > 255 || p + 30 + nameLen + dataLen > d.length) {
      throw new FormatError('btrfs/bad-dir-item', 'directory item name is out of range', {
        data: { offset: where, expected: '1..255', actual: nameLen },
      });
    }
    out.push({
      location: readKey(v, p),
      fileType: v.u8(p + 29),
      name: d.subarray(p + 30, p + 30 + nameLen),
    });
    p += 30 + nameLen + dataLen;
  }
  return out;
}
