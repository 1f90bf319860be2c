import { ByteView } from '@imagecheck/binary';
import { storedCrc, xfsCrc } from './crc32c.js';
import type { Superblock } from './format.js';
import {
  decodeExtent,
  type Extent,
  type Inode,
  inodeError,
  MAX_BMBT_BLOCKS,
  MAX_BMBT_DEPTH,
  MAX_EXTENTS,
} from './inode.js';

/*
 * The block-mapping B+tree (di_format BTREE), xfs_format.h:
 * - root in the inode's data fork, struct xfs_bmdr_block: 0 bb_level u16, 2 bb_numrecs u16,
 *   then bb_numrecs keys (u64 startoff) at 4 and pointers (u64 fsblock) at 4 + maxrecs * 8,
 *   maxrecs = (fork size - 4) / 16 (xfs_bmdr_maxrecs).
 * - other blocks, struct xfs_btree_block long form: 0 magic ('BMAP' v4, 'BMA3' v5), 4 bb_level,
 *   6 bb_numrecs, 8 bb_leftsib, 16 bb_rightsib; v5 adds 24 bb_blkno (daddr, 512-byte units),
 *   32 bb_lsn, 40 bb_uuid, 56 bb_owner (inode), 64 bb_crc (le32), 68 pad: header 24 or 72 bytes.
 *   Leaves hold 16-byte extent records; nodes hold maxrecs keys then maxrecs pointers, with
 *   maxrecs = (blocksize - header) / 16.
 */
const BMAP_MAGIC = 0x424d4150; // 'BMAP'
const BMAP_CRC_MAGIC = 0x424d4133; // 'BMA3'
const BTREE_CRC_OFFSET = 64;

export interface BlockReader {
  sb: Superblock;
  /** Reads `count` filesystem blocks at fsblock number `fsbno` (agno << agblklog | agbno), bounds-checked. */
  readFsb(fsbno: number, count: number): Promise<Uint8Array>;
  /** The 512-byte disk address of a fsblock (what v5 headers record in bb_blkno). */
  daddr(fsbno: number): number;
}

/** Collects every extent of a BTREE-format data fork, in file order. Depth-capped, visited-set guarded. */
export async function bmbtExtents(r: BlockReader, inode: Inode): Promise<Extent[]> {
  const { sb } = r;
  const fork = inode.dataFork;
  const ino = inode.ino;
  const fv = new ByteView(fork, `XFS bmap btree root of inode ${ino}`);
  const level = fv.u16be(0);
  const numrecs = fv.u16be(2);
  const rootMax = Math.floor((fork.length - 4) / 16);
  if (level < 1 || level > MAX_BMBT_DEPTH || numrecs < 1 || numrecs > rootMax) {
    throw inodeError('xfs/bad-bmbt-root', 'bad bmap btree root', ino, {
      expected: `level 1..${MAX_BMBT_DEPTH}, numrecs 1..${rootMax}`,
      actual: { level, numrecs },
    });
  }
  const out: Extent[] = [];
  const visited = new Set<number>();
  const hdr = sb.hasCrc ? 72 : 24;
  const blockMax = Math.floor((sb.blockSize - hdr) / 16);
  const daddrNumber = (bv: ByteView, o: number): number => {
    const v = bv.u64be(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw inodeError('xfs/bad-bmbt-pointer', 'pointer out of range', ino, { actual: v.toString() });
    }
    return Number(v);
  };

  async function visit(fsbno: number, expectLevel: number): Promise<void> {
    if (visited.has(fsbno)) {
      throw inodeError('xfs/bmbt-loop', 'bmap btree visits a block twice', ino, { block: fsbno });
    }
    if (visited.size >= MAX_BMBT_BLOCKS) {
      throw inodeError('xfs/bmbt-too-large', 'bmap btree has too many blocks', ino, {
        expected: MAX_BMBT_BLOCKS,
      });
    }
    visited.add(fsbno);
    const b = await r.readFsb(fsbno, 1);
    const bv = new ByteView(b, `XFS bmap btree block ${fsbno}`);
    const magic = bv.u32be(0);
    const want = sb.hasCrc ? BMAP_CRC_MAGIC : BMAP_MAGIC;
    if (magic !== want) {
      throw inodeError('xfs/bad-bmbt-magic', 'bad bmap btree block magic', ino, {
        block: fsbno,
        expected: want,
        actual: magic,
      });
    }
    if (sb.hasCrc) {
      const expected = storedCrc(b, BTREE_CRC_OFFSET);
      const actual = xfsCrc(b, BTREE_CRC_OFFSET);
      if (expected !== actual) {
        throw inodeError('xfs/bad-bmbt-crc', 'bmap btree block CRC mismatch', ino, {
          block: fsbno,
          expected,
          actual,
        });
      }
      const owner = bv.u64be(56);
      const blkno = bv.u64be(24);
      if (owner !== ino || blkno !== BigInt(r.daddr(fsbno))) {
        throw inodeError('xfs/bad-bmbt-owner', 'bmap btree block belongs elsewhere', ino, {
          block: fsbno,
          expected: { owner: ino.toString(), blkno: r.daddr(fsbno) },
          actual: { owner: owner.toString(), blkno: blkno.toString() },
        });
      }
    }
    const lvl = bv.u16be(4);
    const n = bv.u16be(6);
    if (lvl !== expectLevel || n < 1 || n > blockMax) {
      throw inodeError('xfs/bad-bmbt-block', 'bmap btree block has a bad level or record count', ino, {
        block: fsbno,
        expected: { level: expectLevel, numrecs: `1..${blockMax}` },
        actual: { level: lvl, numrecs: n },
      });
    }
    if (lvl === 0) {
      if (out.length + n > MAX_EXTENTS) {
        throw inodeError('xfs/bad-extent-count', 'too many extents', ino, { expected: MAX_EXTENTS });
      }
      for (let i = 0; i < n; i++) out.push(decodeExtent(bv, hdr + i * 16, ino));
      return;
    }
    for (let i = 0; i < n; i++) await visit(daddrNumber(bv, hdr + blockMax * 8 + i * 8), lvl - 1);
  }

  for (let i = 0; i < numrecs; i++) await visit(daddrNumber(fv, 4 + rootMax * 8 + i * 8), level - 1);
  return out;
}
