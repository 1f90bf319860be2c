import { FormatError, isImagecheckError, isInternalError, UnsupportedError } from '@imagecheck/access';
import { MAX_BZIP2_INPUT as CODEC_MAX_BZIP2_INPUT, decompressStream } from '@imagecheck/binary';
import { type CpioEntry, CpioReader } from './cpio.js';

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
 * | `1f 8b`, `1f 9e`     | gzip        | yes (streamed)                     |
 * | `28 b5 2f fd`        | zstd        | yes (streamed)                     |
 * | `02 21 4c 18`        | lz4 legacy  | yes (block by block)               |
 * | `fd 37 7a 58 5a 00`  | xz          | yes (streamed)                     |
 * | `5d 00 00`           | lzma        | no: `initramfs/unsupported-compression` |
 * | `42 5a 68`           | bzip2       | yes (compressed input held in memory) |
 * | `89 4c 5a 4f`        | lzop        | no                                 |
 *
 * Decompression is @imagecheck/binary's codec module (`decompressStream`). The file is read in
 * ranges and decompressed in chunks; file data inside the archives is skipped,
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
/** Output chunk of the decompressors: large chunks keep the per-chunk overhead negligible. */
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
      case 'lz4-legacy':
      case 'xz':
      case 'bzip2':
        consumed = await decode(format, input, pos, head, cpio, budget, label, options.signal);
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

/** bzip2 input is held whole in memory (the decoder reads a buffer); output still goes out in chunks. */
export const MAX_BZIP2_INPUT = CODEC_MAX_BZIP2_INPUT;

/** The compressed segment at `start`, in ranges: the head already read, then `READ_CHUNK` at a time. */
async function* ranges(input: RangeInput, start: number, head: Uint8Array): AsyncGenerator<Uint8Array> {
  yield head;
  for (let p = start + head.length; p < input.size; ) {
    const c = await input.read(p, Math.min(READ_CHUNK, input.size - p));
    if (c.length === 0) return;
    p += c.length;
    yield c;
  }
}

/**
 * A compressed segment through the codec module, its output pushed to the cpio reader as it comes.
 * Returns the compressed bytes the segment used when the codec knows where its stream ended
 * (gzip and zstd that ended cleanly, lz4 always); undefined when the stream stopped with the
 * cpio reader or ended in an error after complete archives (trailing junk). xz and bzip2 do not
 * say where they end: the segment is taken to run to the end of the file (dracut and
 * initramfs-tools put the compressed archive last).
 */
async function decode(
  format: 'gzip' | 'zstd' | 'lz4-legacy' | 'xz' | 'bzip2',
  input: RangeInput,
  start: number,
  head: Uint8Array,
  cpio: CpioReader,
  budget: number,
  label: string,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  const n = input.size - start;
  if (format === 'bzip2' && n > MAX_BZIP2_INPUT) {
    throw new UnsupportedError(
      'initramfs/bzip2-too-large',
      `${label}: ${n} bytes of bzip2, over the ${MAX_BZIP2_INPUT} bytes read into memory`,
      { data: { offset: start, actual: n, expected: MAX_BZIP2_INPUT } },
    );
  }
  let result: Awaited<ReturnType<typeof decompressStream>>;
  try {
    result = await decompressStream(
      format,
      ranges(input, start, head),
      (chunk) => {
        cpio.push(chunk);
        return !cpio.stopped;
      },
      {
        maxOutput: budget,
        chunkSize: INFLATE_CHUNK,
        maxInput: MAX_BZIP2_INPUT,
        ...(signal ? { signal } : {}),
      },
    );
  } catch (err) {
    // The cpio reader's errors, an abort, the input's errors and an unsupported codec pass through.
    if (!isImagecheckError(err) || isInternalError(err)) throw err;
    const e = err as { code: string; message: string; data?: Record<string, unknown> };
    if (!e.code.startsWith('codec/') || e.code === 'codec/zstd-unavailable') throw err;
    const structure = e.data?.structure;
    if (e.code === 'codec/output-too-large' && structure !== 'lz4-block') throw tooLarge(label, budget);
    if (format === 'lz4-legacy') {
      if (e.code === 'codec/lz4-bad-block-size') {
        if (cpio.archives > 0 && cpio.atBoundary) return undefined;
        throw new FormatError('initramfs/lz4-bad-block-size', `${label}: ${e.message}`, {
          data: { ...e.data, offset: start },
          cause: err,
        });
      }
      const code = e.code === 'codec/truncated' ? 'initramfs/truncated' : 'initramfs/lz4-corrupt';
      throw new FormatError(code, `${label}: ${e.message}`, { data: { offset: start, format }, cause: err });
    }
    if (cpio.archives > 0 && cpio.atBoundary) return undefined;
    throw new FormatError('initramfs/corrupt-stream', `${label}: ${e.message}`, {
      data: { offset: start, format, decompressed: cpio.position },
      cause: err,
    });
  }
  if (format === 'lz4-legacy') return result.inputBytes;
  if (cpio.stopped) return undefined;
  return result.inputBytes ?? n;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
