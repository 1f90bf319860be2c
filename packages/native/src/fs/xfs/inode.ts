import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';
import { storedCrc, xfsCrc } from './crc32c.js';
import { type Superblock, u64num } from './format.js';

/*
 * Inodes (xfs_format.h struct xfs_dinode), big-endian:
 *   0 di_magic 'IN'   2 di_mode   4 di_version (1, 2; 3 on v5)   5 di_format (0 dev, 1 local,
 *   2 extents, 3 btree)   6 di_onlink   8 di_uid   12 di_gid   16 di_nlink   20 di_projid_lo/hi
 *   24 di_big_nextents (u64, v3 with NREXT64) / padding + di_flushiter
 *   32 di_atime   40 di_mtime   48 di_ctime (each s32 sec + u32 nsec, or one u64 of nanoseconds
 *   since 1901-12-13T20:45:52Z when di_flags2 has BIGTIME)
 *   56 di_size   64 di_nblocks   72 di_extsize
 *   76 di_nextents (u32) + 80 di_anextents (u16), or with NREXT64: 76 di_big_anextents (u32)
 *   82 di_forkoff (attr fork offset in 8-byte units)   83 di_aformat   90 di_flags   92 di_gen
 *   v3 only: 100 di_crc (le32)   104 di_changecount   112 di_lsn   120 di_flags2   128 di_cowextsize
 *   144 di_crtime   152 di_ino   160 di_uuid;   the data fork follows at 100 (v1/v2) or 176 (v3).
 * Inode numbers: agno << (agblklog + inopblog) | agbno << inopblog | index in block.
 */

export const XFS_DINODE_MAGIC = 0x494e; // 'IN'
const V2_CORE_SIZE = 100;
const V3_CORE_SIZE = 176;
const DINODE_CRC_OFFSET = 100;

export const FMT_DEV = 0;
export const FMT_LOCAL = 1;
export const FMT_EXTENTS = 2;
export const FMT_BTREE = 3;

const DIFLAG_REALTIME = 0x1;
const DIFLAG2_BIGTIME = 1n << 3n;
const DIFLAG2_NREXT64 = 1n << 4n;
/** Seconds between the bigtime epoch (the lowest legacy s32 time, 1901-12-13) and 1970 (xfs_format.h XFS_BIGTIME_EPOCH_OFFSET). */
const BIGTIME_EPOCH_OFFSET = 2n ** 31n;

/** XFS files are at most 2^63 - 1 bytes; this reader needs offsets it can do arithmetic on. */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;
/** Extents decoded for one file; a 1 TiB file in 4 KiB pieces would need 2^28, a real image far fewer. */
export const MAX_EXTENTS = 1 << 21;
/** bmbt height: XFS's own limit for a 2^54-block file with minimum fanout is 9 (xfs_bmap_compute_maxlevels). */
export const MAX_BMBT_DEPTH = 9;
/** bmbt blocks visited per file (each holds ~250 extents at 4 KiB). */
export const MAX_BMBT_BLOCKS = MAX_EXTENTS / 16;

export interface Extent {
  /** File offset in filesystem blocks. */
  startOff: number;
  /** Filesystem block number (agno << agblklog | agbno). */
  startBlock: number;
  blockCount: number;
  /** Preallocated, never written: reads as zeros. */
  unwritten: boolean;
}

export interface Inode {
  ino: bigint;
  mode: number;
  version: number;
  format: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  nextents: number;
  flags: number;
  mtimeMs: number;
  /** The data fork bytes (literal area up to the attribute fork). */
  dataFork: Uint8Array;
  realtime: boolean;
}

export function inodeError(
  code: string,
  message: string,
  ino: bigint,
  data: Record<string, unknown> = {},
): FormatError {
  return new FormatError(code, `xfs: inode ${ino}: ${message}`, { data: { inode: ino.toString(), ...data } });
}

