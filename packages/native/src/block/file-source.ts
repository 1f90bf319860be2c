import { type FileHandle, open } from 'node:fs/promises';
import { ImagecheckError } from '@imagecheck/access';
import { Lru } from '@imagecheck/binary';
import { clampRead, SliceSource } from './slice.js';
import type { ByteSource, SourceStats } from './types.js';

/** Cache block size: big enough to amortise syscalls on metadata walks, small enough to stay lazy. */
export const DEFAULT_BLOCK_SIZE = 64 * 1024;
/** 1024 × 64 KiB = 64 MiB of cache at most per opened file. */
export const DEFAULT_CACHE_BLOCKS = 1024;

/**
 * A read-only source over a host file, with one LRU block cache. This is the only place the
 * native readers touch the host filesystem; everything above it sees a `ByteSource`.
 */
export class FileSource implements ByteSource {
  readonly stats: SourceStats = { reads: 0, bytesRead: 0, cacheHits: 0, cacheMisses: 0 };
  /** The one block cache of an opened file, in blocks. */
  private readonly cache: Lru<number, Promise<Uint8Array>>;

  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    readonly path: string,
    private readonly blockSize: number,
    maxBlocks: number,
  ) {
    this.cache = new Lru(maxBlocks);
  }

  static async open(
    path: string,
    options: { blockSize?: number; cacheBlocks?: number } = {},
  ): Promise<FileSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'EIO';
      throw new ImagecheckError(`host/${code}`, `cannot open ${path}: ${code}`, { data: { path }, cause });
    }
    const st = await handle.stat();
    if (!st.isFile() && !st.isBlockDevice()) {
      await handle.close();
      throw new ImagecheckError('host/not-a-file', `${path} is not a regular file`, { data: { path } });
    }
    return new FileSource(
      handle,
      st.size,
      path,
      options.blockSize ?? DEFAULT_BLOCK_SIZE,
      options.cacheBlocks ?? DEFAULT_CACHE_BLOCKS,
    );
  }

  async read(offset: number, length: number, options?: { allowShort?: boolean }): Promise<Uint8Array> {
    const end = clampRead(this.size, offset, length, options?.allowShort === true, this.path);
    if (end === offset) return new Uint8Array(0);
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((end - 1) / this.blockSize);
    if (first === last) {
      const block = await this.block(first);
      const start = offset - first * this.blockSize;
      return block.subarray(start, start + (end - offset));
    }
    const out = new Uint8Array(end - offset);
    for (let b = first; b <= last; b++) {
      const block = await this.block(b);
      const blockStart = b * this.blockSize;
      const from = Math.max(offset, blockStart) - blockStart;
      const to = Math.min(end, blockStart + block.length) - blockStart;
      out.set(block.subarray(from, to), blockStart + from - offset);
    }
    return out;
  }

  slice(offset: number, length: number): ByteSource {
    return new SliceSource(this, offset, length);
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.handle.close();
  }

  private block(index: number): Promise<Uint8Array> {
    const hit = this.cache.get(index);
    if (hit !== undefined) {
      this.stats.cacheHits++;
      return hit;
    }
    this.stats.cacheMisses++;
    const pending = this.load(index);
    this.cache.set(index, pending);
    pending.catch(() => this.cache.delete(index));
    return pending;
  }

  private async load(index: number): Promise<Uint8Array> {
    const start = index * this.blockSize;
    const length = Math.min(this.blockSize, this.size - start);
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, start + done);
      this.stats.reads++;
      if (bytesRead === 0) break;
      done += bytesRead;
      this.stats.bytesRead += bytesRead;
    }
    if (done < length) {
      throw new ImagecheckError(
        'host/short-read',
        `${this.path}: file shrank while reading at ${start + done}`,
        {
          data: { path: this.path, offset: start + done },
        },
      );
    }
    return buf;
  }
}
