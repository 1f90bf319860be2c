import { FormatError } from '@imagecheck/access';
import { ByteView, Lru } from '@imagecheck/binary';
import type { Inode } from './inode.js';
import { join64, type Superblock } from './superblock.js';

/**
 * A run of logical blocks of a file: `pblk` is the first physical block, or `undefined` for a hole
 * or an uninitialised (preallocated) extent, both of which read as zeros.
 */
export interface Run {
  lblk: number;
  len: number;
  pblk: number | undefined;
}

export interface MapContext {
  sb: Superblock;
  /** Reads one filesystem block (through the source's block cache). */
  readBlock(pblk: number): Promise<Uint8Array>;
}

/** The kernel's EXT4_MAX_EXTENT_DEPTH: an extent tree of 2^32 blocks never needs more levels. */
export const MAX_EXTENT_DEPTH = 5;
/** Tree nodes one mapping call may visit; each level narrows the range, so a sane tree needs few. */
export const MAX_NODES_PER_MAP = 4096;
/** ee_len above this marks an uninitialised extent (length = ee_len − 32768), ext4 docs "Extent Tree". */
const EXT_INIT_MAX_LEN = 32768;
const EXTENT_MAGIC = 0xf30a;

function fail(code: string, message: string, data: Record<string, unknown>): FormatError {
  return new FormatError(`ext/${code}`, message, { data });
}

function checkPhysical(ctx: MapContext, inode: Inode, pblk: number, len: number, what: string): void {
  if (pblk < ctx.sb.firstDataBlock || pblk + len > ctx.sb.blocksCount || (pblk === 0 && len > 0)) {
    throw fail(
      'block-out-of-range',
      `inode ${inode.ino}: ${what} points at blocks ${pblk}+${len}, outside the filesystem`,
      {
        inode: inode.ino,
        actual: pblk,
        expected: `< ${ctx.sb.blocksCount}`,
      },
    );
  }
}

/** Appends a run, merging with the previous one when they are contiguous on disk (or both holes). */
function push(out: Run[], run: Run): void {
  const last = out[out.length - 1];
  if (last !== undefined && last.lblk + last.len === run.lblk) {
    if (last.pblk === undefined && run.pblk === undefined) {
      last.len += run.len;
      return;
    }
    if (last.pblk !== undefined && run.pblk !== undefined && last.pblk + last.len === run.pblk) {
      last.len += run.len;
      return;
    }
  }
  out.push(run);
}

/** Fills `[from, to)` with holes wherever `runs` (sorted, within the range) leave gaps. */
function withHoles(runs: Run[], from: number, to: number): Run[] {
  const out: Run[] = [];
  let at = from;
  for (const r of runs) {
    if (r.lblk > at) push(out, { lblk: at, len: r.lblk - at, pblk: undefined });
    push(out, r);
    at = r.lblk + r.len;
  }
  if (at < to) push(out, { lblk: at, len: to - at, pblk: undefined });
  return out;
}

/**
 * Maps logical blocks `[from, from + count)` of an extent-mapped inode.
 *
 * The tree (`struct ext4_extent_header` 12 bytes: 0x0 magic 0xF30A, 0x2 entries, 0x4 max,
 * 0x6 depth; then 12-byte `ext4_extent_idx` {0x0 ei_block, 0x4 ei_leaf_lo, 0x8 ei_leaf_hi u16}
 * or `ext4_extent` {0x0 ee_block, 0x4 ee_len u16, 0x6 ee_start_hi u16, 0x8 ee_start_lo}) is
 * walked only down the index entries that overlap the range. Every child must claim exactly its
 * parent's depth − 1, so a loop in the tree cannot recurse; a node budget bounds fan-out.
 */
