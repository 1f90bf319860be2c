import { createRequire } from 'node:module';
import { corrupt, outputTooLarge, truncated } from './types.js';

type Bunzip = typeof import('seek-bzip').default;

let bunzip: Bunzip | undefined;
/** seek-bzip, loaded on first use (CommonJS; `require` keeps the one-shot path synchronous). */
function load(): Bunzip {
  bunzip ??= createRequire(import.meta.url)('seek-bzip') as Bunzip;
  return bunzip;
}

/** Thrown from the byte sink to stop the decoder when the caller's sink asks to stop. */
const STOP = Symbol('stop');

/**
 * Decodes the bzip2 stream at the start of `input` through seek-bzip (a pure-JavaScript decoder
 * that checks every block's CRC and the stream CRC), handing the output to `sink` in chunks of
 * `chunkSize` bytes; the chunk buffer is reused, so a sink must copy what it keeps. Returns the
 * bytes produced and whether the sink stopped the decoder. The input is read through a byte
 * source that throws `codec/truncated` at its end, so a cut stream cannot make the decoder spin
 * on missing bytes.
 */
export function bzip2Decode(
  input: Uint8Array,
  maxOutput: number,
  chunkSize: number,
  sink: (chunk: Uint8Array) => boolean | undefined,
): { outputBytes: number; stopped: boolean } {
  const Bunzip = load();
  let pos = 0;
  const source = {
    readByte(): number {
      if (pos >= input.length) throw truncated('bzip2', { offset: pos });
      return input[pos++] as number;
    },
    /** Stream.read of seek-bzip: fills `buffer`, -1 at the end of the input. */
    read(buffer: Uint8Array, at: number, length: number): number {
      const n = Math.min(length, input.length - pos);
      if (n <= 0) return -1;
      buffer.set(input.subarray(pos, pos + n), at);
      pos += n;
      return n;
    },
    seek(p: number): void {
      pos = p;
    },
    eof(): boolean {
      return pos >= input.length;
    },
  };
  const chunk = new Uint8Array(Math.max(1, Math.min(chunkSize, maxOutput + 1)));
  let fill = 0;
  let out = 0;
  let stopped = false;
  const flush = (): void => {
    if (fill === 0) return;
    const n = fill;
    fill = 0;
    if (sink(chunk.subarray(0, n)) === false) {
      stopped = true;
      throw STOP;
    }
  };
  try {
    Bunzip.decode(source, {
      writeByte(b: number): void {
        if (++out > maxOutput) throw outputTooLarge('bzip2', maxOutput);
        chunk[fill++] = b;
        if (fill === chunk.length) flush();
      },
    });
    flush();
  } catch (err) {
    if (err === STOP) return { outputBytes: out, stopped };
    if (err instanceof Error && 'errorCode' in err) {
      throw corrupt('bzip2', err.message, { offset: pos }, err);
    }
    throw err;
  }
  return { outputBytes: out, stopped };
}
