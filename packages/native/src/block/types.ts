/**
 * The one I/O abstraction of the native readers: a random-access, read-only byte source.
 *
 * Disk → partition → filesystem → extent nest through `slice()`, so no reader does offset
 * arithmetic against its parent. A reader gets a `ByteSource`, never a file name.
 */
export interface ByteSource {
  /** Size in bytes. */
  readonly size: number;
  /**
   * Reads `length` bytes at `offset`. Reading past the end throws a `FormatError`
   * (`block/out-of-range`) unless `allowShort` is set, in which case the result is shorter.
   * The returned buffer may be shared with a cache: callers must not modify it.
   */
  read(offset: number, length: number, options?: { allowShort?: boolean }): Promise<Uint8Array>;
  /** A bounded window: `[offset, offset + length)` of this source, itself a `ByteSource`. */
  slice(offset: number, length: number): ByteSource;
}

/** Counters the benchmark prints. */
export interface SourceStats {
  /** Calls into the underlying file. */
  reads: number;
  /** Bytes read from the underlying file. */
  bytesRead: number;
  cacheHits: number;
  cacheMisses: number;
}
