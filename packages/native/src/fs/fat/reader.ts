import { FormatError, InternalError } from '@imagecheck/access';
import { ByteView, Lru } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import type { FileSystemInfo, FileSystemReader, FsDirEntry, FsNode } from '../types.js';
import { type FatBpb, formatVolumeId, parseBpb } from './bpb.js';
import {
  ATTR_DIRECTORY,
  ATTR_LFN,
  ATTR_READ_ONLY,
  ATTR_VOLUME_ID,
  DIRENT_SIZE,
  decodeDirectory,
  decodeShort,
  type FatDirent,
} from './dirent.js';

/** The spec caps a directory at 65,536 entries (2 MiB); longer chains are loops or corruption. */
export const MAX_DIR_BYTES = 65536 * DIRENT_SIZE;
/** Decoded directories kept: lookups walk the same few directories again and again. */
const DIR_CACHE_ENTRIES = 128;
/** Cluster chains of files kept, so sequential reads of one file walk its FAT chain once. */
const CHAIN_CACHE_ENTRIES = 256;
/** FAT bytes are read in chunks of this size and kept in a small LRU. */
const FAT_CHUNK = 64 * 1024;
const FAT_CHUNK_CACHE = 64;
/** Chains longer than this switch their loop detection from a Set to a cluster bitmap. */
const VISITED_SET_LIMIT = 65536;

/** A run of contiguous clusters. */
interface Run {
  readonly cluster: number;
  readonly count: number;
}

interface DirListing {
  readonly entries: readonly FatDirent[];
  /** Case-folded long and short names → entry. */
  readonly byName: ReadonlyMap<string, FatDirent>;
  readonly label?: string;
}

interface FatNode extends FsNode {
  readonly firstCluster: number;
}

const ROOT_ID = 'root';

/**
 * Folds case the way FAT compares names: one character to one character (the volume's up-case
 * table is 1:1), so `ß` is not expanded to `SS`.
 */
function fold(s: string): string {
  let out = '';
  for (const c of s) {
    const u = c.toUpperCase();
    out += u.length === c.length ? u : c;
  }
  return out;
}

class Visited {
  private set: Set<number> | undefined = new Set();
  private bits: Uint8Array | undefined;
  constructor(private readonly clusters: number) {}
  /** Adds a cluster; false when it was already there (a loop). */
  add(c: number): boolean {
    if (this.set !== undefined) {
      if (this.set.has(c)) return false;
      this.set.add(c);
      if (this.set.size > VISITED_SET_LIMIT) {
        this.bits = new Uint8Array(Math.ceil((this.clusters + 2) / 8));
        for (const v of this.set) this.bits[v >> 3] = (this.bits[v >> 3] ?? 0) | (1 << (v & 7));
        this.set = undefined;
      }
      return true;
    }
    const bits = this.bits as Uint8Array;
    const byte = bits[c >> 3] ?? 0;
    if ((byte & (1 << (c & 7))) !== 0) return false;
    bits[c >> 3] = byte | (1 << (c & 7));
    return true;
  }
}

/**
 * A read-only FAT12/16/32 reader with VFAT long names.
 *
 * Metadata: FAT has no owners or permissions, so nodes get uid/gid 0 and synthesised modes:
 * directories 0o40755, files 0o100644, and files with the READ_ONLY attribute 0o100444 (as the
 * Linux vfat driver drops write bits for them; it ignores the attribute on directories).
 * Names compare case-insensitively; both the long and the 8.3 name find an entry.
 *
 * Node ids: `root`, or the decimal byte offset of the entry's short directory entry in the volume.
 */
export class FatFileSystem implements FileSystemReader {
  readonly caseSensitive = false;
  readonly posixMetadata = false;
  readonly info: FileSystemInfo;
  private readonly dirCache = new Lru<string, Promise<DirListing>>(DIR_CACHE_ENTRIES);
  private readonly chainCache = new Lru<number, Run[]>(CHAIN_CACHE_ENTRIES);
  private readonly fatChunks = new Lru<number, Promise<Uint8Array>>(FAT_CHUNK_CACHE);
  private readonly fatBytes: number;

  private constructor(
    private readonly source: ByteSource,
    readonly bpb: FatBpb,
    label: string | undefined,
  ) {
    this.fatBytes = bpb.fatSectors * bpb.bytesPerSector;
    this.info = {
      type: 'vfat',
      ...(bpb.volumeId === undefined ? {} : { uuid: formatVolumeId(bpb.volumeId) }),
      ...(label === undefined || label === '' ? {} : { label }),
      details: {
        version: `FAT${bpb.fatType}`,
        clusterSize: bpb.clusterSize,
        clusterCount: bpb.clusterCount,
        oemName: bpb.oemName.replace(/ +$/, ''),
        ...(bpb.bootLabel === undefined ? {} : { bootLabel: bpb.bootLabel }),
      },
    };
  }

