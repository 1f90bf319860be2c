import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';
import { crc32cUpdate as crc32cRaw } from '../../checksum/crc32c.js';

/**
 * The ext2/3/4 superblock: 1024 bytes at byte 1024 of the filesystem, little-endian.
 * Offsets below are from the kernel's `struct ext4_super_block` (Documentation/filesystems/ext4,
 * "Super Block"); fields added by later revisions read as zero on older filesystems.
 */
export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;
export const EXT_MAGIC = 0xef53;

// Caps: every count below comes from the disk and is checked before it sizes a loop or a read.
/** 64 KiB: the largest block size the kernel mounts (s_log_block_size ≤ 6). */
export const MAX_LOG_BLOCK_SIZE = 6;
/** 2^32 groups would not fit the u32 group numbers used everywhere; real filesystems stay far below. */
export const MAX_GROUPS = 1 << 24;
/** The group descriptor size is a power of two between 32 and 1024 (`EXT4_MAX_DESC_SIZE`). */
export const MAX_DESC_SIZE = 1024;

// s_feature_compat (0x5C)
export const COMPAT = {
  dir_prealloc: 0x1,
  imagic_inodes: 0x2,
  has_journal: 0x4,
  ext_attr: 0x8,
  resize_inode: 0x10,
  dir_index: 0x20,
  lazy_bg: 0x40,
  exclude_bitmap: 0x100,
  sparse_super2: 0x200,
  fast_commit: 0x400,
  stable_inodes: 0x800,
  orphan_file: 0x1000,
} as const;

// s_feature_incompat (0x60): a bit this reader does not know means it cannot read the filesystem.
export const INCOMPAT = {
  compression: 0x1,
  filetype: 0x2,
  recover: 0x4,
  journal_dev: 0x8,
  meta_bg: 0x10,
  extent: 0x40,
  '64bit': 0x80,
  mmp: 0x100,
  flex_bg: 0x200,
  ea_inode: 0x400,
  dirdata: 0x1000,
  metadata_csum_seed: 0x2000,
  large_dir: 0x4000,
  inline_data: 0x8000,
  encrypt: 0x10000,
  casefold: 0x20000,
} as const;

// s_feature_ro_compat (0x64)
export const RO_COMPAT = {
  sparse_super: 0x1,
  large_file: 0x2,
  btree_dir: 0x4,
  huge_file: 0x8,
  gdt_csum: 0x10,
  dir_nlink: 0x20,
  extra_isize: 0x40,
  has_snapshot: 0x80,
  quota: 0x100,
  bigalloc: 0x200,
  metadata_csum: 0x400,
  replica: 0x800,
  read_only: 0x1000,
  project: 0x2000,
  shared_blocks: 0x4000,
  verity: 0x8000,
  orphan_present: 0x10000,
} as const;

/** Incompat bits we read correctly. `compression`, `dirdata` and unknown bits are refused. */
const INCOMPAT_READABLE =
  INCOMPAT.filetype |
  INCOMPAT.recover |
  INCOMPAT.meta_bg |
  INCOMPAT.extent |
  INCOMPAT['64bit'] |
  INCOMPAT.mmp |
  INCOMPAT.flex_bg |
  INCOMPAT.ea_inode |
  INCOMPAT.metadata_csum_seed |
  INCOMPAT.large_dir |
  INCOMPAT.inline_data |
  INCOMPAT.encrypt |
  INCOMPAT.casefold;

// What blkid's ext2 and ext3 probes accept (libblkid/src/superblocks/ext.c, *_SUPP masks):
// anything outside them makes blkid call the filesystem ext4.
const EXT2_RO_SUPP = RO_COMPAT.sparse_super | RO_COMPAT.large_file | RO_COMPAT.btree_dir;
const EXT2_INCOMPAT_SUPP = INCOMPAT.filetype | INCOMPAT.meta_bg;
const EXT3_RO_SUPP = EXT2_RO_SUPP;
const EXT3_INCOMPAT_SUPP = INCOMPAT.filetype | INCOMPAT.recover | INCOMPAT.meta_bg;

