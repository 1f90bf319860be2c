import { once } from 'node:events';
import * as zlib from 'node:zlib';
import { FormatError, isImagecheckError, UnsupportedError } from '@imagecheck/sdk';
import { type CpioEntry, CpioReader } from './cpio.js';
import {
  decodeLz4Block,
  LZ4_LEGACY_BLOCK_SIZE,
  LZ4_LEGACY_MAGIC,
  LZ4_MAX_COMPRESSED_BLOCK,
} from './lz4-legacy.js';

/**
 * An initramfs image as the kernel reads it (init/initramfs.c `unpack_to_rootfs`): a sequence of
 * segments, each either uncompressed newc cpio archives (an early microcode or firmware archive,
 * typically) or one compressed stream whose content is itself newc cpio archives. NUL bytes
 * between segments are padding. A compressed segment is recognised by its magic
 * (lib/decompress.c `compressed_formats`):
 *
 * | magic (hex)          | format      | read here                          |
 * |----------------------|-------------|------------------------------------|
 * | `30 37 30 37 30 3x`  | cpio newc   | yes                                |
 * | `1f 8b`, `1f 9e`     | gzip        | yes (node:zlib, streamed)          |
 * | `28 b5 2f fd`        | zstd        | yes (node:zlib, streamed)          |
 * | `02 21 4c 18`        | lz4 legacy  | yes (our decoder, block by block)  |
 * | `fd 37 7a 58 5a 00`  | xz          | yes (xz-decompress: xz-embedded in WebAssembly, streamed) |
 * | `5d 00 00`           | lzma        | no: `initramfs/unsupported-compression` |
 * | `42 5a 68`           | bzip2       | yes (seek-bzip, pure JavaScript; compressed input held in memory) |
 * | `89 4c 5a 4f`        | lzop        | no                                 |
 *
 * The file is read in ranges and decompressed in chunks; file data inside the archives is skipped,
 * so memory stays bounded by the read and output chunks (and the 8 MiB LZ4 block) whatever the
 * size of the image or of the files inside it.
 */

/** Random access to the initramfs file: the guest file, read in ranges. */
export interface RangeInput {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export type SegmentFormat = 'cpio' | 'gzip' | 'zstd' | 'lz4-legacy' | 'xz' | 'lzma' | 'bzip2' | 'lzop';

export interface InitramfsSegment {
  /** Byte offset of the segment in the initramfs file. */
  readonly offset: number;
  readonly format: SegmentFormat;
  /** Bytes of the file the segment occupies (compressed size for compressed segments). */
  readonly size: number;
  /** Bytes of cpio data (the decompressed size for compressed segments). */
  readonly cpioBytes: number;
  readonly archives: number;
  readonly entries: number;
}

export interface InitramfsScan {
  readonly size: number;
  readonly segments: readonly InitramfsSegment[];
  readonly entries: number;
  readonly decompressedBytes: number;
  /** Files asked for with `capture`, by normalised name. */
  readonly captured: ReadonlyMap<string, { readonly data: Uint8Array; readonly truncated: boolean }>;
  /** Conditions the kernel would also stop at but which leave what was read valid (junk after the last segment). */
  readonly warnings: readonly string[];
}

export interface ScanOptions {
  readonly onEntry?: (entry: CpioEntry, segment: number) => void;
  readonly capture?: (name: string) => boolean;
  /** Total decompressed bytes allowed over all segments; default `MAX_DECOMPRESSED_BYTES`. */
  readonly maxDecompressedBytes?: number;
  readonly signal?: AbortSignal;
}

/** Decompressed cpio bytes read from one initramfs; Debian 12's expands to ~130 MB. */
export const MAX_DECOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024;
/** Segments in one image: early microcode, firmware, main; 64 leaves room for unusual builders. */
export const MAX_SEGMENTS = 64;
/**
 * Bytes read to recognise a segment, and per read of an uncompressed one: archives after the first
 * are usually small (microcode, firmware), so a small window wastes little when re-read.
 */
const HEAD_READ = 64 * 1024;
/**
 * Bytes per range read of a compressed segment. A guest read has a fixed cost (path walk, extent
 * lookup, container mapping): measured on a qcow2 + ext4 guest, 4 MiB reads cost a third of the
 * CPU of 1 MiB reads for the same 16 MB file.
 */
const READ_CHUNK = 4 * 1024 * 1024;
/** Output chunk of the zlib decompressors: large chunks keep the per-chunk overhead negligible. */
const INFLATE_CHUNK = 2 * 1024 * 1024;

export function detectSegment(head: Uint8Array): SegmentFormat | undefined {
  const b = (i: number): number => head[i] ?? -1;
  if (b(0) === 0x30 && b(1) === 0x37 && b(2) === 0x30 && b(3) === 0x37) return 'cpio';
  if (b(0) === 0x1f && (b(1) === 0x8b || b(1) === 0x9e)) return 'gzip';
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return 'zstd';
  if (b(0) === 0x02 && b(1) === 0x21 && b(2) === 0x4c && b(3) === 0x18) return 'lz4-legacy';
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58 && b(4) === 0x5a && b(5) === 0x00)
    return 'xz';
  if (b(0) === 0x5d && b(1) === 0x00 && b(2) === 0x00) return 'lzma';
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68) return 'bzip2';
  if (b(0) === 0x89 && b(1) === 0x4c && b(2) === 0x5a && b(3) === 0x4f) return 'lzop';
  return undefined;
}

