import { once } from 'node:events';
import { UnsupportedError } from '@imagecheck/access';
import { bzip2Decode } from './bzip2.js';
import {
  decodeLz4Block,
  LZ4_LEGACY_BLOCK_SIZE,
  lz4BlockOneShot,
  lz4LegacyOneShot,
  lz4LegacyStep,
} from './lz4.js';
import { lzo1xDecompress } from './lzo.js';
import {
  type CodecKind,
  checkMaxOutput,
  concat,
  corrupt,
  type DecompressOptions,
  outputTooLarge,
  truncated,
  type ZlibModule,
} from './types.js';
import { xzDecode } from './xz.js';
import {
  createInflater,
  type Decoder,
  type DeflateKind,
  inflateOneShot,
  NODE_ZLIB,
  zlibFailure,
} from './zlib.js';
import { createZstd, zstdAvailable, zstdOneShot } from './zstd.js';

export { decodeLz4Block, LZ4_LEGACY_BLOCK_SIZE, LZ4_LEGACY_MAGIC, LZ4_MAX_COMPRESSED_BLOCK } from './lz4.js';
export { lzo1xDecompress } from './lzo.js';
export type { CodecKind, DecompressOptions, ZlibModule } from './types.js';
export { ZSTD_MAGIC, zstdFrameLength } from './zstd.js';

/*
 * The one codec module. Every codec fails the same way:
 * - `codec/output-too-large` (FormatError): the output would pass `maxOutput` (a bomb, or a
 *   structure that lies about its size); found before more than `maxOutput + 1` bytes are held;
 * - `codec/truncated` (FormatError): the input ends before the compressed stream does;
 * - `codec/corrupt` (FormatError): anything else the decoder rejects (bad checksum, bad code);
 * - `codec/bad-zstd-frame`, `codec/lz4-bad-block-size` (FormatError): framing the walk rejects;
 * - `codec/zstd-unavailable` (UnsupportedError): this Node has no zstd in node:zlib (< 22.15).
 * Callers that own a structure (a qcow2 cluster, a btrfs extent) wrap these in their own code.
 */

/** Codecs that decode synchronously (all but xz, whose decoder is WebAssembly behind a stream). */
export type SyncCodecKind = Exclude<CodecKind, 'xz'>;

/**
 * Decompresses `input` (one stream at its start; bytes after the stream's end are ignored) into
 * at most `options.maxOutput` bytes, synchronously.
 */
export function decompressSync(
  kind: SyncCodecKind,
  input: Uint8Array,
  options: DecompressOptions,
): Uint8Array {
  checkMaxOutput(options.maxOutput);
  const zlib = options.zlib ?? NODE_ZLIB;
  switch (kind) {
    case 'deflate-raw':
    case 'zlib':
    case 'gzip':
      return inflateOneShot(kind, input, options.maxOutput, options.truncatedOk === true, zlib);
    case 'zstd':
      return zstdOneShot(input, options.maxOutput, zlib);
    case 'lz4-block':
      return lz4BlockOneShot(input, options.maxOutput);
    case 'lz4-legacy':
      return lz4LegacyOneShot(input, options.maxOutput);
    case 'lzo1x':
      return lzo1xDecompress(input, options.maxOutput);
    case 'bzip2': {
      const parts: Uint8Array[] = [];
      bzip2Decode(input, options.maxOutput, 1024 * 1024, (c) => {
        parts.push(c.slice());
        return true;
      });
      return concat(parts);
    }
  }
}

/** Decompresses `input` into at most `options.maxOutput` bytes; every codec, xz included. */
export async function decompress(
  kind: CodecKind,
  input: Uint8Array,
  options: DecompressOptions,
): Promise<Uint8Array> {
  if (kind !== 'xz') return decompressSync(kind, input, options);
  checkMaxOutput(options.maxOutput);
  const parts: Uint8Array[] = [];
  await xzDecode(
    (async function* () {
      yield input;
    })(),
    options.maxOutput,
    (c) => {
      parts.push(c.slice());
      return true;
    },
    undefined,
  );
  return concat(parts);
}

/** True when zstd can be decompressed here (Node >= 22.15 or >= 23.8), looked up at call time. */
export function hasZstd(zlib: ZlibModule = NODE_ZLIB): boolean {
  return zstdAvailable(zlib);
}

