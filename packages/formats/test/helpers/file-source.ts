import { type FileHandle, open } from 'node:fs/promises';
import type { RandomAccessSource } from '../../src/source.js';

/** A host file as a RandomAccessSource that counts what it was asked for. */
export interface CountingFileSource extends RandomAccessSource {
  reads: number;
  bytesRead: number;
  close(): Promise<void>;
}

export async function openFileSource(path: string): Promise<CountingFileSource> {
  const handle: FileHandle = await open(path, 'r');
  const { size } = await handle.stat();
  const source: CountingFileSource = {
    size,
    reads: 0,
    bytesRead: 0,
    async read(offset, length) {
      const buf = new Uint8Array(length);
      const { bytesRead } = await handle.read(buf, 0, length, offset);
      source.reads++;
      source.bytesRead += bytesRead;
      return bytesRead === length ? buf : buf.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
  return source;
}
