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

const latin1 = new TextDecoder('latin1');
/** Fixed-width label: NULs and trailing spaces removed, as blkid does. */
export function trimLabel(bytes: Uint8Array): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  return latin1.decode(bytes.subarray(0, end)).replace(/ +$/, '');
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
export function utf8Label(bytes: Uint8Array): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  return utf8.decode(bytes.subarray(0, end));
}