/** Codecs that stream: the container formats a file (an initramfs) is compressed with. */
export type StreamCodecKind = 'deflate-raw' | 'zlib' | 'gzip' | 'zstd' | 'lz4-legacy' | 'xz' | 'bzip2';

export interface StreamOptions {
  /** The most bytes the whole output may hold (the decompression-bomb cap). */
  readonly maxOutput: number;
  /** Output chunk size of the node:zlib decoders and of bzip2; default 2 MiB. */
  readonly chunkSize?: number;
  /** bzip2 decodes from memory: the most input bytes it holds; default `MAX_BZIP2_INPUT`. */
  readonly maxInput?: number;
  readonly signal?: AbortSignal;
  /** For tests: the `node:zlib` module to use. */
  readonly zlib?: ZlibModule;
}

export interface StreamResult {
  /** Bytes handed to the sink. */
  readonly outputBytes: number;
  /**
   * Compressed bytes the stream used, when the codec knows where it ended (the deflate family
   * and zstd when they ended cleanly, lz4-legacy always); undefined for xz and bzip2 (their
   * decoders do not say, so the input is taken to end with them) and when the sink stopped a
   * node:zlib decoder early.
   */
  readonly inputBytes?: number;
  /** True when the sink returned `false`. */
  readonly stopped: boolean;
}

/**
 * A chunk sink: called synchronously with each piece of output, in order. The chunk may be reused
 * after the call returns (copy what you keep). Return `false` to stop decoding. An error the sink
 * throws ends decoding and is rethrown unchanged.
 */
export type StreamSink = (chunk: Uint8Array) => boolean | undefined;

/** bzip2 input held in memory by the streaming decoder (seek-bzip reads from a buffer). */
export const MAX_BZIP2_INPUT = 256 * 1024 * 1024;
const DEFAULT_CHUNK = 2 * 1024 * 1024;

/**
 * Decompresses the stream read from `input` (the compressed bytes in order, in any chunking),
 * handing the output to `sink` as it is produced, so memory stays bounded by the chunks
 * (and an 8 MiB lz4 block) whatever the output size. Errors as for `decompressSync`; an error
 * from `input` or `sink` is rethrown unchanged.
 */
export async function decompressStream(
  kind: StreamCodecKind,
  input: AsyncIterable<Uint8Array>,
  sink: StreamSink,
  options: StreamOptions,
): Promise<StreamResult> {
  checkMaxOutput(options.maxOutput);
  const zlib = options.zlib ?? NODE_ZLIB;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const { maxOutput, signal } = options;
  switch (kind) {
    case 'deflate-raw':
    case 'zlib':
    case 'gzip':
      return nodeStream(kind, createInflater(kind, chunkSize, zlib), input, sink, maxOutput, signal);
    case 'zstd':
      return nodeStream('zstd', createZstd(chunkSize, zlib), input, sink, maxOutput, signal);
    case 'lz4-legacy':
      return lz4LegacyStream(input, sink, maxOutput, signal);
    case 'xz': {
      const src = tracked(input);
      try {
        return await xzDecode(src.iterable, maxOutput, sink, signal);
      } catch (err) {
        throw src.error() ?? err;
      }
    }
    case 'bzip2': {
      const maxInput = options.maxInput ?? MAX_BZIP2_INPUT;
      const parts: Uint8Array[] = [];
      let held = 0;
      for await (const c of input) {
        held += c.length;
        if (held > maxInput) throw inputTooLarge(maxInput, held);
        signal?.throwIfAborted();
        parts.push(c);
      }
      return bzip2Decode(concat(parts), maxOutput, chunkSize, sink);
    }
  }
}

function inputTooLarge(maxInput: number, held: number): UnsupportedError {
  return new UnsupportedError(
    'codec/input-too-large',
    `bzip2: more than the ${maxInput} bytes of input decoded from memory`,
    { data: { structure: 'bzip2', expected: maxInput, actual: held } },
  );
}

/** Wraps an input so that an error it throws can be told apart from the decoder's own. */
function tracked(input: AsyncIterable<Uint8Array>): {
  iterable: AsyncIterable<Uint8Array>;
  error(): unknown;
} {
  let failure: unknown;
  return {
    iterable: (async function* () {
      try {
        yield* input;
      } catch (err) {
        failure = err;
        throw err;
      }
    })(),
    error: () => failure,
  };
}

