import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView, inRange, Lru } from '@imagecheck/binary';
import type { ByteSource } from '../../block/index.js';
import { ChunkedSource, decompressUnit, readMapped, readParent } from '../chunked.js';

/*
 * Hosted sparse extent header (VMware "Virtual Disk Format 5.0", §"Hosted Sparse Extent Header"),
 * 512 bytes, little-endian; sizes and offsets in 512-byte sectors:
 *   0 magic 'KDMV'  4 version u32  8 flags u32 (bit 0 newline test valid, bit 1 redundant grain
 *   table, bit 2 zeroed-grain GTE, bit 16 compressed grains, bit 17 markers)
 *  12 capacity u64  20 grainSize u64  28 descriptorOffset u64  36 descriptorSize u64
 *  44 numGTEsPerGT u32  48 rgdOffset u64  56 gdOffset u64 (~0: read the footer, stream-optimized)
 *  64 overHead u64  72 uncleanShutdown u8  73 '\n' ' ' '\r' '\n'  77 compressAlgorithm u16 (1 deflate)
 * Grain directory: u32 sector offsets of grain tables; grain table: numGTEsPerGT u32 sector offsets
 * of grains, 0 = unallocated (parent, or zeros), 1 = zeroed grain when flag bit 2 is set.
 * Stream-optimized: the header at 0 has gdOffset ~0 and the real one is the footer at EOF − 1024
 * (footer marker, footer, end-of-stream marker); a compressed grain is a marker
 * {lba u64, size u32} followed by `size` bytes of zlib data.
 */

export const SPARSE_MAGIC = 0x564d444b; // 'KDMV'
export const MAX_VMDK_SIZE = 2 ** 52;
/** qemu caps grain tables at 512 entries, the only value VMware writes. */
export const MAX_GTES_PER_GT = 512;
/** Grains are 64 KiB in practice; qemu refuses more than 2^21 sectors? keep 1 MiB. */
export const MAX_GRAIN_SECTORS = 2048;
/** A grain directory larger than this (u32 entries) is not a real disk's. */
export const MAX_GD_ENTRIES = 2 ** 24;
const GD_AT_END = 0xffff_ffff_ffff_ffffn;
const FLAG_ZERO_GTE = 1 << 2;
const FLAG_COMPRESSED = 1 << 16;
const FLAG_MARKERS = 1 << 17;
/** Decompressed grains kept: sequential small reads hit the same grain many times. */
const GRAIN_CACHE = 16;

export interface SparseHeader {
  version: number;
  flags: number;
  capacitySectors: number;
  grainSectors: number;
  descriptorOffset: number;
  descriptorSectors: number;
  gtesPerGt: number;
  gdOffset: number;
  overheadSectors: number;
  compressed: boolean;
  markers: boolean;
  streamOptimized: boolean;
}

function bad(code: string, message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError(code, message, { data: { format: 'vmdk', ...data } });
}