  /** Opens a FAT volume; undefined when the first sector is not a FAT boot sector. */
  static async open(source: ByteSource): Promise<FatFileSystem | undefined> {
    if (source.size < 512) return undefined;
    const sector = await source.read(0, 512);
    const bpb = parseBpb(sector, source.size);
    if (bpb === undefined) return undefined;
    const probe = new FatFileSystem(source, bpb, undefined);
    // blkid's LABEL is the root directory's volume-label entry, falling back to the boot sector's.
    const rootListing = await probe.listing(ROOT_ID, bpb.rootCluster);
    const label = rootListing.label ?? bpb.bootLabel;
    const fs = new FatFileSystem(source, bpb, label);
    fs.dirCache.set(ROOT_ID, Promise.resolve(rootListing));
    return fs;
  }

  async root(): Promise<FsNode> {
    return this.rootNode();
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    const d = this.asDir(dir);
    const listing = await this.listing(d.id, d.firstCluster);
    const e = listing.byName.get(fold(name));
    return e === undefined ? undefined : this.toNode(e);
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    const d = this.asDir(dir);
    const listing = await this.listing(d.id, d.firstCluster);
    return listing.entries.map((e) => ({
      name: e.name,
      type: (e.attr & ATTR_DIRECTORY) !== 0 ? 'dir' : 'file',
      id: String(e.offset),
    }));
  }

  async node(id: string): Promise<FsNode> {
    if (id === ROOT_ID) return this.rootNode();
    const offset = /^\d{1,15}$/.test(id) ? Number(id) : Number.NaN;
    const end = this.bpb.totalSectors * this.bpb.bytesPerSector;
    if (
      !Number.isSafeInteger(offset) ||
      offset % DIRENT_SIZE !== 0 ||
      offset < this.bpb.rootDirOffset ||
      offset + DIRENT_SIZE > end
    ) {
      throw new InternalError('fat/bad-node-id', `not a FAT node id this reader handed out: ${id}`, {
        data: { id },
      });
    }
    const e = await this.source.read(offset, DIRENT_SIZE);
    const ev = new ByteView(e, 'FAT directory entry', offset);
    const first = ev.u8(0);
    const attr = ev.u8(11);
    if (first === 0 || first === 0xe5 || (attr & 0x3f) === ATTR_LFN || (attr & ATTR_VOLUME_ID) !== 0) {
      throw new InternalError('fat/bad-node-id', `not a FAT node id this reader handed out: ${id}`, {
        data: { id },
      });
    }
    const s = decodeShort(e, offset, this.bpb.fatType === 32);
    return this.toNode({ ...s, name: s.caseName });
  }

  async read(file: FsNode, offset: number, length: number): Promise<Uint8Array> {
    if (file.type !== 'file') {
      throw new InternalError('fat/is-a-directory', `FAT node ${file.id} is not a file`, {
        data: { id: file.id },
      });
    }
    const f = file as FatNode;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new InternalError('fat/bad-read', 'bad read range', { data: { offset, length } });
    }
    const end = Math.min(f.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const cs = this.bpb.clusterSize;
    const runs = await this.fileChain(f);
    const out = new Uint8Array(end - offset);
    let runStart = 0; // byte position in the file of the current run
    for (const run of runs) {
      const runEnd = runStart + run.count * cs;
      if (runEnd > offset && runStart < end) {
        const from = Math.max(offset, runStart);
        const to = Math.min(end, runEnd);
        const disk = this.clusterOffset(run.cluster) + (from - runStart);
        out.set(await this.source.read(disk, to - from), from - offset);
      }
      if (runEnd >= end) break;
      runStart = runEnd;
    }
    return out;
  }

  async readlink(link: FsNode): Promise<string> {
    throw new InternalError('fat/not-a-symlink', `FAT has no symbolic links (node ${link.id})`, {
      data: { id: link.id },
    });
  }

  private rootNode(): FatNode {
    return {
      id: ROOT_ID,
      type: 'dir',
      size: 0,
      mode: 0o40755,
      uid: 0,
      gid: 0,
      firstCluster: this.bpb.rootCluster,
    };
  }

  private toNode(e: FatDirent): FatNode {
    const dir = (e.attr & ATTR_DIRECTORY) !== 0;
    const mode = dir ? 0o40755 : (e.attr & ATTR_READ_ONLY) !== 0 ? 0o100444 : 0o100644;
    return {
      id: String(e.offset),
      type: dir ? 'dir' : 'file',
      size: dir ? 0 : e.size,
      mode,
      uid: 0,
      gid: 0,
      mtimeMs: e.mtimeMs,
      nlink: 1,
      firstCluster: e.firstCluster,
    };
  }

