import { FormatError } from '@imagecheck/access';

/**
 * The one random-access byte source every reader in this package takes: a file inside a guest
 * (an NTFS file can be tens of megabytes), a hive, a whole image. Readers ask only for the bytes
 * they decode, so a 10 MB driver costs a few kilobytes of reads.
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
 * Reads `[offset, offset + length)` of `source`, throwing `FormatError(code)` naming `structure`
 * when the range lies outside the source, and checking the source returned what was asked.
 */
export async function readExact(
  source: RandomAccessSource,
  offset: number,
  length: number,
  code: string,
  structure: string,
): Promise<Uint8Array> {
  if (!inRange(offset, length, source.size)) {
    throw new FormatError(
      code,
      `${structure}: ${length} bytes at offset ${offset} lie outside the ${source.size}-byte source`,
      {
        data: {
          structure,
          offset,
          expected: length,
          actual: Math.max(0, source.size - offset),
          size: source.size,
        },
      },
    );
  }
  const bytes = await source.read(offset, length);
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
