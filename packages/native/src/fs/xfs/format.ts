import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView, inRange } from '@imagecheck/binary';
import { storedCrc, xfsCrc } from './crc32c.js';

/*
 * XFS on-disk structures, all big-endian except the v5 CRC fields (little-endian).
 * Reference: "XFS Algorithms & Data Structures" (the XFS on-disk format book, kernel
 * Documentation/filesystems/xfs/) and fs/xfs/libxfs/xfs_format.h, xfs_da_format.h,
 * xfs_log_format.h.
 */

/** A u64 that must fit in a safe integer (sizes, block counts); otherwise `xfs/value-too-large` naming the field. */
export function u64num(v: ByteView, o: number, field: string): number {
  return inRange(v.u64be(o, field), 0, Number.MAX_SAFE_INTEGER, 'xfs/value-too-large', `xfs: ${field}`);
}

// ---- caps ---------------------------------------------------------------------------------------

/** XFS block sizes are 512 B .. 64 KiB (xfs_format.h XFS_MIN_BLOCKSIZE_LOG..XFS_MAX_BLOCKSIZE_LOG). */
export const MIN_BLOCKLOG = 9;
export const MAX_BLOCKLOG = 16;
/** Inode sizes 256 B .. 2 KiB (XFS_DINODE_MIN_LOG..XFS_DINODE_MAX_LOG). */
export const MIN_INODELOG = 8;
export const MAX_INODELOG = 11;
/** Directory blocks are at most 64 KiB (XFS_MAX_BLOCKSIZE). */
export const MAX_DIRBLKLOG_BYTES = 16;
/** The spec allows 2^32 AGs; a real filesystem has thousands at most, this bounds arithmetic. */
export const MAX_AG_COUNT = 1 << 24;

// ---- superblock (xfs_format.h struct xfs_dsb), sector 0 of every AG ------------------------------

export const XFS_SB_MAGIC = 0x58465342; // 'XFSB'
/** v5 superblock CRC field offset (sb_crc). */
export const SB_CRC_OFFSET = 224;

/** sb_versionnum low nibble and bits. */
const VERSION_NUMBITS = 0x000f;
const VERSION_MOREBITSBIT = 0x8000;
/** sb_features2 bits. */
const VERSION2_CRCBIT = 0x100;
const VERSION2_FTYPE = 0x200;
/** sb_features_incompat bits (v5). */
export const INCOMPAT_FTYPE = 0x1;
export const INCOMPAT_SPINODES = 0x2;
export const INCOMPAT_META_UUID = 0x4;
export const INCOMPAT_BIGTIME = 0x8;
export const INCOMPAT_NEEDSREPAIR = 0x10;
export const INCOMPAT_NREXT64 = 0x20;
export const INCOMPAT_EXCHRANGE = 0x40;
export const INCOMPAT_PARENT = 0x80;
/**
 * Incompat features whose on-disk changes this reader understands or that do not touch the
 * structures it reads (exchange-range and parent pointers live in the log and in xattrs).
 */
const KNOWN_INCOMPAT =
  INCOMPAT_FTYPE |
  INCOMPAT_SPINODES |
  INCOMPAT_META_UUID |
  INCOMPAT_BIGTIME |
  INCOMPAT_NEEDSREPAIR |
  INCOMPAT_NREXT64 |
  INCOMPAT_EXCHRANGE |
  INCOMPAT_PARENT;

const INCOMPAT_NAMES: Record<number, string> = {
  [INCOMPAT_FTYPE]: 'ftype',
  [INCOMPAT_SPINODES]: 'sparse_inodes',
  [INCOMPAT_META_UUID]: 'meta_uuid',
  [INCOMPAT_BIGTIME]: 'bigtime',
  [INCOMPAT_NEEDSREPAIR]: 'needsrepair',
  [INCOMPAT_NREXT64]: 'nrext64',
  [INCOMPAT_EXCHRANGE]: 'exchange_range',
  [INCOMPAT_PARENT]: 'parent',
  256: 'metadir',
  512: 'zoned',
};
const RO_COMPAT_NAMES: Record<number, string> = { 1: 'finobt', 2: 'rmapbt', 4: 'reflink', 8: 'inobtcount' };