/** Reads every segment of an initramfs; see the module comment. */
export async function scanInitramfs(input: RangeInput, options: ScanOptions = {}): Promise<InitramfsScan> {
  const cap = options.maxDecompressedBytes ?? MAX_DECOMPRESSED_BYTES;
  const segments: InitramfsSegment[] = [];
  const captured = new Map<string, { data: Uint8Array; truncated: boolean }>();
  const warnings: string[] = [];
  let decompressed = 0;
  let entries = 0;
  let pos = 0;
  const size = input.size;

  while (pos < size) {
    options.signal?.throwIfAborted();
    const head = await input.read(pos, Math.min(HEAD_READ, size - pos));
    if (head.length === 0) break;
    let z = 0;
    while (z < head.length && head[z] === 0) z++;
    if (z > 0) {
      pos += z;
      continue;
    }
    if (segments.length >= MAX_SEGMENTS) {
      throw new FormatError('initramfs/too-many-segments', `more than ${MAX_SEGMENTS} segments`, {
        data: { offset: pos, expected: MAX_SEGMENTS },
      });
    }
    const format = detectSegment(head);
    if (format === undefined) {
      if (segments.length > 0) {
        // The kernel stops here too ("invalid magic at start of compressed archive") and keeps
        // what it unpacked, so the earlier segments stand.
        warnings.push(`unrecognised data at offset ${pos} after ${segments.length} segment(s); not read`);
        break;
      }
      throw new FormatError(
        'initramfs/bad-magic',
        `not an initramfs: no cpio or compression magic at offset ${pos}`,
        {
          data: { offset: pos, actual: hex(head.subarray(0, 8)) },
        },
      );
    }
    const index = segments.length;
    const label = `${format} segment at ${pos}`;
    const cpio = new CpioReader({
      label,
      baseOffset: pos,
      ...(options.capture ? { capture: options.capture } : {}),
      ...(options.onEntry ? { onEntry: (e: CpioEntry) => options.onEntry?.(e, index) } : {}),
    });
    const budget = cap - decompressed;
    let consumed: number | undefined;
    switch (format) {
      case 'cpio':
        consumed = await readUncompressed(input, pos, head, cpio);
        break;
      case 'gzip':
      case 'zstd':
        consumed = await inflate(format, input, pos, head, cpio, budget, label, options.signal);
        break;
      case 'lz4-legacy':
        consumed = await unlz4(input, pos, cpio, budget, label);
        break;
      case 'xz':
        consumed = await unxz(input, pos, head, cpio, budget, label, options.signal);
        break;
      case 'bzip2':
        consumed = await bunzip(input, pos, cpio, budget, label);
        break;
      default:
        throw new UnsupportedError(
          'initramfs/unsupported-compression',
          `${format}-compressed initramfs segment at offset ${pos}: imagecheck does not decompress ${format}`,
          { data: { offset: pos, format } },
        );
    }
    if (format !== 'cpio') {
      if (cpio.stopped)
        warnings.push(`${label}: data after the last cpio archive inside the stream; not read`);
      else if (!cpio.atBoundary) {
        throw new FormatError('initramfs/truncated', `${label}: the stream ends inside a cpio entry`, {
          data: { offset: pos, cpioOffset: cpio.position },
        });
      }
      decompressed += cpio.position;
    }
    entries += cpio.entries;
    for (const [k, v] of cpio.captured) captured.set(k, v);
    segments.push({
      offset: pos,
      format,
      size: consumed ?? size - pos,
      cpioBytes: cpio.position,
      archives: cpio.archives,
      entries: cpio.entries,
    });
    if (consumed === undefined) {
      if (!cpio.stopped)
        warnings.push(`${label}: the stream ended in an error after its last complete archive`);
      // A decompressor that cannot tell where its stream ended: nothing after it is read.
      break;
    }
    pos += consumed;
  }
  if (segments.length === 0) {
    throw new FormatError('initramfs/empty', 'the initramfs holds no segment', { data: { size } });
  }
  return { size, segments, entries, decompressedBytes: decompressed, captured, warnings };
}

