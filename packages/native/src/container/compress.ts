import * as zlib from 'node:zlib';
import { FormatError, UnsupportedError } from '@imagecheck/access';

/*
 * Decompression of one container unit (a qcow2 cluster, a VMDK grain). The output size is known
 * in advance, so every call caps the output at exactly that size: a unit that inflates past it
 * is a FormatError, never an allocation the image chose.
 */

export type Codec = 'deflate-raw' | 'zlib' | 'zstd';

function tooLarge(code: string, what: string, expected: number, cause: unknown): FormatError {
  return new FormatError(
    code,
    `${what} does not decompress to ${expected} bytes: ${(cause as Error).message}`,
    {
      data: { expected },
      cause,
    },
  );
}

/**
 * Decompresses `input` into exactly `expected` bytes. Trailing bytes after the end of the
 * compressed stream are ignored (containers pad units to sector boundaries with whatever follows).
 * `allowShort` accepts a shorter output (VMDK's last grain may cover less than a full grain).
 */
export function decompress(
  codec: Codec,
  input: Uint8Array,
  expected: number,
  code: string,
  what: string,
  allowShort = false,
): Uint8Array {
  let out: Uint8Array;
  try {
    // maxOutputLength caps allocation; +1 lets us see "more than expected" as an error, not a clip.
    const opts = { maxOutputLength: expected + 1, finishFlush: zlib.constants.Z_SYNC_FLUSH };
    if (codec === 'deflate-raw') out = zlib.inflateRawSync(input, opts);
    else if (codec === 'zlib') out = zlib.inflateSync(input, opts);
    else out = zstd(input, expected);
  } catch (cause) {
    if (cause instanceof FormatError || cause instanceof UnsupportedError) throw cause;
    throw tooLarge(code, what, expected, cause);
  }
  if (out.length > expected || (out.length < expected && !allowShort)) {
    throw new FormatError(code, `${what} decompresses to ${out.length} bytes, expected ${expected}`, {
      data: { expected, actual: out.length },
    });
  }
  return out;
}

/** True when this Node has zstd in node:zlib (Node >= 22.15 / 23.8). */
export function hasZstd(): boolean {
  return typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';
}

function zstd(input: Uint8Array, expected: number): Uint8Array {
  const fn = (zlib as { zstdDecompressSync?: (b: Uint8Array, o: object) => Buffer }).zstdDecompressSync;
  if (fn === undefined) {
    throw new UnsupportedError(
      'container/zstd-unavailable',
      `zstd-compressed data needs Node >= 22.15 or >= 23.8 (node:zlib zstd); this is Node ${process.versions.node}`,
      { data: { node: process.versions.node } },
    );
  }
  // The stored unit is padded with unrelated bytes; zstd would read them as a second frame.
  const frame = input.subarray(0, zstdFrameLength(input));
  return fn(frame, { maxOutputLength: expected + 1 });
}

const ZSTD_MAGIC = 0xfd2fb528;

/**
 * The length of the first zstd frame in `b` (RFC 8878 §3.1.1): magic (4), frame header descriptor
 * (1), window descriptor (0/1), dictionary id (0/1/2/4), content size (0/1/2/4/8), then blocks with
 * a 3-byte header each (bit 0 last, bits 1-2 type, bits 3-23 size), then an optional 4-byte checksum.
 */
export function zstdFrameLength(b: Uint8Array): number {
  const bad = (why: string) =>
    new FormatError('container/bad-zstd-frame', `zstd frame: ${why}`, { data: { length: b.length } });
  if (b.length < 6) throw bad('too short');
  const magic = ((b[0] ?? 0) | ((b[1] ?? 0) << 8) | ((b[2] ?? 0) << 16) | ((b[3] ?? 0) << 24)) >>> 0;
  if (magic !== ZSTD_MAGIC) throw bad(`bad magic 0x${magic.toString(16)}`);
  const fhd = b[4] ?? 0;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  const dictFlag = fhd & 3;
  const dictBytes = [0, 1, 2, 4][dictFlag] ?? 0;
  const sizeBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag] ?? 0;
  let pos = 5 + (single ? 0 : 1) + dictBytes + sizeBytes;
  // Each block header is 3 bytes, so this loop runs at most length/3 times.
  for (;;) {
    if (pos + 3 > b.length) throw bad('truncated block header');
    const h = (b[pos] ?? 0) | ((b[pos + 1] ?? 0) << 8) | ((b[pos + 2] ?? 0) << 16);
    const last = h & 1;
    const type = (h >> 1) & 3;
    const size = h >>> 3;
    if (type === 3) throw bad('reserved block type');
    pos += 3 + (type === 1 ? 1 : size);
    if (pos > b.length) throw bad('truncated block');
    if (last) break;
  }
  pos += checksum ? 4 : 0;
  if (pos > b.length) throw bad('truncated checksum');
  return pos;
}
