import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView } from '../bytes.js';
import { outputTooLarge, type ZlibModule } from './types.js';
import { type Decoder, zlibFailure } from './zlib.js';

/** zstd frame magic (RFC 8878 section 3.1.1), little-endian `28 b5 2f fd`. */
export const ZSTD_MAGIC = 0xfd2fb528;

/**
 * The length of the first zstd frame in `b` (RFC 8878 section 3.1.1): magic (4), frame header
 * descriptor (1: bits 6-7 content-size flag, bit 5 single segment, bit 2 checksum, bits 0-1
 * dictionary-id flag), window descriptor (1 unless single segment), dictionary id (0/1/2/4),
 * frame content size (0/1/2/4/8; 1 only when single segment with flag 0), then blocks with a
 * 3-byte little-endian header (bit 0 last block, bits 1-2 type, bits 3-23 size; an RLE block
 * stores 1 byte), then an optional 4-byte checksum.
 *
 * Containers store a frame padded to sectors with unrelated bytes (qcow2 clusters, btrfs extents),
 * which a one-shot decoder would read as a second frame; the kernel's streaming decoder stops at
 * the frame end, and so does this walk. Each block header takes 3 bytes and moves forward, so the
 * walk ends within `b.length / 3` steps.
 *
 * @param base absolute offset of `b[0]`, for messages
 */
export function zstdFrameLength(b: Uint8Array, base = 0): number {
  const bad = (why: string, at: number): FormatError =>
    new FormatError('codec/bad-zstd-frame', `zstd frame at ${base}: ${why}`, {
      data: { structure: 'zstd frame', offset: base + at, length: b.length },
    });
  if (b.length < 6) throw bad('shorter than a frame header', 0);
  const v = new ByteView(b, 'zstd frame', base);
  const magic = v.u32le(0);
  if (magic !== ZSTD_MAGIC) throw bad(`bad magic 0x${magic.toString(16)}`, 0);
  const fhd = v.u8(4);
  const single = (fhd & 0x20) !== 0;
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fhd >> 6] ?? 0;
  const dictBytes = [0, 1, 2, 4][fhd & 3] ?? 0;
  let pos = 5 + (single ? 0 : 1) + dictBytes + fcsBytes;
  for (;;) {
    if (pos + 3 > b.length) throw bad('block header past the end of the data', pos);
    const h = v.u24le(pos);
    const type = (h >> 1) & 3;
    if (type === 3) throw bad('reserved block type', pos);
    pos += 3 + (type === 1 ? 1 : h >>> 3);
    if (pos > b.length) throw bad('block past the end of the data', pos);
    if ((h & 1) !== 0) break;
  }
  if ((fhd & 0x04) !== 0) pos += 4;
  if (pos > b.length) throw bad('checksum past the end of the data', pos);
  return pos;
}

type ZstdSync = (input: Uint8Array, options: { maxOutputLength: number }) => Uint8Array;
type ZstdStream = (options: { chunkSize: number }) => Decoder;

function unavailable(): UnsupportedError {
  return new UnsupportedError(
    'codec/zstd-unavailable',
    `zstd-compressed data needs Node.js >= 22.15 (node:zlib zstd); this is Node.js ${process.versions.node}`,
    { data: { node: process.versions.node, needed: '>=22.15' } },
  );
}

/** True when this Node's node:zlib has zstd (Node >= 22.15, >= 23.8). */
export function zstdAvailable(zlib: ZlibModule): boolean {
  return typeof zlib.zstdDecompressSync === 'function' && typeof zlib.createZstdDecompress === 'function';
}

/** One-shot: the first frame of `input`, at most `maxOutput` bytes. */
export function zstdOneShot(input: Uint8Array, maxOutput: number, zlib: ZlibModule): Uint8Array {
  const fn = zlib.zstdDecompressSync;
  if (typeof fn !== 'function') throw unavailable();
  const frame = input.subarray(0, zstdFrameLength(input));
  let out: Uint8Array;
  try {
    out = (fn as ZstdSync).call(zlib, frame, { maxOutputLength: maxOutput + 1 });
  } catch (err) {
    throw zlibFailure('zstd', err, maxOutput);
  }
  if (out.length > maxOutput) throw outputTooLarge('zstd', maxOutput);
  return out;
}

/** A node:zlib zstd decompressing Transform; stops at the end of the (first) frame. */
export function createZstd(chunkSize: number, zlib: ZlibModule): Decoder {
  const fn = zlib.createZstdDecompress;
  if (typeof fn !== 'function') throw unavailable();
  return (fn as ZstdStream).call(zlib, { chunkSize });
}
