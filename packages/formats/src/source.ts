import { FormatError } from '@imagecheck/access';

/**
 * The minimal random-access byte source the format readers take: anything with a size and an
 * asynchronous `read`. The native reader's `ByteSource` (and a guest file opened through the
 * access contract) fits it structurally, so the formats package needs no backend.
 */
export interface RandomAccess {
  /** Size in bytes. */
  readonly size: number;
  /** `length` bytes at `offset`; a reader may throw when the range runs past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Bytes already in memory, or a source to read them from. */
export type ByteInput = Uint8Array | RandomAccess;

/** Reads are issued in chunks of this size so that a source with a block cache is not asked for one huge range. */
const READ_CHUNK = 4 * 1024 * 1024;

/** The size of an input, whichever form it takes. */
export function inputSize(input: ByteInput): number {
  return input instanceof Uint8Array ? input.length : input.size;
}

/**
 * `[offset, offset + length)` of an input as one buffer. A short read from the source is a
 * `FormatError` naming `structure`, never a silently short buffer.
 */
export async function readRange(
  input: ByteInput,
  offset: number,
  length: number,
  structure: string,
): Promise<Uint8Array> {
  const size = inputSize(input);
  if (offset < 0 || length < 0 || offset + length > size) {
    throw new FormatError(
      'formats/short-input',
      `${structure}: ${length} bytes at ${offset} run past the ${size}-byte input`,
      {
        data: { structure, offset, expected: length, actual: Math.max(0, size - offset) },
      },
    );
  }
  if (input instanceof Uint8Array) return input.subarray(offset, offset + length);
  const out = new Uint8Array(length);
  for (let done = 0; done < length; ) {
    const n = Math.min(READ_CHUNK, length - done);
    const chunk = await input.read(offset + done, n);
    if (chunk.length !== n) {
      throw new FormatError(
        'formats/short-input',
        `${structure}: the source returned ${chunk.length} of ${n} bytes at ${offset + done}`,
        {
          data: { structure, offset: offset + done, expected: n, actual: chunk.length },
        },
      );
    }
    out.set(chunk, done);
    done += n;
  }
  return out;
}
