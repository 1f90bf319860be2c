import { FormatError } from '@imagecheck/sdk';

/**
 * The LZ4 "legacy frame", the only LZ4 container the Linux kernel's initramfs unpacker reads
 * (lib/decompress_unlz4.c; `lz4 -l`), written from the LZ4 project's format documents
 * (doc/lz4_Frame_format.md, "Legacy frame"; doc/lz4_Block_format.md).
 *
 * Legacy frame:
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
 *
 * LZ4 block: a sequence of (token, literals, match) groups. Token high nibble: literal length
 * (15 means more length bytes follow, each added, until one is not 255); low nibble: match length
 * minus 4 (same extension). Literals follow; then a 2-byte little-endian offset (1..65535) back
 * into the output, and the match is copied byte by byte (it may overlap its own output). The last
 * sequence has literals only.
 */

export const LZ4_LEGACY_MAGIC = 0x184c2102;
/** Decompressed size of every legacy block but the last (LEGACY_BLOCKSIZE, 8 MiB). */
export const LZ4_LEGACY_BLOCK_SIZE = 8 * 1024 * 1024;
/** LZ4_compressBound(8 MiB): the largest compressed block a legacy frame may hold. */
export const LZ4_MAX_COMPRESSED_BLOCK = LZ4_LEGACY_BLOCK_SIZE + Math.floor(LZ4_LEGACY_BLOCK_SIZE / 255) + 16;

/**
 * Decodes one LZ4 block from `src` into `dst` (which bounds the output) and returns the number of
 * bytes written. Throws `initramfs/lz4-corrupt` on any out-of-bounds length or offset.
 */
export function decodeLz4Block(src: Uint8Array, dst: Uint8Array, srcOffset: number): number {
  let ip = 0;
  let op = 0;
  const iend = src.length;
  const oend = dst.length;
  const bad = (what: string): never => {
    throw new FormatError('initramfs/lz4-corrupt', `lz4 block at ${srcOffset}: ${what}`, {
      data: { format: 'lz4-legacy', offset: srcOffset + ip },
    });
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
    if (op + lit > oend) bad('literals overflow the 8 MiB block');
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
    if (op + len > oend) bad('match overflows the 8 MiB block');
    let from = op - offset;
    if (offset >= len) {
      dst.copyWithin(op, from, from + len);
      op += len;
    } else {
      // Overlapping copy repeats the last `offset` bytes: byte by byte, as the format defines.
      const end = op + len;
      while (op < end) dst[op++] = dst[from++] as number;
    }
  }
  return op;
}