export interface Superblock {
  inodesCount: number;
  blocksCount: number;
  firstDataBlock: number;
  blockSize: number;
  /** log2(cluster size) − log2(block size); 0 unless bigalloc. */
  clusterBits: number;
  blocksPerGroup: number;
  inodesPerGroup: number;
  /** 0 = original (128-byte inodes, no features), 1 = dynamic. */
  revLevel: number;
  inodeSize: number;
  firstIno: number;
  state: number;
  errors: number;
  compat: number;
  incompat: number;
  roCompat: number;
  /** s_flags (0x160). */
  flags: number;
  uuid: string;
  label: string;
  lastMounted: string;
  descSize: number;
  firstMetaBg: number;
  journalInum: number;
  defHashVersion: number;
  hashSeed: Uint8Array;
  checksumType: number;
  /** Seed for metadata checksums: s_checksum_seed when csum_seed is set, else crc32c(~0, uuid). */
  csumSeed: number;
  groupCount: number;
  mtime: number;
  wtime: number;
  mkfsTime: number;
  creatorOs: number;
  /** sparse_super2: the only two groups (besides 0) with superblock backups, s_backup_bgs at 0x24C. */
  backupBgs: [number, number];
}

export function hasIncompat(sb: Superblock, bit: number): boolean {
  return (sb.incompat & bit) !== 0;
}
export function hasRoCompat(sb: Superblock, bit: number): boolean {
  return (sb.roCompat & bit) !== 0;
}
export function hasCompat(sb: Superblock, bit: number): boolean {
  return (sb.compat & bit) !== 0;
}

/** What blkid calls an ext superblock. */
export type ExtKind = 'ext2' | 'ext3' | 'ext4' | 'ext4dev' | 'jbd';

/** s_flags (0x160) bit 2: EXT2_FLAGS_TEST_FILESYS, which blkid reports as `ext4dev`. */
export const FLAGS_TEST_FILESYS = 0x4;

/**
 * The one ext2/ext3/ext4 classifier, deciding from the feature words exactly as libblkid does
 * (libblkid/src/superblocks/ext.c): a journal device is `jbd`; a journal makes ext3 unless a
 * feature outside ext3's set makes it ext4; without a journal, ext2 unless a feature outside
 * ext2's set makes it ext4; an ext4 with the test-filesystem flag is `ext4dev`.
 */
export function classifyExt(compat: number, incompat: number, roCompat: number, flags: number): ExtKind {
  if (incompat & INCOMPAT.journal_dev) return 'jbd';
  const journal = (compat & COMPAT.has_journal) !== 0;
  let kind: ExtKind;
  if (!journal && (roCompat & ~EXT2_RO_SUPP) === 0 && (incompat & ~EXT2_INCOMPAT_SUPP) === 0) kind = 'ext2';
  else if (journal && (roCompat & ~EXT3_RO_SUPP) === 0 && (incompat & ~EXT3_INCOMPAT_SUPP) === 0)
    kind = 'ext3';
  else kind = 'ext4';
  if (kind === 'ext4' && flags & FLAGS_TEST_FILESYS) kind = 'ext4dev';
  return kind;
}

/**
 * The type a reader reports: `classifyExt`'s answer, with `ext4dev` as the ext4 it is (a journal
 * device never gets here: `parseSuperblock` refuses its journal_dev feature).
 */
export function extType(sb: Superblock): 'ext2' | 'ext3' | 'ext4' {
  const kind = classifyExt(sb.compat, sb.incompat, sb.roCompat, sb.flags);
  return kind === 'ext2' || kind === 'ext3' ? kind : 'ext4';
}