/** Byte offset of inode `ino` in the filesystem, after checking every part of the number. */
export function inodeOffset(sb: Superblock, ino: bigint): number {
  const inoBits = BigInt(sb.agblkLog + sb.inopbLog);
  const agno = ino >> inoBits;
  const agbno = Number((ino >> BigInt(sb.inopbLog)) & ((1n << BigInt(sb.agblkLog)) - 1n));
  const index = Number(ino & BigInt(sb.inopBlock - 1));
  if (ino <= 0n || agno >= BigInt(sb.agCount) || agbno >= sb.agBlocks) {
    throw inodeError('xfs/bad-inode-number', 'inode number is outside the filesystem', ino, {
      expected: `agno < ${sb.agCount}, agbno < ${sb.agBlocks}`,
      actual: { agno: agno.toString(), agbno },
    });
  }
  const block = Number(agno) * sb.agBlocks + agbno;
  if (block >= sb.dblocks) {
    throw inodeError('xfs/bad-inode-number', 'inode block is past the end of the filesystem', ino, {
      expected: sb.dblocks,
      actual: block,
    });
  }
  return block * sb.blockSize + index * sb.inodeSize;
}

function decodeTime(v: ByteView, o: number, bigtime: boolean): number {
  if (bigtime) {
    const ns = v.u64be(o);
    return Number(ns / 1_000_000n) - Number(BIGTIME_EPOCH_OFFSET) * 1000;
  }
  return v.i32be(o) * 1000 + Math.floor(v.u32be(o + 4) / 1_000_000);
}

/** Decodes one on-disk inode (`bytes` is exactly sb_inodesize long), checking magic, version and, on v5, CRC and number. */
export function decodeInode(sb: Superblock, ino: bigint, bytes: Uint8Array, offset: number): Inode {
  const v = new ByteView(bytes, `XFS inode ${ino}`, offset);
  if (v.u16be(0) !== XFS_DINODE_MAGIC) {
    throw inodeError('xfs/bad-inode-magic', 'bad magic', ino, {
      offset,
      expected: XFS_DINODE_MAGIC,
      actual: v.u16be(0),
    });
  }
  const version = v.u8(4);
  if (sb.hasCrc ? version !== 3 : version !== 1 && version !== 2) {
    throw inodeError('xfs/bad-inode-version', `version ${version}`, ino, {
      offset,
      expected: sb.hasCrc ? 3 : '1 or 2',
      actual: version,
    });
  }
  let flags2 = 0n;
  if (version === 3) {
    const expected = storedCrc(bytes, DINODE_CRC_OFFSET);
    const actual = xfsCrc(bytes, DINODE_CRC_OFFSET);
    if (expected !== actual)
      throw inodeError('xfs/bad-inode-crc', 'CRC mismatch', ino, { offset, expected, actual });
    const stored = v.u64be(152);
    if (stored !== ino) {
      throw inodeError('xfs/inode-number-mismatch', 'di_ino does not match', ino, {
        offset,
        expected: ino.toString(),
        actual: stored.toString(),
      });
    }
    flags2 = v.u64be(120);
  }
  const mode = v.u16be(2);
  const format = v.u8(5);
  const size = u64num(v, 56, 'di_size');
  const bigtime = (flags2 & DIFLAG2_BIGTIME) !== 0n;
  const nextents =
    version === 3 && (flags2 & DIFLAG2_NREXT64) !== 0n ? u64num(v, 24, 'di_big_nextents') : v.u32be(76);
  const coreSize = version === 3 ? V3_CORE_SIZE : V2_CORE_SIZE;
  const litSize = sb.inodeSize - coreSize;
  const forkOff = v.u8(82) * 8;
  if (forkOff > litSize) {
    throw inodeError('xfs/bad-inode-forkoff', 'attribute fork offset is past the inode', ino, {
      offset,
      expected: `<= ${litSize}`,
      actual: forkOff,
    });
  }
  const dataSize = forkOff === 0 ? litSize : forkOff;
  const flags = v.u16be(90);
  return {
    ino,
    mode,
    version,
    format,
    uid: v.u32be(8),
    gid: v.u32be(12),
    nlink: version === 1 ? v.u16be(6) : v.u32be(16),
    size,
    nextents,
    flags,
    mtimeMs: decodeTime(v, 40, bigtime),
    dataFork: bytes.slice(coreSize, coreSize + dataSize),
    realtime: (flags & DIFLAG_REALTIME) !== 0,
  };
}