export interface Superblock {
  version: 4 | 5;
  blockSize: number;
  blockLog: number;
  dblocks: number;
  uuid: string;
  label: string;
  logStart: bigint;
  logBlocks: number;
  rootIno: bigint;
  agBlocks: number;
  agCount: number;
  sectSize: number;
  inodeSize: number;
  inodeLog: number;
  inopBlock: number;
  inopbLog: number;
  agblkLog: number;
  dirBlkLog: number;
  /** The data block size of directories: blockSize << dirBlkLog. */
  dirBlockSize: number;
  logSectLog: number;
  hasFtype: boolean;
  hasCrc: boolean;
  bigtime: boolean;
  nrext64: boolean;
  needsRepair: boolean;
  inProgress: boolean;
  features: string[];
  versionNum: number;
  features2: number;
  incompat: number;
  roCompat: number;
  logIncompat: number;
}

/**
 * Decodes and validates the primary superblock. `bytes` holds at least the first 512 bytes; for a
 * v5 superblock the caller passes the whole sector (`sb_sectsize`) so the CRC can be checked.
 * Returns undefined when the magic is not XFSB (not ours).
 */
export function decodeSuperblock(bytes: Uint8Array): Superblock | undefined {
  const v = new ByteView(bytes, 'XFS superblock');
  if (bytes.length < 512 || v.u32be(0) !== XFS_SB_MAGIC) return undefined;
  const bad = (field: string, actual: unknown, expected?: unknown): FormatError =>
    new FormatError('xfs/bad-superblock', `xfs: superblock ${field} is invalid (${String(actual)})`, {
      data: { offset: 0, field, actual, expected },
    });
  const versionNum = v.u16be(100);
  const vnum = versionNum & VERSION_NUMBITS;
  if (vnum !== 4 && vnum !== 5) {
    throw new UnsupportedError('xfs/unsupported-version', `xfs: superblock version ${vnum} is not 4 or 5`, {
      data: { offset: 100, actual: vnum },
    });
  }
  const features2 = versionNum & VERSION_MOREBITSBIT ? v.u32be(200) : 0;
  const blockSize = v.u32be(4);
  const blockLog = v.u8(120);
  if (blockLog < MIN_BLOCKLOG || blockLog > MAX_BLOCKLOG || blockSize !== 2 ** blockLog) {
    throw bad('sb_blocksize', blockSize);
  }
  const sectSize = v.u16be(102);
  const sectLog = v.u8(121);
  if (sectLog < 9 || sectLog > 15 || sectSize !== 2 ** sectLog || sectSize > blockSize)
    throw bad('sb_sectsize', sectSize);
  const inodeSize = v.u16be(104);
  const inodeLog = v.u8(122);
  if (
    inodeLog < MIN_INODELOG ||
    inodeLog > MAX_INODELOG ||
    inodeSize !== 2 ** inodeLog ||
    inodeSize > blockSize
  ) {
    throw bad('sb_inodesize', inodeSize);
  }
  const inopBlock = v.u16be(106);
  const inopbLog = v.u8(123);
  if (inopBlock !== blockSize / inodeSize || inopBlock !== 2 ** inopbLog)
    throw bad('sb_inopblock', inopBlock);
  const agBlocks = v.u32be(84);
  const agCount = v.u32be(88);
  const agblkLog = v.u8(124);
  // sb_agblklog is log2 of sb_agblocks rounded up (xfs_sb.c xfs_validate_sb_common).
  if (agBlocks < 1 || agblkLog > 31 || agblkLog !== Math.ceil(Math.log2(agBlocks)))
    throw bad('sb_agblklog', agblkLog);
  if (agCount < 1 || agCount > MAX_AG_COUNT) throw bad('sb_agcount', agCount);
  const dblocks = u64num(v, 8, 'sb_dblocks');
  if (dblocks > agBlocks * agCount || dblocks < agBlocks * (agCount - 1)) {
    throw bad('sb_dblocks', dblocks, `${agBlocks * (agCount - 1)}..${agBlocks * agCount}`);
  }
  const dirBlkLog = v.u8(192);
  if (blockLog + dirBlkLog > MAX_DIRBLKLOG_BYTES) throw bad('sb_dirblklog', dirBlkLog);
  const hasCrc = vnum === 5;
  if (hasCrc && (features2 & VERSION2_CRCBIT) === 0) throw bad('sb_features2', features2);
  const incompat = hasCrc ? v.u32be(216) : 0;
  const roCompat = hasCrc ? v.u32be(212) : 0;
  const logIncompat = hasCrc ? v.u32be(220) : 0;
  if (hasCrc) {
    const len = Math.min(sectSize, bytes.length);
    if (bytes.length < sectSize) throw bad('sector', bytes.length, sectSize);
    const expected = storedCrc(bytes, SB_CRC_OFFSET);
    const actual = xfsCrc(bytes.subarray(0, len), SB_CRC_OFFSET);
    if (expected !== actual) {
      throw new FormatError('xfs/bad-superblock-crc', 'xfs: superblock CRC mismatch', {
        data: { offset: 0, expected, actual },
      });
    }
    const unknown = incompat & ~KNOWN_INCOMPAT;
    if (unknown !== 0) {
      throw new UnsupportedError(
        'xfs/unsupported-feature',
        `xfs: incompatible feature bits 0x${unknown.toString(16)} (${featureNames(unknown, INCOMPAT_NAMES).join(', ')}) are not supported`,
        { data: { offset: 216, actual: incompat } },
      );
    }
  }
  const fname = bytes.subarray(108, 120);
  const nul = fname.indexOf(0);
  const label = new TextDecoder().decode(nul < 0 ? fname : fname.subarray(0, nul));
  const features = [
    ...(hasCrc ? ['crc'] : []),
    ...featureNames(incompat, INCOMPAT_NAMES),
    ...featureNames(roCompat, RO_COMPAT_NAMES),
    ...(!hasCrc && features2 & VERSION2_FTYPE ? ['ftype'] : []),
  ];
  return {
    version: vnum,
    blockSize,
    blockLog,
    dblocks,
    uuid: v.uuid(32),
    label,
    logStart: v.u64be(48),
    logBlocks: v.u32be(96),
    rootIno: v.u64be(56),
    agBlocks,
    agCount,
    sectSize,
    inodeSize,
    inodeLog,
    inopBlock,
    inopbLog,
    agblkLog,
    dirBlkLog,
    dirBlockSize: blockSize << dirBlkLog,
    logSectLog: v.u8(193),
    hasFtype: hasCrc ? (incompat & INCOMPAT_FTYPE) !== 0 : (features2 & VERSION2_FTYPE) !== 0,
    hasCrc,
    bigtime: (incompat & INCOMPAT_BIGTIME) !== 0,
    nrext64: (incompat & INCOMPAT_NREXT64) !== 0,
    needsRepair: (incompat & INCOMPAT_NEEDSREPAIR) !== 0,
    inProgress: v.u8(126) !== 0,
    features,
    versionNum,
    features2,
    incompat,
    roCompat,
    logIncompat,
  };
}

function featureNames(bits: number, names: Record<number, string>): string[] {
  const out: string[] = [];
  for (let bit = 1; bit !== 0 && bit <= bits; bit = (bit << 1) >>> 0) {
    if (bits & bit) out.push(names[bit] ?? `0x${bit.toString(16)}`);
  }
  return out;
}