  private asDir(dir: FsNode): FatNode {
    if (dir.type !== 'dir') {
      throw new InternalError('fat/not-a-directory', `FAT node ${dir.id} is not a directory`, {
        data: { id: dir.id },
      });
    }
    return dir as FatNode;
  }

  private clusterOffset(cluster: number): number {
    return this.bpb.dataOffset + (cluster - 2) * this.bpb.clusterSize;
  }

  private listing(id: string, firstCluster: number): Promise<DirListing> {
    const hit = this.dirCache.get(id);
    if (hit !== undefined) return hit;
    const pending = this.loadListing(id, firstCluster);
    this.dirCache.set(id, pending);
    pending.catch(() => this.dirCache.delete(id));
    return pending;
  }

  private async loadListing(id: string, firstCluster: number): Promise<DirListing> {
    const fat32 = this.bpb.fatType === 32;
    let decoded: ReturnType<typeof decodeDirectory>;
    if (id === ROOT_ID && !fat32) {
      const base = this.bpb.rootDirOffset;
      const bytes = await this.source.read(base, this.bpb.rootEntries * DIRENT_SIZE);
      decoded = decodeDirectory(bytes, (i) => base + i * DIRENT_SIZE, false);
    } else {
      if (firstCluster < 2) {
        throw new FormatError('fat/bad-dir-cluster', `directory ${id} starts at cluster ${firstCluster}`, {
          data: { offset: id === ROOT_ID ? 44 : Number(id), expected: '>= 2', actual: firstCluster },
        });
      }
      const runs = await this.chain(firstCluster, Math.ceil(MAX_DIR_BYTES / this.bpb.clusterSize), id, true);
      const cs = this.bpb.clusterSize;
      const parts: Uint8Array[] = [];
      let total = 0;
      for (const run of runs) {
        const p = await this.source.read(this.clusterOffset(run.cluster), run.count * cs);
        parts.push(p);
        total += p.length;
      }
      const bytes = new Uint8Array(total);
      let pos = 0;
      for (const p of parts) {
        bytes.set(p, pos);
        pos += p.length;
      }
      // Entry index → volume offset through the runs.
      const perCluster = cs / DIRENT_SIZE;
      const starts: number[] = [];
      let acc = 0;
      for (const run of runs) {
        starts.push(acc);
        acc += run.count;
      }
      decoded = decodeDirectory(
        bytes,
        (i) => {
          const ci = Math.floor(i / perCluster);
          let r = starts.length - 1;
          while (r > 0 && (starts[r] ?? 0) > ci) r--;
          const run = runs[r] as Run;
          return this.clusterOffset(run.cluster + (ci - (starts[r] ?? 0))) + (i % perCluster) * DIRENT_SIZE;
        },
        fat32,
      );
    }
    const byName = new Map<string, FatDirent>();
    for (const e of decoded.entries) {
      const k = fold(e.name);
      if (!byName.has(k)) byName.set(k, e);
    }
    for (const e of decoded.entries) {
      const k = fold(e.shortName);
      if (!byName.has(k)) byName.set(k, e);
    }
    return {
      entries: decoded.entries,
      byName,
      ...(decoded.label === undefined ? {} : { label: decoded.label }),
    };
  }

  private async fileChain(f: FatNode): Promise<Run[]> {
    if (f.size === 0) return [];
    const needed = Math.ceil(f.size / this.bpb.clusterSize);
    if (needed > this.bpb.clusterCount) {
      throw new FormatError('fat/size-exceeds-volume', `file ${f.id} is larger than the volume`, {
        data: { offset: Number(f.id), expected: `<= ${this.bpb.clusterCount} clusters`, actual: needed },
      });
    }
    const hit = this.chainCache.get(f.firstCluster);
    if (hit !== undefined && hit.reduce((n, r) => n + r.count, 0) >= needed) return hit;
    const runs = await this.chain(f.firstCluster, needed, f.id, false);
    this.chainCache.set(f.firstCluster, runs);
    return runs;
  }