export async function mapExtents(ctx: MapContext, inode: Inode, from: number, count: number): Promise<Run[]> {
  const to = from + count;
  const found: Run[] = [];
  let budget = MAX_NODES_PER_MAP;

  const walk = async (node: Uint8Array, where: string, expectDepth: number | undefined): Promise<void> => {
    if (--budget < 0) {
      throw fail(
        'extent-budget',
        `inode ${inode.ino}: extent tree walk exceeded ${MAX_NODES_PER_MAP} nodes`,
        { inode: inode.ino },
      );
    }
    const nv = new ByteView(node, `ext extent node of inode ${inode.ino} (${where})`);
    const magic = nv.u16le(0);
    const entries = nv.u16le(2);
    const max = nv.u16le(4);
    const depth = nv.u16le(6);
    const capacity = Math.floor((node.length - 12) / 12);
    if (magic !== EXTENT_MAGIC || entries > max || max > capacity || depth > MAX_EXTENT_DEPTH) {
      throw fail('bad-extent-header', `inode ${inode.ino}: bad extent header in ${where}`, {
        inode: inode.ino,
        offset: where,
        expected: { magic: EXTENT_MAGIC, maxEntries: capacity, maxDepth: MAX_EXTENT_DEPTH },
        actual: { magic, entries, max, depth },
      });
    }
    if (expectDepth !== undefined && depth !== expectDepth) {
      throw fail(
        'bad-extent-depth',
        `inode ${inode.ino}: extent node ${where} has depth ${depth}, its parent expects ${expectDepth}`,
        {
          inode: inode.ino,
          offset: where,
          expected: expectDepth,
          actual: depth,
        },
      );
    }
    let prevStart = -1;
    for (let i = 0; i < entries; i++) {
      const e = 12 + i * 12;
      const start = nv.u32le(e);
      if (start <= prevStart) {
        throw fail('bad-extent-order', `inode ${inode.ino}: extent entries in ${where} are not sorted`, {
          inode: inode.ino,
          offset: where,
          actual: start,
          expected: `> ${prevStart}`,
        });
      }
      prevStart = start;
      if (depth === 0) {
        const raw = nv.u16le(e + 4);
        const uninit = raw > EXT_INIT_MAX_LEN;
        const len = uninit ? raw - EXT_INIT_MAX_LEN : raw;
        if (len === 0 || start + len <= from || start >= to) continue;
        const pblk = join64(nv.u32le(e + 8), nv.u16le(e + 6));
        checkPhysical(ctx, inode, pblk, len, `extent ${i} of ${where}`);
        const lo = Math.max(start, from);
        const hi = Math.min(start + len, to);
        found.push({ lblk: lo, len: hi - lo, pblk: uninit ? undefined : pblk + (lo - start) });
      } else {
        // An index entry covers blocks up to the next entry's start (the last one to the end).
        const next = i + 1 < entries ? nv.u32le(e + 12) : 2 ** 32;
        if (next <= from || start >= to) continue;
        const child = join64(nv.u32le(e + 4), nv.u16le(e + 8));
        checkPhysical(ctx, inode, child, 1, `index ${i} of ${where}`);
        await walk(await ctx.readBlock(child), `block ${child}`, depth - 1);
      }
    }
  };

  await walk(inode.iBlock, 'i_block', undefined);
  // Overlapping extents would make `withHoles` emit runs out of order; a sorted, disjoint list is the contract.
  found.sort((a, b) => a.lblk - b.lblk);
  for (let i = 1; i < found.length; i++) {
    const prev = found[i - 1];
    const cur = found[i];
    if (prev !== undefined && cur !== undefined && prev.lblk + prev.len > cur.lblk) {
      throw fail('overlapping-extents', `inode ${inode.ino}: extents overlap at logical block ${cur.lblk}`, {
        inode: inode.ino,
        actual: cur.lblk,
      });
    }
  }
  return withHoles(found, from, to);
}

/** 12 direct pointers, then single, double and triple indirect (ext2 docs "Direct/Indirect Block Addressing"). */
const DIRECT = 12;

/**
 * Maps logical blocks `[from, from + count)` of a block-mapped inode (ext2/ext3 and ext4 with
 * `^extent`). i_block holds 15 u32s: 0..11 direct, 12 single, 13 double, 14 triple indirect.
 * A zero pointer at any level is a hole. Indirect blocks are read once per call per level.
 */
export async function mapBlockMap(
  ctx: MapContext,
  inode: Inode,
  from: number,
  count: number,
): Promise<Run[]> {
  const per = ctx.sb.blockSize / 4;
  const out: Run[] = [];
  const iv = new ByteView(inode.iBlock, `ext i_block of inode ${inode.ino}`);
  // Only the path to the current range is useful: three levels is all one call needs at once.
  const cache = new Lru<number, Uint8Array>(8);
  const pointerBlock = async (pblk: number): Promise<Uint8Array> => {
    let b = cache.get(pblk);
    if (b === undefined) {
      checkPhysical(ctx, inode, pblk, 1, 'indirect block');
      b = await ctx.readBlock(pblk);
      cache.set(pblk, b);
    }
    return b;
  };
  const limits = [DIRECT, DIRECT + per, DIRECT + per + per * per, DIRECT + per + per * per + per * per * per];
  const end = from + count;
  if (end > (limits[3] ?? 0)) {
    throw fail(
      'bad-block-map',
      `inode ${inode.ino}: logical block ${end - 1} is beyond a block map's reach`,
      {
        inode: inode.ino,
        actual: end - 1,
        expected: `< ${limits[3]}`,
      },
    );
  }
  for (let l = from; l < end; ) {
    let pblk = 0;
    let span = 1;
    if (l < DIRECT) {
      pblk = iv.u32le(l * 4);
    } else {
      // Indices along the path: level count and the position inside each pointer block.
      let rel: number;
      let root: number;
      let levels: number;
      if (l < (limits[1] ?? 0)) {
        rel = l - DIRECT;
        root = iv.u32le(12 * 4);
        levels = 1;
      } else if (l < (limits[2] ?? 0)) {
        rel = l - (limits[1] ?? 0);
        root = iv.u32le(13 * 4);
        levels = 2;
      } else {
        rel = l - (limits[2] ?? 0);
        root = iv.u32le(14 * 4);
        levels = 3;
      }
      pblk = root;
      for (let lvl = levels - 1; lvl >= 0 && pblk !== 0; lvl--) {
        const unit = per ** lvl;
        const idx = Math.floor(rel / unit) % per;
        const block = await pointerBlock(pblk);
        pblk = new ByteView(block, `ext indirect block ${pblk}`).u32le(idx * 4);
        if (pblk === 0) span = unit - (rel % unit);
      }
      if (root === 0) span = per ** levels - rel;
    }
    span = Math.min(span, end - l);
    if (pblk === 0) push(out, { lblk: l, len: span, pblk: undefined });
    else {
      checkPhysical(ctx, inode, pblk, 1, `block pointer for logical block ${l}`);
      push(out, { lblk: l, len: 1, pblk });
    }
    l += span;
  }
  return out;
}