async function readUncompressed(
  input: RangeInput,
  start: number,
  head: Uint8Array,
  cpio: CpioReader,
): Promise<number> {
  let pos = start;
  let chunk = head;
  for (;;) {
    const used = cpio.push(chunk);
    pos += used;
    if (cpio.stopped || pos >= input.size) break;
    chunk = await input.read(pos, Math.min(HEAD_READ * 16, input.size - pos));
    if (chunk.length === 0) break;
  }
  if (!cpio.atBoundary) {
    throw new FormatError(
      'initramfs/truncated',
      `cpio segment at ${start}: the file ends inside a cpio entry`,
      {
        data: { offset: start, end: pos },
      },
    );
  }
  return pos - start;
}

function tooLarge(label: string, budget: number): FormatError {
  return new FormatError(
    'initramfs/decompressed-too-large',
    `${label}: decompresses to more than the ${budget} bytes allowed (MAX_DECOMPRESSED_BYTES)`,
    { data: { expected: budget } },
  );
}

/**
 * gzip and zstd through node:zlib streams. Returns the compressed bytes the stream used, taken
 * from the decompressor's `bytesWritten` when it ended cleanly; undefined when the stream ended in
 * an error after complete archives (trailing junk), where that count is not reliable.
 */
async function inflate(
  format: 'gzip' | 'zstd',
  input: RangeInput,
  start: number,
  head: Uint8Array,
  cpio: CpioReader,
  budget: number,
  label: string,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  const d =
    format === 'gzip'
      ? zlib.createGunzip({ chunkSize: INFLATE_CHUNK })
      : zlib.createZstdDecompress({ chunkSize: INFLATE_CHUNK });
  let out = 0;
  let failure: unknown;
  let stopped = false;
  const finished = new Promise<'end' | 'error'>((resolve) => {
    d.on('data', (chunk: Uint8Array) => {
      if (stopped) return;
      try {
        signal?.throwIfAborted();
        out += chunk.length;
        if (out > budget) throw tooLarge(label, budget);
        cpio.push(chunk);
        if (cpio.stopped) {
          stopped = true;
          resolve('end');
        }
      } catch (err) {
        failure = err;
        stopped = true;
        resolve('error');
      }
    });
    d.on('end', () => {
      // The stream's own end (zstd frame end, last gzip member): stop feeding what follows it.
      stopped = true;
      resolve('end');
    });
    d.on('error', (err) => {
      failure ??= err;
      stopped = true;
      resolve('error');
    });
  });
  // Feed the file in ranges, respecting the decompressor's backpressure, until it stops.
  try {
    // The head was read already to find the magic: feed it first rather than read it twice.
    for (let p = start, first = true; p < input.size && !stopped; first = false) {
      const c = first ? head : await input.read(p, Math.min(READ_CHUNK, input.size - p));
      if (c.length === 0) break;
      p += c.length;
      // `once` rejects on the stream's error, which `finished` already reports: not a second failure.
      if (!d.write(c)) await Promise.race([once(d, 'drain').catch(() => undefined), finished]);
    }
    if (!stopped) d.end();
  } catch (err) {
    failure ??= err;
  }
  const how = failure === undefined ? await finished : 'error';
  const used = d.bytesWritten;
  d.destroy();
  if (how === 'error') {
    if (isImagecheckError(failure) || signal?.aborted) throw failure;
    if (cpio.archives > 0 && cpio.atBoundary) return undefined;
    throw new FormatError('initramfs/corrupt-stream', `${label}: ${(failure as Error).message}`, {
      data: { offset: start, format, decompressed: out },
      cause: failure,
    });
  }
  if (cpio.stopped) return undefined;
  return used;
}

/**
 * xz through the xz-decompress package (the xz-embedded decoder compiled to WebAssembly), loaded
 * only when an image has an xz segment. It does not report where its stream ended, so an xz
 * segment is taken as the last one: nothing after it is read (dracut and initramfs-tools put the
 * compressed archive last).
 */
