import { FormatError } from '@imagecheck/access';
import { ByteView, Lru } from '@imagecheck/binary';
import type { ByteSource } from '../../block/index.js';
import { ChunkedSource, decompressUnit, readMapped, readParent } from '../chunked.js';
import type { ContainerDriver, ContainerFormat, HostFile, OpenContext, OpenedLayer } from '../types.js';
import { parseQcow2Header, QCOW2_MAGIC, type Qcow2Header, readSnapshots } from './header.js';

export { MAX_L1_ENTRIES, MAX_VIRTUAL_SIZE, type Qcow2Header } from './header.js';

/*
 * Cluster mapping (qcow2.txt, "Cluster mapping"):
 *   L1 entry (u64): bits 9-55 offset of an L2 table (cluster aligned), 0 = unallocated; bit 63 COPIED.
 *   L2 entry (u64): bit 62 compressed, bit 63 COPIED.
 *     standard:   bit 0 "reads as zeros" (v3), bits 9-55 host cluster offset (0 = unallocated).
 *     compressed: with x = 62 - (cluster_bits - 8): bits 0..x-1 host byte offset,
 *                 bits x..61 number of additional 512-byte sectors holding the compressed data.
 *   Extended L2 (incompatible bit 4): 16-byte entries, the second u64 is a subcluster bitmap,
 *     bits 0-31 "allocated" and bits 32-63 "reads as zeros", one bit per 1/32 of the cluster.
 * Unallocated clusters come from the backing file (zeros past its end, or without one).
 */

const OFFSET_MASK = 0x00ff_ffff_ffff_fe00n;
const COMPRESSED = 1n << 62n;
/**
 * Decompressed clusters kept: decompression is the one costly decode here, and sequential small
 * reads hit the same cluster many times, so a handful is enough.
 */
const COMPRESSED_CACHE = 16;

const QEMU_FORMATS: Record<string, ContainerFormat> = {
  qcow2: 'qcow2',
  raw: 'raw',
  vmdk: 'vmdk',
  vpc: 'vhd',
  vhdx: 'vhdx',
  vdi: 'vdi',
};

class Qcow2Source extends ChunkedSource {
  private readonly entrySize: number;
  private readonly l2Entries: number;
  private readonly subSize: number;
  private readonly compressed = new Lru<number, Uint8Array>(COMPRESSED_CACHE);

  constructor(
    private readonly file: ByteSource,
    private readonly h: Qcow2Header,
    private readonly backing: ByteSource | undefined,
  ) {
    super(h.virtualSize, h.clusterSize, 'qcow2');
    this.entrySize = h.extendedL2 ? 16 : 8;
    this.l2Entries = h.clusterSize / this.entrySize;
    this.subSize = h.clusterSize / 32;
  }

  private checkHostCluster(offset: number, what: string, code: string): void {
    if (offset % this.h.clusterSize !== 0) {
      throw new FormatError(code, `${what} offset ${offset} is not cluster aligned`, {
        data: { format: 'qcow2', offset },
      });
    }
    // Cluster 0 holds the header: a table or data cluster there points back into metadata.
    if (offset === 0)
      throw new FormatError(code, `${what} points at the header cluster`, {
        data: { format: 'qcow2', offset },
      });
    if (offset >= this.file.size) {
      throw new FormatError(
        code,
        `${what} at ${offset} is past the end of the file (${this.file.size} bytes)`,
        {
          data: { format: 'qcow2', offset, fileSize: this.file.size },
        },
      );
    }
  }

  /** An L2 table aliasing the L1 or refcount table would make the mapping refer to itself. */
  private checkNotMetadata(l2Offset: number, l1Index: number): void {
    const end = l2Offset + this.h.clusterSize;
    const tables: [string, number, number][] = [
      ['L1 table', this.h.l1Offset, this.h.l1Size * 8],
      ['refcount table', this.h.refcountTableOffset, this.h.refcountTableBytes],
    ];
    for (const [name, start, length] of tables) {
      if (length > 0 && l2Offset < start + length && end > start) {
        throw new FormatError(
          'qcow2/bad-l2-offset',
          `L2 table ${l1Index} at ${l2Offset} overlaps the ${name}`,
          {
            data: { format: 'qcow2', offset: l2Offset, table: name },
          },
        );
      }
    }
  }

