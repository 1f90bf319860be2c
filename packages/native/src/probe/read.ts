import { ByteView, latin1 } from '@imagecheck/binary';
import type { ByteSource } from '../block/types.js';

/** Reads a signature window, or `undefined` when the source is too small to hold it. */
export async function readIf(
  source: ByteSource,
  offset: number,
  length: number,
): Promise<Uint8Array | undefined> {
  if (offset + length > source.size) return undefined;
  return source.read(offset, length);
}

/** Fixed-width Latin-1 label: up to the first NUL, trailing spaces removed, as blkid does. */
export function trimLabel(bytes: Uint8Array): string {
  return latin1(bytes, true).replace(/ +$/, '');
}

/** Fixed-width UTF-8 label up to the first NUL (invalid sequences as U+FFFD, as blkid prints them). */
export function utf8Label(bytes: Uint8Array): string {
  return new ByteView(bytes, 'label').utf8(0, bytes.length, { nulTerminated: true });
}