/** Names of the feature bits that are set, in dumpe2fs order (compat, incompat, ro_compat), unknown bits as hex. */
export function featureNames(sb: Superblock): string[] {
  const out: string[] = [];
  const add = (value: number, table: Record<string, number>, prefix: string) => {
    let known = 0;
    for (const [name, bit] of Object.entries(table)) {
      known |= bit;
      if (value & bit) out.push(name);
    }
    const unknown = (value & ~known) >>> 0;
    if (unknown) out.push(`${prefix}:0x${unknown.toString(16)}`);
  };
  add(sb.compat, COMPAT, 'compat');
  add(sb.incompat, INCOMPAT, 'incompat');
  add(sb.roCompat, RO_COMPAT, 'ro_compat');
  return out;
}

/** `lo | hi << 32` of a field whose halves ext stores apart; callers check the result against a cap. */
export function join64(lo: number, hi: number): number {
  return hi * 0x1_0000_0000 + lo;
}

function bad(code: string, message: string, data: Record<string, unknown>): FormatError {
  return new FormatError(`ext/${code}`, message, { data: { offset: SUPERBLOCK_OFFSET, ...data } });
}

/** True when these 1024 bytes carry the ext magic (`s_magic` at 0x38). */
export function hasExtMagic(raw: Uint8Array): boolean {
  return (
    raw.length >= 0x3a && new ByteView(raw, 'ext superblock', SUPERBLOCK_OFFSET).u16le(0x38) === EXT_MAGIC
  );
}

/**
 * Decodes and validates a superblock. Throws `FormatError` for impossible geometry or a
 * metadata_csum checksum mismatch, `UnsupportedError` for features this reader cannot honour.
 * A source shorter than the declared filesystem is not an error here (blkid and debugfs read
 * such images too); reads that reach past the source's end fail with `ext/truncated`.
 */