  /**
   * Follows a cluster chain from `start` for at most `maxClusters` clusters.
   * Files stop once they have the clusters their size needs (`untilEnd` false) and fail when the
   * chain ends early; directories follow the chain to its end-of-chain mark and fail when it is
   * longer than `maxClusters`. Both fail on a free, reserved, bad or repeated cluster.
   */
  private async chain(start: number, maxClusters: number, id: string, untilEnd: boolean): Promise<Run[]> {
    const { clusterCount, fatType } = this.bpb;
    const eoc = fatType === 12 ? 0xff8 : fatType === 16 ? 0xfff8 : 0x0ffffff8;
    const bad = eoc - 1;
    const visited = new Visited(clusterCount);
    const runs: Run[] = [];
    let cluster = start;
    let runStart = start;
    let runCount = 0;
    let total = 0;
    const data = (value: number) => ({
      offset: Number.isNaN(Number(id)) ? 0 : Number(id),
      node: id,
      cluster: value,
    });
    for (;;) {
      if (cluster < 2 || cluster > clusterCount + 1) {
        throw new FormatError('fat/bad-cluster', `cluster ${cluster} in the chain of ${id} is out of range`, {
          data: { ...data(cluster), expected: `2..${clusterCount + 1}`, actual: cluster },
        });
      }
      if (!visited.add(cluster)) {
        throw new FormatError('fat/chain-loop', `the cluster chain of ${id} loops at cluster ${cluster}`, {
          data: data(cluster),
        });
      }
      if (runCount > 0 && cluster === runStart + runCount) runCount++;
      else {
        if (runCount > 0) runs.push({ cluster: runStart, count: runCount });
        runStart = cluster;
        runCount = 1;
      }
      total++;
      if (!untilEnd && total >= maxClusters) break;
      const next = await this.fatEntry(cluster);
      if (next >= eoc) {
        if (!untilEnd) {
          throw new FormatError(
            'fat/short-chain',
            `the cluster chain of ${id} ends after ${total} clusters`,
            {
              data: { ...data(cluster), expected: maxClusters, actual: total },
            },
          );
        }
        break;
      }
      if (next === bad) {
        throw new FormatError('fat/bad-cluster', `the chain of ${id} reaches a cluster marked bad`, {
          data: data(cluster),
        });
      }
      if (next === 0) {
        throw new FormatError(
          'fat/free-in-chain',
          `the chain of ${id} reaches a free cluster after ${cluster}`,
          { data: data(cluster) },
        );
      }
      if (untilEnd && total >= maxClusters) {
        throw new FormatError(
          'fat/chain-too-long',
          `the chain of ${id} is longer than ${maxClusters} clusters`,
          {
            data: { ...data(cluster), expected: maxClusters, actual: total + 1 },
          },
        );
      }
      cluster = next;
    }
    if (runCount > 0) runs.push({ cluster: runStart, count: runCount });
    return runs;
  }

  private async fatEntry(cluster: number): Promise<number> {
    const t = this.bpb.fatType;
    if (t === 32) {
      const o = cluster * 4;
      return new ByteView(await this.fatSlice(o, 4), 'FAT32 entry').u32le(0) & 0x0fffffff;
    }
    if (t === 16) {
      return new ByteView(await this.fatSlice(cluster * 2, 2), 'FAT16 entry').u16le(0);
    }
    // FAT12: 1.5 bytes per entry; odd clusters use the high 12 bits of the 16-bit word.
    const o = cluster + (cluster >> 1);
    const v = new ByteView(await this.fatSlice(o, 2), 'FAT12 entry').u16le(0);
    return (cluster & 1) === 1 ? v >> 4 : v & 0x0fff;
  }

  /** `len` bytes at FAT offset `o`, from the chunk cache (an entry may straddle two chunks). */
  private async fatSlice(o: number, len: number): Promise<Uint8Array> {
    if (o + len > this.fatBytes) {
      throw new FormatError('fat/bad-cluster', `FAT entry at ${o} is past the FAT`, {
        data: { offset: this.bpb.fatOffset + o, expected: this.fatBytes, actual: o + len },
      });
    }
    const ci = Math.floor(o / FAT_CHUNK);
    const chunk = await this.fatChunk(ci);
    const rel = o - ci * FAT_CHUNK;
    if (rel + len <= chunk.length) return chunk.subarray(rel, rel + len);
    const next = await this.fatChunk(ci + 1);
    const out = new Uint8Array(len);
    const head = chunk.subarray(rel);
    out.set(head, 0);
    out.set(next.subarray(0, len - head.length), head.length);
    return out;
  }

  private fatChunk(index: number): Promise<Uint8Array> {
    const hit = this.fatChunks.get(index);
    if (hit !== undefined) return hit;
    const start = index * FAT_CHUNK;
    const len = Math.min(FAT_CHUNK, this.fatBytes - start);
    const pending = this.source.read(this.bpb.fatOffset + start, len);
    this.fatChunks.set(index, pending);
    pending.catch(() => this.fatChunks.delete(index));
    return pending;
  }
}
