import { FormatError } from '@imagecheck/access';

export function outOfRange(what: string, offset: number, length: number, size: number): FormatError {
  return new FormatError(
    'block/out-of-range',
    `${what}: read of ${length} bytes at ${offset} is past the end (${size} bytes)`,
    {
      data: { offset, length, size },
    },
  );
}