export function parseSuperblock(raw: Uint8Array): Superblock {
  if (raw.length < SUPERBLOCK_SIZE) throw bad('truncated', 'superblock is truncated', { actual: raw.length });
  const v = new ByteView(raw, 'ext superblock', SUPERBLOCK_OFFSET);
  if (!hasExtMagic(raw)) throw bad('bad-magic', 'not an ext superblock', { actual: v.u16le(0x38) });

  const incompat = v.u32le(0x60);
  const roCompat = v.u32le(0x64);
  if (roCompat & RO_COMPAT.metadata_csum) {
    // s_checksum (0x3FC) covers bytes 0..0x3FB; s_checksum_type (0x175) must be 1 (crc32c).
    const type = v.u8(0x175);
    if (type !== 1)
      throw new UnsupportedError('ext/checksum-type', `unknown metadata checksum type ${type}`, {
        data: { actual: type },
      });
    const expected = v.u32le(0x3fc);
    const actual = crc32cRaw(0xffffffff, raw.subarray(0, 0x3fc));
    if (expected !== actual) {
      throw bad('bad-superblock-checksum', 'superblock checksum mismatch', { expected, actual });
    }
  }

  const logBlock = v.u32le(0x18);
  if (logBlock > MAX_LOG_BLOCK_SIZE)
    throw bad('bad-block-size', `s_log_block_size ${logBlock} is too large`, {
      actual: logBlock,
      expected: `<= ${MAX_LOG_BLOCK_SIZE}`,
    });
  const blockSize = 1024 << logBlock;
  const logCluster = v.u32le(0x1c);
  const clusterBits = roCompat & RO_COMPAT.bigalloc ? logCluster - logBlock : 0;
  if (clusterBits < 0 || clusterBits > 16)
    throw bad('bad-cluster-size', `bad cluster size log ${logCluster}`, { actual: logCluster });

  const is64 = (incompat & INCOMPAT['64bit']) !== 0;
  const blocksCount = join64(v.u32le(0x4), is64 ? v.u32le(0x150) : 0);
  const inodesCount = v.u32le(0x0);
  const firstDataBlock = v.u32le(0x14);
  const blocksPerGroup = v.u32le(0x20);
  const inodesPerGroup = v.u32le(0x28);
  const revLevel = v.u32le(0x4c);
  const inodeSize = revLevel === 0 ? 128 : v.u16le(0x58);
  const firstIno = revLevel === 0 ? 11 : v.u32le(0x54);
  const descSize = is64 ? v.u16le(0xfe) : 32;

  // Group geometry: a block bitmap has blockSize*8 bits, so neither per-group count may exceed that.
  if (blocksPerGroup === 0 || blocksPerGroup > (blockSize * 8) << clusterBits) {
    throw bad('bad-blocks-per-group', `s_blocks_per_group ${blocksPerGroup} is impossible`, {
      actual: blocksPerGroup,
    });
  }
  if (inodesPerGroup === 0 || inodesPerGroup > blockSize * 8) {
    throw bad('bad-inodes-per-group', `s_inodes_per_group ${inodesPerGroup} is impossible`, {
      actual: inodesPerGroup,
    });
  }
  if (inodeSize < 128 || inodeSize > blockSize || (inodeSize & (inodeSize - 1)) !== 0) {
    throw bad('bad-inode-size', `s_inode_size ${inodeSize} is impossible`, { actual: inodeSize });
  }
  if (is64 && (descSize < 32 || descSize > MAX_DESC_SIZE || (descSize & (descSize - 1)) !== 0)) {
    throw bad('bad-desc-size', `s_desc_size ${descSize} is impossible`, { actual: descSize });
  }
  if (blocksCount === 0 || !Number.isSafeInteger(blocksCount * blockSize)) {
    throw bad('bad-blocks-count', `s_blocks_count ${blocksCount} is impossible`, { actual: blocksCount });
  }
  if (firstDataBlock >= blocksCount || firstDataBlock > 1) {
    throw bad('bad-first-data-block', `s_first_data_block ${firstDataBlock} is impossible`, {
      actual: firstDataBlock,
    });
  }
  const groupCount = Math.ceil((blocksCount - firstDataBlock) / blocksPerGroup);
  if (groupCount > MAX_GROUPS)
    throw bad('too-many-groups', `${groupCount} block groups`, {
      actual: groupCount,
      expected: `<= ${MAX_GROUPS}`,
    });
  if (inodesCount > groupCount * inodesPerGroup || inodesCount < 11) {
    throw bad(
      'bad-inodes-count',
      `s_inodes_count ${inodesCount} does not fit ${groupCount} groups of ${inodesPerGroup}`,
      {
        actual: inodesCount,
        expected: groupCount * inodesPerGroup,
      },
    );
  }
  const unknownIncompat = incompat & ~INCOMPAT_READABLE;
  if (unknownIncompat) {
    throw new UnsupportedError(
      'ext/incompat-feature',
      `filesystem uses incompatible features 0x${unknownIncompat.toString(16)}`,
      {
        data: { actual: unknownIncompat },
      },
    );
  }

  const uuidBytes = raw.subarray(0x68, 0x78);
  const csumSeed = incompat & INCOMPAT.metadata_csum_seed ? v.u32le(0x270) : crc32cRaw(0xffffffff, uuidBytes);

  return {
    inodesCount,
    blocksCount,
    firstDataBlock,
    blockSize,
    clusterBits,
    blocksPerGroup,
    inodesPerGroup,
    revLevel,
    inodeSize,
    firstIno,
    state: v.u16le(0x3a),
    errors: v.u16le(0x3c),
    compat: v.u32le(0x5c),
    incompat,
    roCompat,
    flags: v.u32le(0x160),
    uuid: v.uuid(0x68),
    label: v.utf8(0x78, 16, { nulTerminated: true }),
    lastMounted: v.utf8(0x88, 64, { nulTerminated: true }),
    descSize,
    firstMetaBg: v.u32le(0x104),
    journalInum: v.u32le(0xe0),
    defHashVersion: v.u8(0xfc),
    hashSeed: raw.slice(0xec, 0xfc),
    checksumType: v.u8(0x175),
    csumSeed,
    groupCount,
    mtime: v.u32le(0x2c),
    wtime: v.u32le(0x30),
    mkfsTime: v.u32le(0x108),
    creatorOs: v.u32le(0x48),
    backupBgs: [v.u32le(0x24c), v.u32le(0x250)],
  };
}