async function unxz(
  input: RangeInput,
  start: number,
  head: Uint8Array,
  cpio: CpioReader,
  budget: number,
  label: string,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  // A CommonJS bundle: Node exposes its exports as `default`, bundlers as named exports.
  type XzModule = typeof import('xz-decompress');
  const mod = (await import('xz-decompress')) as unknown as Partial<XzModule> & { default?: XzModule };
  const XzReadableStream = mod.XzReadableStream ?? mod.default?.XzReadableStream;
  if (XzReadableStream === undefined) {
    throw new UnsupportedError(
      'initramfs/unsupported-compression',
      `${label}: the xz decoder could not be loaded`,
      {
        data: { offset: start, format: 'xz' },
      },
    );
  }
  let p = start;
  let first = true;
  const compressed = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const c = first
        ? head
        : p < input.size
          ? await input.read(p, Math.min(READ_CHUNK, input.size - p))
          : new Uint8Array(0);
      first = false;
      if (c.length === 0) {
        ctrl.close();
        return;
      }
      p += c.length;
      ctrl.enqueue(c);
    },
  });
  const reader = new XzReadableStream(compressed).getReader();
  let out = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      signal?.throwIfAborted();
      out += value.length;
      if (out > budget) throw tooLarge(label, budget);
      cpio.push(value);
      if (cpio.stopped) break;
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    if (isImagecheckError(err) || signal?.aborted) throw err;
    if (cpio.archives > 0 && cpio.atBoundary) return undefined;
    throw new FormatError('initramfs/corrupt-stream', `${label}: ${(err as Error).message}`, {
      data: { offset: start, format: 'xz', decompressed: out },
      cause: err,
    });
  }
  await reader.cancel().catch(() => undefined);
  return cpio.stopped ? undefined : input.size - start;
}

/** bzip2 input is held whole in memory (the decoder reads a buffer); output still goes out in chunks. */
export const MAX_BZIP2_INPUT = 256 * 1024 * 1024;

/**
 * bzip2 through seek-bzip, a pure-JavaScript decoder that writes its output byte by byte: the
 * bytes are gathered into chunks for the cpio reader, so the decompressed archive is never held
 * whole. Like xz, the segment is taken as the last one.
 */
async function bunzip(
  input: RangeInput,
  start: number,
  cpio: CpioReader,
  budget: number,
  label: string,
): Promise<number | undefined> {
  const n = input.size - start;
  if (n > MAX_BZIP2_INPUT) {
    throw new UnsupportedError(
      'initramfs/bzip2-too-large',
      `${label}: ${n} bytes of bzip2, over the ${MAX_BZIP2_INPUT} bytes read into memory`,
      {
        data: { offset: start, actual: n, expected: MAX_BZIP2_INPUT },
      },
    );
  }
  const src = await input.read(start, n);
  const { default: Bunzip } = await import('seek-bzip');
  const chunk = new Uint8Array(INFLATE_CHUNK);
  let fill = 0;
  let out = 0;
  const flush = (): void => {
    out += fill;
    if (out > budget) throw tooLarge(label, budget);
    cpio.push(chunk.subarray(0, fill));
    fill = 0;
  };
  try {
    Bunzip.decode(src, {
      writeByte(b: number): void {
        chunk[fill++] = b;
        if (fill === chunk.length) flush();
      },
    });
    flush();
  } catch (err) {
    if (isImagecheckError(err)) throw err;
    if (cpio.archives > 0 && cpio.atBoundary) return undefined;
    throw new FormatError('initramfs/corrupt-stream', `${label}: ${(err as Error).message}`, {
      data: { offset: start, format: 'bzip2', decompressed: out + fill },
      cause: err,
    });
  }
  return cpio.stopped ? undefined : n;
}

/** The LZ4 legacy frame (see lz4-legacy.ts), block by block. Returns the bytes the frame used. */
async function unlz4(
  input: RangeInput,
  start: number,
  cpio: CpioReader,
  budget: number,
  label: string,
): Promise<number> {
  const dst = new Uint8Array(LZ4_LEGACY_BLOCK_SIZE);
  let pos = start + 4;
  let out = 0;
  while (pos + 4 <= input.size) {
    const sz = await input.read(pos, 4);
    const n = ((sz[0] ?? 0) | ((sz[1] ?? 0) << 8) | ((sz[2] ?? 0) << 16) | ((sz[3] ?? 0) << 24)) >>> 0;
    if (n === LZ4_LEGACY_MAGIC) {
      pos += 4;
      continue;
    }
    if (n === 0) break;
    if (n > LZ4_MAX_COMPRESSED_BLOCK) {
      if (cpio.archives > 0 && cpio.atBoundary) break;
      throw new FormatError(
        'initramfs/lz4-bad-block-size',
        `${label}: block size ${n} exceeds ${LZ4_MAX_COMPRESSED_BLOCK}`,
        {
          data: { offset: pos, actual: n, expected: LZ4_MAX_COMPRESSED_BLOCK },
        },
      );
    }
    if (pos + 4 + n > input.size) {
      throw new FormatError(
        'initramfs/truncated',
        `${label}: block of ${n} bytes at ${pos} runs past the file end`,
        {
          data: { offset: pos, actual: n, size: input.size },
        },
      );
    }
    const block = await input.read(pos + 4, n);
    const produced = decodeLz4Block(block, dst, pos + 4);
    out += produced;
    if (out > budget) throw tooLarge(label, budget);
    cpio.push(dst.subarray(0, produced));
    pos += 4 + n;
    if (cpio.stopped) break;
  }
  return pos - start;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