function decodeHeader(h: Uint8Array, at: number): Omit<SparseHeader, 'streamOptimized'> & { gdRaw: bigint } {
  const v = new ByteView(h, 'VMDK sparse extent header', at);
  const version = v.u32le(4);
  if (version < 1 || version > 3) {
    throw new UnsupportedError('vmdk/version', `sparse extent version ${version} is not supported`, {
      data: { version },
    });
  }
  const flags = v.u32le(8);
  const capacitySectors = inRange(v.u64le(12), 0, Number.MAX_SAFE_INTEGER, 'vmdk/bad-capacity', 'capacity');
  inRange(capacitySectors * 512, 0, MAX_VMDK_SIZE, 'vmdk/bad-capacity', 'capacity × 512');
  const grainSectors = inRange(
    inRange(v.u64le(20), 0, Number.MAX_SAFE_INTEGER, 'vmdk/bad-grain-size', 'grainSize'),
    1,
    MAX_GRAIN_SECTORS,
    'vmdk/bad-grain-size',
    'grainSize',
  );
  if ((grainSectors & (grainSectors - 1)) !== 0)
    throw bad('vmdk/bad-grain-size', `grain size ${grainSectors} is not a power of two`);
  const gtesPerGt = inRange(v.u32le(44), 1, MAX_GTES_PER_GT, 'vmdk/bad-gt-size', 'numGTEsPerGT');
  const compressed = (flags & FLAG_COMPRESSED) !== 0;
  if (compressed && v.u16le(77) !== 1) {
    throw new UnsupportedError('vmdk/compression', `compression algorithm ${v.u16le(77)} is not supported`, {
      data: { algorithm: v.u16le(77) },
    });
  }
  const gdRaw = v.u64le(56);
  return {
    version,
    flags,
    capacitySectors,
    grainSectors,
    descriptorOffset: inRange(
      v.u64le(28),
      0,
      Number.MAX_SAFE_INTEGER,
      'vmdk/bad-descriptor',
      'descriptorOffset',
    ),
    descriptorSectors: inRange(
      v.u64le(36),
      0,
      Number.MAX_SAFE_INTEGER,
      'vmdk/bad-descriptor',
      'descriptorSize',
    ),
    gtesPerGt,
    gdRaw,
    gdOffset:
      gdRaw === GD_AT_END ? 0 : inRange(gdRaw, 0, Number.MAX_SAFE_INTEGER, 'vmdk/bad-gd-offset', 'gdOffset'),
    overheadSectors: inRange(v.u64le(64), 0, Number.MAX_SAFE_INTEGER, 'vmdk/bad-overhead', 'overHead'),
    compressed,
    markers: (flags & FLAG_MARKERS) !== 0,
  };
}

export async function readSparseHeader(file: ByteSource): Promise<SparseHeader> {
  if (file.size < 512)
    throw bad('vmdk/truncated', `file of ${file.size} bytes is shorter than a sparse extent header`);
  const first = decodeHeader(await file.read(0, 512), 0);
  if (first.gdRaw !== GD_AT_END) return { ...first, streamOptimized: first.compressed && first.markers };
  // Stream-optimized: the footer (a copy of the header with the real gdOffset) sits 1024 bytes before EOF.
  if (file.size < 512 * 4)
    throw bad('vmdk/truncated', 'stream-optimized extent is too short to hold its footer');
  const footerBytes = await file.read(file.size - 1024, 512);
  if (new ByteView(footerBytes, 'VMDK footer', file.size - 1024).u32le(0) !== SPARSE_MAGIC)
    throw bad('vmdk/bad-footer', `no footer at ${file.size - 1024} (truncated stream-optimized extent?)`, {
      offset: file.size - 1024,
    });
  const footer = decodeHeader(footerBytes, file.size - 1024);
  if (footer.gdRaw === GD_AT_END) throw bad('vmdk/bad-footer', 'footer does not locate the grain directory');
  return { ...footer, streamOptimized: true };
}

/** One sparse extent as a disk of `capacity` sectors; unallocated grains come from `parent`. */
export class SparseExtentSource extends ChunkedSource {
  private readonly grainBytes: number;
  private readonly gdEntries: number;
  private readonly grains = new Lru<number, Uint8Array>(GRAIN_CACHE);

  constructor(
    private readonly file: ByteSource,
    private readonly h: SparseHeader,
    private readonly parent: ByteSource | undefined,
    private readonly parentBase: number,
  ) {
    super(h.capacitySectors * 512, h.grainSectors * 512, 'vmdk');
    this.grainBytes = h.grainSectors * 512;
    this.gdEntries = Math.ceil(h.capacitySectors / (h.grainSectors * h.gtesPerGt));
    inRange(this.gdEntries, 0, MAX_GD_ENTRIES, 'vmdk/bad-gd-size', 'grain directory entries');
    if (h.gdOffset === 0 || h.gdOffset * 512 + this.gdEntries * 4 > file.size) {
      throw bad(
        'vmdk/bad-gd-offset',
        `grain directory at sector ${h.gdOffset} (${this.gdEntries} entries) is outside the file (${file.size} bytes)`,
        {
          offset: h.gdOffset * 512,
          fileSize: file.size,
        },
      );
    }
  }