  protected async readChunk(
    index: number,
    within: number,
    length: number,
    out: Uint8Array,
    at: number,
  ): Promise<void> {
    const l1Index = Math.floor(index / this.l2Entries);
    const l2Index = index % this.l2Entries;
    const clusterStart = index * this.h.clusterSize;
    if (l1Index >= this.h.l1Size) return this.fromBacking(clusterStart + within, length, out, at);
    const l1At = this.h.l1Offset + l1Index * 8;
    const l1 = new ByteView(await this.file.read(l1At, 8), 'qcow2 L1 entry', l1At).u64be(0);
    const l2Offset = Number(l1 & OFFSET_MASK);
    if (l2Offset === 0) return this.fromBacking(clusterStart + within, length, out, at);
    this.checkHostCluster(l2Offset, `L2 table ${l1Index}`, 'qcow2/bad-l2-offset');
    this.checkNotMetadata(l2Offset, l1Index);
    const entryBytes = await readMapped(
      this.file,
      l2Offset + l2Index * this.entrySize,
      this.entrySize,
      'qcow2/bad-l2-offset',
      `L2 table ${l1Index}`,
    );
    const ev = new ByteView(entryBytes, 'qcow2 L2 entry', l2Offset + l2Index * this.entrySize);
    const entry = ev.u64be(0);

    if ((entry & COMPRESSED) !== 0n) {
      const cluster = await this.decompressCluster(entry, index);
      out.set(cluster.subarray(within, within + length), at);
      return;
    }
    const host = Number(entry & OFFSET_MASK);
    if (!this.h.extendedL2) {
      if (this.h.version === 3 && (entry & 1n) === 1n) return; // reads as zeros
      if (host === 0) return this.fromBacking(clusterStart + within, length, out, at);
      this.checkHostCluster(host, `data cluster ${index}`, 'qcow2/bad-cluster-offset');
      out.set(
        await readMapped(this.file, host + within, length, 'qcow2/cluster-past-end', `data cluster ${index}`),
        at,
      );
      return;
    }
    // Extended L2: walk the subclusters the request touches.
    const bitmap = ev.u64be(8);
    const alloc = Number(bitmap & 0xffff_ffffn);
    const zero = Number(bitmap >> 32n);
    if ((alloc & zero) !== 0) {
      throw new FormatError(
        'qcow2/bad-subcluster-bitmap',
        `cluster ${index} has subclusters both allocated and zero`,
        {
          data: { format: 'qcow2', cluster: index, bitmap: `0x${bitmap.toString(16)}` },
        },
      );
    }
    let pos = within;
    const end = within + length;
    while (pos < end) {
      const sub = Math.floor(pos / this.subSize);
      const n = Math.min((sub + 1) * this.subSize, end) - pos;
      const bit = 2 ** sub;
      if (Math.floor(zero / bit) % 2 === 1) {
        // zeros: out is already zero-filled
      } else if (Math.floor(alloc / bit) % 2 === 1) {
        if (host === 0) {
          throw new FormatError(
            'qcow2/bad-cluster-offset',
            `cluster ${index} has allocated subclusters but no host cluster`,
            {
              data: { format: 'qcow2', cluster: index },
            },
          );
        }
        this.checkHostCluster(host, `data cluster ${index}`, 'qcow2/bad-cluster-offset');
        out.set(
          await readMapped(this.file, host + pos, n, 'qcow2/cluster-past-end', `data cluster ${index}`),
          at + pos - within,
        );
      } else {
        await this.fromBacking(clusterStart + pos, n, out, at + pos - within);
      }
      pos += n;
    }
  }

