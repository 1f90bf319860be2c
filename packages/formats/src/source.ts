import { FormatError } from '@imagecheck/access';

/**
 * The one random-access byte source every reader in this package takes: a file inside a guest
 * (an NTFS file can be tens of megabytes), a hive, a whole image. The native backend's
 * `ByteSource`, and a guest file opened through the access contract, fit it structurally, so this
 * package needs no backend. Readers ask only for the bytes they decode, so a 10 MB driver costs a
 * few kilobytes of reads.
 *
 * `read` returns exactly `length` bytes from `offset`; a source may throw a typed error for a read
 * past `size`, but readers here check `[offset, offset + length)` against `size` themselves first
 * (`readExact`), so a crafted offset fails with the reader's own error code and offset.
 */
export interface RandomAccessSource {
  /** Size in bytes. */
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Bytes already in memory, or a source to read them from. */
export type ByteInput = Uint8Array | RandomAccessSource;

/** Reads are issued in chunks of this size so that a source with a block cache is not asked for one huge range. */
const READ_CHUNK = 4 * 1024 * 1024;

/** A source over bytes already in memory (tests, small files a caller has read whole). */
export function bytesSource(bytes: Uint8Array): RandomAccessSource {
  return {
    size: bytes.length,
    read(offset, length) {
      if (!inRange(offset, length, bytes.length)) {
        return Promise.reject(
          new FormatError(
            'source/out-of-range',
            `read of ${length} bytes at ${offset} past ${bytes.length}`,
            {
              data: { offset, size: length, length: bytes.length },
            },
          ),
        );
      }
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  };
}

/** The size of an input, whichever form it takes. */
export function inputSize(input: ByteInput): number {
  return input instanceof Uint8Array ? input.length : input.size;
}

function inRange(offset: number, length: number, size: number): boolean {
  return (
    Number.isSafeInteger(offset) &&
    Number.isSafeInteger(length) &&
    offset >= 0 &&
    length >= 0 &&
    offset + length <= size
  );
}

/**
 * Reads `[offset, offset + length)` of an input as one buffer, throwing `FormatError(code)` naming
 * `structure` when the range lies outside it or the source returns less than was asked: never a
 * silently short buffer. In-memory input is returned as a view, not copied.
 */
export async function readExact(
  input: ByteInput,
  offset: number,
  length: number,
  code: string,
  structure: string,
): Promise<Uint8Array> {
  const size = inputSize(input);
  if (!inRange(offset, length, size)) {
    throw new FormatError(
      code,
      `${structure}: ${length} bytes at offset ${offset} lie outside the ${size}-byte source`,
      { data: { structure, offset, expected: length, actual: Math.max(0, size - offset), size } },
    );
  }
  if (input instanceof Uint8Array) return input.subarray(offset, offset + length);
  if (length <= READ_CHUNK) return checked(await input.read(offset, length), offset, length, code, structure);
  const out = new Uint8Array(length);
  for (let done = 0; done < length; ) {
    const n = Math.min(READ_CHUNK, length - done);
    out.set(checked(await input.read(offset + done, n), offset + done, n, code, structure), done);
    done += n;
  }
  return out;
}

function checked(
  bytes: Uint8Array,
  offset: number,
  length: number,
  code: string,
  structure: string,
): Uint8Array {
  if (bytes.length !== length) {
    throw new FormatError(
      code,
      `${structure}: short read at offset ${offset} (${bytes.length} of ${length} bytes)`,
      {
        data: { structure, offset, expected: length, actual: bytes.length },
      },
    );
  }
  return bytes;
}