  protected async readChunk(
    index: number,
    within: number,
    length: number,
    out: Uint8Array,
    at: number,
  ): Promise<void> {
    const gdIndex = Math.floor(index / this.h.gtesPerGt);
    const gtIndex = index % this.h.gtesPerGt;
    const gdAt = this.h.gdOffset * 512 + gdIndex * 4;
    const gtSector = new ByteView(await this.file.read(gdAt, 4), 'VMDK grain directory entry', gdAt).u32le(0);
    if (gtSector === 0) return this.fromParent(index, within, length, out, at);
    if (gtSector < 1 || gtSector * 512 + this.h.gtesPerGt * 4 > this.file.size) {
      throw bad('vmdk/bad-gt-offset', `grain table ${gdIndex} at sector ${gtSector} is outside the file`, {
        table: gdIndex,
        sector: gtSector,
      });
    }
    const gtAt = gtSector * 512 + gtIndex * 4;
    const gte = new ByteView(await this.file.read(gtAt, 4), 'VMDK grain table entry', gtAt).u32le(0);
    if (gte === 0) return this.fromParent(index, within, length, out, at);
    if (gte === 1 && (this.h.flags & FLAG_ZERO_GTE) !== 0) return;
    // Grains live after the metadata: one pointing into the header or tables is self-referencing.
    if (gte < this.h.overheadSectors || gte === 1) {
      throw bad(
        'vmdk/bad-grain-offset',
        `grain ${index} at sector ${gte} points into the extent's metadata (overhead ${this.h.overheadSectors} sectors)`,
        {
          grain: index,
          sector: gte,
        },
      );
    }
    if (!this.h.compressed) {
      out.set(
        await readMapped(this.file, gte * 512 + within, length, 'vmdk/grain-past-end', `grain ${index}`),
        at,
      );
      return;
    }
    const grain = await this.compressedGrain(gte, index);
    out.set(grain.subarray(within, within + length), at);
  }

  private async compressedGrain(sector: number, index: number): Promise<Uint8Array> {
    const cached = this.grains.get(sector);
    if (cached !== undefined) return cached;
    const offset = sector * 512;
    if (offset >= this.file.size)
      throw bad('vmdk/grain-past-end', `grain ${index} at ${offset} is past the end of the file`, { offset });
    let data: Uint8Array;
    if (this.h.markers) {
      const m = await readMapped(this.file, offset, 12, 'vmdk/grain-past-end', `grain marker ${index}`);
      const size = new ByteView(m, 'VMDK grain marker', offset).u32le(8);
      // deflate never grows data by more than a small fraction; a bigger claim is hostile.
      inRange(size, 1, this.grainBytes * 2 + 1024, 'vmdk/bad-grain-marker', `grain ${index} compressed size`);
      data = await readMapped(this.file, offset + 12, size, 'vmdk/grain-past-end', `grain ${index}`);
    } else {
      data = await this.file.read(offset, this.grainBytes * 2 + 1024, { allowShort: true });
    }
    const grain = new Uint8Array(this.grainBytes);
    // The last grain of a disk whose size is not a grain multiple may decompress short.
    grain.set(
      decompressUnit(
        'zlib',
        data,
        this.grainBytes,
        'vmdk/bad-compressed-grain',
        `compressed grain ${index}`,
        true,
      ),
    );
    this.grains.set(sector, grain);
    return grain;
  }

  private async fromParent(
    index: number,
    within: number,
    length: number,
    out: Uint8Array,
    at: number,
  ): Promise<void> {
    if (this.parent === undefined) return;
    await readParent(this.parent, this.parentBase + index * this.grainBytes + within, length, out, at);
  }
}