  private async decompressCluster(entry: bigint, index: number): Promise<Uint8Array> {
    const shift = 62n - BigInt(this.h.clusterBits - 8);
    const offset = Number(entry & ((1n << shift) - 1n));
    const sectors = Number((entry >> shift) & ((1n << BigInt(this.h.clusterBits - 8)) - 1n)) + 1;
    const cached = this.compressed.get(offset);
    if (cached !== undefined) return cached;
    if (offset < 512 || offset >= this.file.size) {
      throw new FormatError(
        'qcow2/bad-compressed-offset',
        `compressed cluster ${index} at ${offset} is outside the file`,
        {
          data: { format: 'qcow2', cluster: index, offset, fileSize: this.file.size },
        },
      );
    }
    // The stored length ends at a sector boundary; qemu may leave the last sector short at EOF.
    const stored = sectors * 512 - (offset % 512);
    const input = await this.file.read(offset, stored, { allowShort: true });
    const codec = this.h.compression === 'zstd' ? 'zstd' : 'deflate-raw';
    const cluster = decompressUnit(
      codec,
      input,
      this.h.clusterSize,
      'qcow2/bad-compressed-cluster',
      `compressed cluster ${index}`,
    );
    this.compressed.set(offset, cluster);
    return cluster;
  }

  private fromBacking(offset: number, length: number, out: Uint8Array, at: number): Promise<void> {
    if (this.backing === undefined) return Promise.resolve();
    return readParent(this.backing, offset, length, out, at);
  }
}

export const qcow2Driver: ContainerDriver = {
  format: 'qcow2',
  async probe(file) {
    if (file.size < 8) return undefined;
    const head = await file.read(0, 8);
    if (new ByteView(head, 'qcow2 header').u32be(0) !== QCOW2_MAGIC) return undefined;
    return { format: 'qcow2' };
  },

  async open(file: HostFile, ctx: OpenContext): Promise<OpenedLayer> {
    const h = await parseQcow2Header(file.source);
    const l2Entries = h.clusterSize / (h.extendedL2 ? 16 : 8);
    const needL1 = Math.ceil(h.virtualSize / (h.clusterSize * l2Entries));
    if (h.l1Size < needL1) {
      throw new FormatError(
        'qcow2/bad-l1-size',
        `L1 table has ${h.l1Size} entries, the virtual size needs ${needL1}`,
        {
          data: { format: 'qcow2', expected: needL1, actual: h.l1Size },
        },
      );
    }
    if (
      h.l1Size > 0 &&
      (h.l1Offset % h.clusterSize !== 0 || h.l1Offset === 0 || h.l1Offset + h.l1Size * 8 > file.source.size)
    ) {
      throw new FormatError(
        'qcow2/bad-l1-offset',
        `L1 table at ${h.l1Offset} (${h.l1Size} entries) is misaligned or past the end of the file (${file.source.size} bytes)`,
        {
          data: { format: 'qcow2', offset: h.l1Offset, entries: h.l1Size, fileSize: file.source.size },
        },
      );
    }
    const snapshots = h.snapshotCount > 0 ? await readSnapshots(file.source, h) : [];

    let backing: ByteSource | undefined;
    let backingChain: unknown[] = [];
    if (h.backingFile !== undefined) {
      const path = await ctx.resolveLinked(file, h.backingFile, 'backing file');
      const format = h.backingFormat !== undefined ? QEMU_FORMATS[h.backingFormat] : undefined;
      const layer = await ctx.openImage(path, 'backing file', format);
      backing = layer.source;
      const deeper = (layer.details.backingChain as unknown[] | undefined) ?? [];
      backingChain = [{ path, format: layer.format, virtualSize: layer.source.size }, ...deeper];
    }
    return {
      source: new Qcow2Source(file.source, h, backing),
      details: {
        subformat: `qcow2 v${h.version}`,
        version: h.version,
        compat: h.version === 3 ? '1.1' : '0.10',
        virtualSize: h.virtualSize,
        clusterSize: h.clusterSize,
        compressionType: h.compression,
        extendedL2: h.extendedL2,
        refcountBits: h.refcountBits,
        lazyRefcounts: h.lazyRefcounts,
        dirty: h.dirty,
        corrupt: h.corrupt,
        bitmaps: h.hasBitmaps,
        backingFile: h.backingFile,
        backingFormat: h.backingFormat,
        backingChain,
        snapshotCount: h.snapshotCount,
        snapshots,
      },
    };
  },
};
