import { FormatError } from '@imagecheck/access';
import { ByteView } from '../bytes.js';
import { concat, corrupt, outputTooLarge, truncated } from './types.js';

/**
 * LZ4, written from the LZ4 project's format documents (doc/lz4_Block_format.md,
 * doc/lz4_Frame_format.md "Legacy frame").
 *
 * Block: a sequence of (token, literals, match) groups. Token high nibble: literal length (15
 * means more length bytes follow, each added, until one is not 255); low nibble: match length
 * minus 4 (same extension). Literals follow; then a 2-byte little-endian offset (1..65535) back
 * into the output, and the match is copied byte by byte (it may overlap its own output). The last
 * sequence has literals only.
 *
 * Legacy frame (`lz4 -l`, the only LZ4 container the kernel's initramfs unpacker reads,
 * lib/decompress_unlz4.c):
 *
 * | offset | size | field                                                        |
 * |-------:|-----:|--------------------------------------------------------------|
 * |      0 |    4 | magic 0x184C2102, little-endian (`02 21 4C 18`)              |
 * |      4 |    4 | compressed size of block 1, little-endian                    |
 * |      8 |    n | block 1: an LZ4 block that decompresses to at most 8 MiB     |
 * |    ... |      | further (size, block) pairs, each block independent          |
 *
 * The frame has no end marker: it ends with its input, or where a size field holds the magic
 * again (a second legacy frame concatenated, which the kernel also accepts). A size of 0 is taken
 * as the start of NUL padding after the frame.
 */

export const LZ4_LEGACY_MAGIC = 0x184c2102;
/** Decompressed size of every legacy block but the last (LEGACY_BLOCKSIZE, 8 MiB). */
export const LZ4_LEGACY_BLOCK_SIZE = 8 * 1024 * 1024;
/** LZ4_compressBound(8 MiB): the largest compressed block a legacy frame may hold. */
export const LZ4_MAX_COMPRESSED_BLOCK = LZ4_LEGACY_BLOCK_SIZE + Math.floor(LZ4_LEGACY_BLOCK_SIZE / 255) + 16;

/**
 * Decodes one LZ4 block from `src` into `dst` (whose length bounds the output) and returns the
 * number of bytes written. Any length or offset outside the block or the output is `codec/corrupt`
 * (a literal or match that would overflow `dst` is `codec/output-too-large`).
 *
 * @param base absolute offset of `src[0]`, for messages
 */
export function decodeLz4Block(src: Uint8Array, dst: Uint8Array, base = 0): number {
  let ip = 0;
  let op = 0;
  const iend = src.length;
  const oend = dst.length;
  const bad = (what: string): never => {
    throw corrupt('lz4-block', `block at ${base}: ${what}`, { offset: base + ip });
  };
  while (ip < iend) {
    const token = src[ip++] as number;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= iend) bad('literal length runs past the block');
        b = src[ip++] as number;
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > iend) bad('literals run past the block');
    if (op + lit > oend) throw outputTooLarge('lz4-block', oend);
    dst.set(src.subarray(ip, ip + lit), op);
    ip += lit;
    op += lit;
    if (ip === iend) break; // the last sequence: literals only
    if (ip + 2 > iend) bad('match offset runs past the block');
    const offset = (src[ip] as number) | ((src[ip + 1] as number) << 8);
    ip += 2;
    if (offset === 0 || offset > op) bad(`match offset ${offset} outside the ${op} bytes written`);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= iend) bad('match length runs past the block');
        b = src[ip++] as number;
        len += b;
      } while (b === 255);
    }
    if (op + len > oend) throw outputTooLarge('lz4-block', oend);
    let from = op - offset;
    if (offset >= len) {
      dst.copyWithin(op, from, from + len);
      op += len;
    } else {
      // An overlapping copy repeats the last `offset` bytes: byte by byte, as the format defines.
      const end = op + len;
      while (op < end) dst[op++] = dst[from++] as number;
    }
  }
  return op;
}

/** What a legacy-frame size field says: a block of `size` bytes, the frame's end, or a new frame. */
export type Lz4LegacyStep = { kind: 'block'; size: number } | { kind: 'end' } | { kind: 'magic' };

/** Classifies the little-endian size word at `offset`; a block over the format bound is an error. */
export function lz4LegacyStep(word: Uint8Array, offset: number): Lz4LegacyStep {
  const n = new ByteView(word, 'lz4 legacy block size', offset).u32le(0);
  if (n === LZ4_LEGACY_MAGIC) return { kind: 'magic' };
  if (n === 0) return { kind: 'end' };
  if (n > LZ4_MAX_COMPRESSED_BLOCK) {
    throw new FormatError(
      'codec/lz4-bad-block-size',
      `lz4-legacy block size ${n} at ${offset} exceeds the format bound ${LZ4_MAX_COMPRESSED_BLOCK}`,
      { data: { structure: 'lz4-legacy', offset, actual: n, expected: LZ4_MAX_COMPRESSED_BLOCK } },
    );
  }
  return { kind: 'block', size: n };
}

/**
 * One-shot legacy frame: every block of the frame at the start of `input`, at most `maxOutput`
 * bytes in all. Bytes after the frame's end (a zero size word) are ignored.
 */
export function lz4LegacyOneShot(input: Uint8Array, maxOutput: number): Uint8Array {
  const v = new ByteView(input, 'lz4 legacy frame');
  if (input.length < 4 || v.u32le(0) !== LZ4_LEGACY_MAGIC) {
    throw corrupt('lz4-legacy', 'no legacy frame magic', { offset: 0 });
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  let pos = 4;
  const block = new Uint8Array(Math.min(LZ4_LEGACY_BLOCK_SIZE, maxOutput + 1));
  while (pos + 4 <= input.length) {
    const step = lz4LegacyStep(input.subarray(pos, pos + 4), pos);
    if (step.kind === 'end') break;
    pos += 4;
    if (step.kind === 'magic') continue;
    if (pos + step.size > input.length) throw truncated('lz4-legacy', { offset: pos, actual: step.size });
    const room = block.subarray(0, Math.min(block.length, maxOutput - total + 1));
    let n: number;
    try {
      n = decodeLz4Block(input.subarray(pos, pos + step.size), room, pos);
    } catch (err) {
      if ((err as { code?: string }).code === 'codec/output-too-large')
        throw outputTooLarge('lz4-legacy', maxOutput);
      throw err;
    }
    total += n;
    if (total > maxOutput) throw outputTooLarge('lz4-legacy', maxOutput);
    parts.push(block.slice(0, n));
    pos += step.size;
  }
  return concat(parts);
}

/** One-shot block: `input` is one LZ4 block decoding to at most `maxOutput` bytes. */
export function lz4BlockOneShot(input: Uint8Array, maxOutput: number): Uint8Array {
  const dst = new Uint8Array(maxOutput);
  return dst.subarray(0, decodeLz4Block(input, dst));
}