type Failure = { from: 'codec' | 'other'; err: unknown };

/**
 * A node:zlib Transform fed from `input` with backpressure until it ends (the end of the stream:
 * the last gzip member, the zstd frame), the sink stops it, or it fails.
 */
async function nodeStream(
  kind: DeflateKind | 'zstd',
  d: Decoder,
  input: AsyncIterable<Uint8Array>,
  sink: StreamSink,
  maxOutput: number,
  signal: AbortSignal | undefined,
): Promise<StreamResult> {
  let out = 0;
  let failure: Failure | undefined;
  let done = false;
  let stopped = false;
  const finished = new Promise<void>((resolve) => {
    d.on('data', (chunk: Uint8Array) => {
      if (done) return;
      try {
        signal?.throwIfAborted();
        out += chunk.length;
        if (out > maxOutput) throw outputTooLarge(kind, maxOutput);
        if (sink(chunk) === false) {
          stopped = true;
          done = true;
          resolve();
        }
      } catch (err) {
        failure ??= { from: 'other', err };
        done = true;
        resolve();
      }
    });
    d.on('end', () => {
      done = true;
      resolve();
    });
    d.on('error', (err) => {
      failure ??= { from: 'codec', err };
      done = true;
      resolve();
    });
  });
  try {
    for await (const c of input) {
      if (done) break;
      if (c.length === 0) continue;
      // `once` rejects on the stream's error, which `finished` already reports.
      if (!d.write(c)) await Promise.race([once(d, 'drain').catch(() => undefined), finished]);
    }
    if (!done) d.end();
    await finished;
  } catch (err) {
    failure ??= { from: 'other', err };
  }
  const used = d.bytesWritten;
  d.destroy();
  if (failure !== undefined) {
    if (failure.from === 'other') throw failure.err;
    throw zlibFailure(kind, failure.err, maxOutput);
  }
  return stopped ? { outputBytes: out, stopped } : { outputBytes: out, inputBytes: used, stopped };
}

/** Pulls bytes from an async iterable in the amounts a framing walk asks for. */
class InputQueue {
  private readonly it: AsyncIterator<Uint8Array>;
  private buf: Uint8Array = new Uint8Array(0);
  private ended = false;
  constructor(input: AsyncIterable<Uint8Array>) {
    this.it = input[Symbol.asyncIterator]();
  }
  /** True when `n` bytes are buffered; false when the input ended first. */
  async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.ended) {
      const r = await this.it.next();
      if (r.done === true) this.ended = true;
      else if (r.value.length > 0) this.buf = this.buf.length === 0 ? r.value : concat([this.buf, r.value]);
    }
    return this.buf.length >= n;
  }
  peek(n: number): Uint8Array {
    return this.buf.subarray(0, n);
  }
  take(n: number): Uint8Array {
    const b = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return b;
  }
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

/** The lz4 legacy frame (see lz4.ts), block by block. */
async function lz4LegacyStream(
  input: AsyncIterable<Uint8Array>,
  sink: StreamSink,
  maxOutput: number,
  signal: AbortSignal | undefined,
): Promise<StreamResult> {
  const q = new InputQueue(input);
  try {
    if (!(await q.fill(4)) || lz4LegacyStep(q.peek(4), 0).kind !== 'magic') {
      throw corrupt('lz4-legacy', 'no legacy frame magic', { offset: 0 });
    }
    q.take(4);
    const dst = new Uint8Array(LZ4_LEGACY_BLOCK_SIZE);
    let pos = 4;
    let out = 0;
    while (await q.fill(4)) {
      signal?.throwIfAborted();
      const step = lz4LegacyStep(q.peek(4), pos);
      if (step.kind === 'end') break;
      q.take(4);
      pos += 4;
      if (step.kind === 'magic') continue;
      if (!(await q.fill(step.size))) throw truncated('lz4-legacy', { offset: pos, actual: step.size });
      const n = decodeLz4Block(q.take(step.size), dst, pos);
      pos += step.size;
      out += n;
      if (out > maxOutput) throw outputTooLarge('lz4-legacy', maxOutput);
      if (sink(dst.subarray(0, n)) === false) return { outputBytes: out, inputBytes: pos, stopped: true };
    }
    return { outputBytes: out, inputBytes: pos, stopped: false };
  } finally {
    await q.close();
  }
}