/**
 * One packed bmbt record (xfs_format.h xfs_bmbt_rec, 128 bits big-endian):
 * bit 127 extent flag (unwritten) | 54 bits startoff | 52 bits startblock | 21 bits blockcount.
 */
export function decodeExtent(b: Uint8Array | ByteView, o: number, ino: bigint): Extent {
  const v = b instanceof ByteView ? b : new ByteView(b, `XFS extent record of inode ${ino}`);
  const a = v.u32be(o);
  const w1 = v.u32be(o + 4);
  const w2 = v.u32be(o + 8);
  const w3 = v.u32be(o + 12);
  const offHigh = a & 0x7fffffff;
  // startoff = offHigh:w1 >> 9 is 54 bits; above 2^53 it cannot be a real offset of a file we can read.
  if (offHigh >= 2 ** 30)
    throw inodeError('xfs/bad-extent', 'extent offset out of range', ino, { actual: offHigh });
  return {
    unwritten: a >>> 31 === 1,
    startOff: offHigh * 2 ** 23 + (w1 >>> 9),
    startBlock: (w1 & 0x1ff) * 2 ** 43 + w2 * 2 ** 11 + (w3 >>> 21),
    blockCount: w3 & 0x1fffff,
  };
}

/** Checks that extents are in file order, non-overlapping, non-empty and inside the filesystem. */
export function checkExtents(sb: Superblock, ino: bigint, extents: Extent[]): void {
  let prevEnd = 0;
  for (const [i, e] of extents.entries()) {
    if (e.blockCount === 0 || e.startOff < prevEnd) {
      throw inodeError('xfs/bad-extent-order', 'extents overlap, are out of order or empty', ino, {
        index: i,
        expected: `startoff >= ${prevEnd}, blockcount > 0`,
        actual: { startOff: e.startOff, blockCount: e.blockCount },
      });
    }
    prevEnd = e.startOff + e.blockCount;
    const agno = Math.floor(e.startBlock / 2 ** sb.agblkLog);
    const agbno = e.startBlock % 2 ** sb.agblkLog;
    if (
      agno >= sb.agCount ||
      agbno + e.blockCount > sb.agBlocks ||
      agno * sb.agBlocks + agbno + e.blockCount > sb.dblocks
    ) {
      throw inodeError('xfs/bad-extent', 'extent is outside the filesystem', ino, {
        index: i,
        expected: `agno < ${sb.agCount}, agbno + count <= ${sb.agBlocks}`,
        actual: { agno, agbno, blockCount: e.blockCount },
      });
    }
  }
}

/** Extents stored in the inode (di_format EXTENTS): di_nextents records of 16 bytes in the data fork. */
export function inodeExtents(inode: Inode): Extent[] {
  const n = inode.nextents;
  if (n > MAX_EXTENTS || n * 16 > inode.dataFork.length) {
    throw inodeError('xfs/bad-extent-count', 'extent count does not fit the data fork', inode.ino, {
      expected: `<= ${Math.floor(inode.dataFork.length / 16)}`,
      actual: n,
    });
  }
  const out: Extent[] = [];
  const fork = new ByteView(inode.dataFork, `XFS extent list of inode ${inode.ino}`);
  for (let i = 0; i < n; i++) out.push(decodeExtent(fork, i * 16, inode.ino));
  return out;
}

export function assertNotRealtime(inode: Inode): void {
  if (inode.realtime) {
    throw new UnsupportedError(
      'xfs/realtime',
      `xfs: inode ${inode.ino} has its data on the realtime device`,
      {
        data: { inode: inode.ino.toString() },
      },
    );
  }
}
