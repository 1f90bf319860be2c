import { FormatError } from '@imagecheck/access';
import { ByteView, Lru } from '@imagecheck/binary';
import type { NtfsCodecs } from './codecs.js';
import type { WofInfo } from './reparse.js';
import type { NtfsStream, StreamReader } from './stream.js';

/** Decompressed WOF chunks kept, by bytes: sequential reads decode each chunk once. */
const CHUNK_CACHE_BYTES = 8 * 1024 * 1024;

/**
 * Files compressed by WOF (CompactOS, `compact /exe:`): the unnamed $DATA is sparse with the
 * uncompressed size, and the `WofCompressedData` stream holds a chunk table then the chunks
 * (ntfs-3g-system-compression `system_compression.c`; the WIM resource layout):
 *
 * - chunks of `chunkSize` bytes of file data each, the last one shorter;
 * - a table of `chunks - 1` entries, the start of chunks 1.. relative to the end of the table,
 *   u32 each, or u64 when the file is larger than 4 GiB - 1;
 * - a chunk whose stored size equals its uncompressed size is stored raw.
 */
export class WofReader {
  private readonly chunks = new Lru<string, Uint8Array>(CHUNK_CACHE_BYTES);

  constructor(
    private readonly streams: StreamReader,
    private readonly codecs: NtfsCodecs,
  ) {}

  async read(
    packed: NtfsStream,
    info: WofInfo,
    size: number,
    offset: number,
    length: number,
  ): Promise<Uint8Array> {
    const end = Math.min(size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    const cs = info.chunkSize;
    for (let c = Math.floor(offset / cs); c * cs < end; c++) {
      const chunk = await this.chunk(packed, info, size, c);
      const from = Math.max(offset, c * cs);
      const to = Math.min(end, (c + 1) * cs);
      out.set(chunk.subarray(from - c * cs, to - c * cs), from - offset);
    }
    return out;
  }

  private async chunk(packed: NtfsStream, info: WofInfo, size: number, c: number): Promise<Uint8Array> {
    const key = `${packed.record}:${c}`;
    const hit = this.chunks.get(key);
    if (hit !== undefined) return hit;
    const cs = info.chunkSize;
    const count = Math.ceil(size / cs);
    const entry = size > 0xffffffff ? 8 : 4;
    const tableBytes = (count - 1) * entry;
    const bad = (what: string, expected: unknown, actual: unknown) =>
      new FormatError('ntfs/bad-wof', `${packed.label}: ${what}`, {
        data: { structure: 'WofCompressedData', record: packed.record, chunk: c, expected, actual },
      });
    if (tableBytes > packed.size)
      throw bad(
        `chunk table of ${tableBytes} bytes in a ${packed.size}-byte stream`,
        `<= ${packed.size}`,
        tableBytes,
      );
    const entryAt = async (i: number): Promise<number> => {
      // Chunk 0 starts right after the table; the table holds the starts of chunks 1..count-1.
      if (i === 0) return 0;
      if (i === count) return packed.size - tableBytes;
      const b = await this.streams.read(packed, (i - 1) * entry, entry);
      const v = new ByteView(b, 'WOF chunk table', (i - 1) * entry);
      return entry === 8 ? v.u64leSafe(0, 'chunk offset') : v.u32le(0, 'chunk offset');
    };
    const start = await entryAt(c);
    const stop = await entryAt(c + 1);
    const raw = Math.min(cs, size - c * cs);
    if (stop < start || stop > packed.size - tableBytes || stop - start > raw) {
      throw bad(`chunk ${c} spans ${start}..${stop}`, `${start}..${start + raw}`, stop);
    }
    const stored = await this.streams.read(packed, tableBytes + start, stop - start);
    let data: Uint8Array;
    if (stored.length === raw) data = stored;
    else {
      data = info.algorithm === 'lzx' ? this.codecs.lzx(stored, raw) : this.codecs.xpressHuffman(stored, raw);
      if (data.length !== raw) throw bad(`chunk ${c} decompressed to ${data.length} bytes`, raw, data.length);
    }
    this.chunks.set(key, data, data.length);
    return data;
  }
}
