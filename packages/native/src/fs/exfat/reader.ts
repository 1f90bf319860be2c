import { FormatError, InternalError, UnsupportedError } from '@imagecheck/access';
import { ByteView, Lru } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import { formatVolumeId } from '../fat/bpb.js';
import type { FileSystemInfo, FileSystemReader, FsDirEntry, FsNode } from '../types.js';

/**
 * exFAT (Microsoft "exFAT File System Specification", section numbers below).
 *
 * Main boot sector (3.1), little-endian:
 *   0 JumpBoot EB 76 90, 3 FileSystemName "EXFAT   ", 11..63 MustBeZero,
 *   64 PartitionOffset u64, 72 VolumeLength u64 (sectors), 80 FatOffset u32 (sectors),
 *   84 FatLength u32, 88 ClusterHeapOffset u32, 92 ClusterCount u32,
 *   96 FirstClusterOfRootDirectory u32, 100 VolumeSerialNumber u32, 104 FileSystemRevision u16,
 *   106 VolumeFlags u16 (bit 0 ActiveFat, bit 1 VolumeDirty), 108 BytesPerSectorShift u8 (9..12),
 *   109 SectorsPerClusterShift u8 (sum with the former at most 25), 110 NumberOfFats u8, 510 0x55AA.
 * Directory entries (6), 32 bytes, EntryType at 0 (bit 7 InUse, bit 6 secondary):
 *   0x83 Volume Label: CharacterCount @1, 11 UTF-16 chars @2
 *   0x85 File: SecondaryCount @1, SetChecksum u16 @2, FileAttributes u16 @4 (0x01 RO, 0x10 dir),
 *        LastModifiedTimestamp u32 @12
 *   0xC0 Stream Extension: GeneralSecondaryFlags @1 (bit 1 NoFatChain), NameLength @3,
 *        ValidDataLength u64 @8, FirstCluster u32 @20, DataLength u64 @24
 *   0xC1 File Name: 15 UTF-16 chars @2
 *   0x00 end of directory; other entries with bit 7 clear are unused.
 * FAT entries are 32-bit; 0xFFFFFFF7 bad, 0xFFFFFFFF end of chain.
 */
const MAX_DIR_BYTES = 256 * 1024 * 1024; // spec 6.2: a directory is at most 256 MiB
const MAX_DIR_ENTRIES_DECODED = 1_000_000;
const DIR_CACHE_ENTRIES = 128;
/** Visited-set size after which chain loops are caught by the length cap alone. */
const VISITED_LIMIT = 1 << 20;

interface ExfatGeometry {
  readonly sectorSize: number;
  readonly clusterSize: number;
  readonly fatOffset: number;
  readonly fatLength: number;
  readonly heapOffset: number;
  readonly clusterCount: number;
  readonly rootCluster: number;
  readonly serial: number;
  readonly revision: number;
  readonly dirty: boolean;
  readonly volumeBytes: number;
}

interface ExfatEntry {
  readonly name: string;
  readonly attr: number;
  readonly firstCluster: number;
  readonly size: number;
  readonly validSize: number;
  readonly noFatChain: boolean;
  readonly id: string;
  readonly mtimeMs: number;
}

interface ExfatNode extends FsNode {
  readonly entry: ExfatEntry;
}

const ROOT_ID = 'root';

function fold(s: string): string {
  let out = '';
  for (const c of s) {
    const u = c.toUpperCase();
    out += u.length === c.length ? u : c;
  }
  return out;
}
/** exFAT timestamps (7.4.8): DOS date and time packed in 32 bits, local time, reported as UTC. */
function timestampMs(t: number): number {
  const date = t >>> 16;
  const time = t & 0xffff;
  return Date.UTC(
    1980 + (date >> 9),
    Math.max(0, ((date >> 5) & 15) - 1),
    Math.max(1, date & 31),
    time >> 11,
    (time >> 5) & 63,
    (time & 31) * 2,
  );
}

export function parseExfatBootSector(b: Uint8Array, sourceSize: number): ExfatGeometry | undefined {
  if (b.length < 512) return undefined;
  const bv = new ByteView(b, 'exFAT boot sector');
  if (bv.latin1(3, 8) !== 'EXFAT   ' || bv.u16le(510) !== 0xaa55) return undefined;
  const bad = (what: string, offset: number, actual: unknown, expected?: unknown): never => {
    throw new FormatError('exfat/bad-boot-sector', `exFAT boot sector: ${what}`, {
      data: { offset, actual, expected },
    });
  };
  const bpsShift = bv.u8(108);
  const spcShift = bv.u8(109);
  if (bpsShift < 9 || bpsShift > 12) bad('bytes-per-sector shift', 108, bpsShift, '9..12');
  if (bpsShift + spcShift > 25) bad('cluster larger than 32 MiB', 109, spcShift);
  const sectorSize = 1 << bpsShift;
  const clusterSize = sectorSize << spcShift;
  const revision = bv.u16le(104);
  if (revision >> 8 !== 1) {
    throw new UnsupportedError(
      'exfat/unsupported-version',
      `exFAT revision ${revision >> 8}.${revision & 0xff}`,
      { data: { offset: 104, actual: revision } },
    );
  }
  const numFats = bv.u8(110);
  if (numFats !== 1 && numFats !== 2) bad('number of FATs', 110, numFats, '1 or 2');
  const flags = bv.u16le(106);
  const activeFat = numFats === 2 ? flags & 1 : 0;
  const fatLength = bv.u32le(84) * sectorSize;
  const fatOffset = bv.u32le(80) * sectorSize + activeFat * fatLength;
  const heapOffset = bv.u32le(88) * sectorSize;
  const clusterCount = bv.u32le(92);
  const volumeBytes = bv.u64leNumber(72) * sectorSize;
  if (!Number.isSafeInteger(volumeBytes)) bad('volume length', 72, volumeBytes);
  if (volumeBytes > sourceSize) {
    throw new FormatError(
      'exfat/truncated',
      `exFAT volume of ${volumeBytes} bytes is larger than its source`,
      {
        data: { offset: 72, expected: volumeBytes, actual: sourceSize },
      },
    );
  }
  if (fatLength < (clusterCount + 2) * 4)
    bad('FAT too small for the cluster count', 84, fatLength, (clusterCount + 2) * 4);
  if (heapOffset + clusterCount * clusterSize > volumeBytes)
    bad('cluster heap past the volume', 88, heapOffset + clusterCount * clusterSize, volumeBytes);
  const rootCluster = bv.u32le(96);
  if (rootCluster < 2 || rootCluster > clusterCount + 1)
    bad('root directory cluster', 96, rootCluster, `2..${clusterCount + 1}`);
  return {
    sectorSize,
    clusterSize,
    fatOffset,
    fatLength,
    heapOffset,
    clusterCount,
    rootCluster,
    serial: bv.u32le(100),
    revision,
    dirty: (flags & 2) !== 0,
    volumeBytes,
  };
}

/**
 * A read-only exFAT reader. Like FAT: case-insensitive, no POSIX metadata (modes 0o40755,
 * 0o100644, 0o100444 for read-only files; uid/gid 0). Node ids are `<file entry offset>:<stream
 * entry offset>` (byte offsets in the volume; the two may sit in different clusters).
 * Bytes past a file's ValidDataLength read as zeros (spec 7.6.5).
 */
export class ExfatFileSystem implements FileSystemReader {
  readonly caseSensitive = false;
  readonly posixMetadata = false;
  readonly info: FileSystemInfo;
  private readonly dirCache = new Lru<
    string,
    Promise<{ entries: ExfatEntry[]; byName: Map<string, ExfatEntry>; label?: string }>
  >(DIR_CACHE_ENTRIES);

  private constructor(
    private readonly source: ByteSource,
    readonly geometry: ExfatGeometry,
    label: string | undefined,
  ) {
    this.info = {
      type: 'exfat',
      uuid: formatVolumeId(geometry.serial),
      ...(label === undefined || label === '' ? {} : { label }),
      details: {
        version: `${geometry.revision >> 8}.${geometry.revision & 0xff}`,
        clusterSize: geometry.clusterSize,
        clusterCount: geometry.clusterCount,
        dirty: geometry.dirty,
      },
    };
  }

  static async open(source: ByteSource): Promise<ExfatFileSystem | undefined> {
    if (source.size < 512) return undefined;
    const g = parseExfatBootSector(await source.read(0, 512), source.size);
    if (g === undefined) return undefined;
    const probe = new ExfatFileSystem(source, g, undefined);
    const root = await probe.listing(probe.rootEntry());
    const fs = new ExfatFileSystem(source, g, root.label);
    fs.dirCache.set(ROOT_ID, Promise.resolve(root));
    return fs;
  }

  async root(): Promise<FsNode> {
    return this.toNode(this.rootEntry());
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    const e = (await this.listing(this.asDir(dir).entry)).byName.get(fold(name));
    return e === undefined ? undefined : this.toNode(e);
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    return (await this.listing(this.asDir(dir).entry)).entries.map((e) => ({
      name: e.name,
      type: (e.attr & 0x10) !== 0 ? 'dir' : 'file',
      id: e.id,
    }));
  }

  async node(id: string): Promise<FsNode> {
    if (id === ROOT_ID) return this.toNode(this.rootEntry());
    const m = /^(\d{1,15}):(\d{1,15})$/.exec(id);
    const f = Number(m?.[1]);
    const s = Number(m?.[2]);
    const ok = (o: number) =>
      Number.isSafeInteger(o) &&
      o % 32 === 0 &&
      o >= this.geometry.heapOffset &&
      o + 32 <= this.geometry.volumeBytes;
    if (m === null || !ok(f) || !ok(s))
      throw new InternalError('exfat/bad-node-id', `not a exFAT node id this reader handed out: ${id}`, {
        data: { id },
      });
    const fe = await this.source.read(f, 32);
    const se = await this.source.read(s, 32);
    if (
      new ByteView(fe, 'exFAT file entry', f).u8(0) !== 0x85 ||
      new ByteView(se, 'exFAT stream extension', s).u8(0) !== 0xc0
    )
      throw new InternalError('exfat/bad-node-id', `not a exFAT node id this reader handed out: ${id}`, {
        data: { id },
      });
    return this.toNode(this.entryFrom(fe, se, '', id));
  }

  async read(file: FsNode, offset: number, length: number): Promise<Uint8Array> {
    if (file.type !== 'file')
      throw new InternalError('exfat/is-a-directory', `exFAT node ${file.id} is not a file`, {
        data: { id: file.id },
      });
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new InternalError('exfat/bad-read', 'bad read range', { data: { offset, length } });
    }
    const e = (file as ExfatNode).entry;
    const end = Math.min(e.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    const dataEnd = Math.min(end, e.validSize);
    if (dataEnd <= offset) return out;
    const runs = await this.clusters(e, Math.ceil(dataEnd / this.geometry.clusterSize), false);
    let pos = 0;
    for (const [c, n] of runs) {
      const runEnd = pos + n * this.geometry.clusterSize;
      if (runEnd > offset && pos < dataEnd) {
        const from = Math.max(offset, pos);
        const to = Math.min(dataEnd, runEnd);
        out.set(await this.source.read(this.clusterOffset(c) + (from - pos), to - from), from - offset);
      }
      if (runEnd >= dataEnd) break;
      pos = runEnd;
    }
    return out;
  }

  async readlink(link: FsNode): Promise<string> {
    throw new InternalError('exfat/not-a-symlink', `exFAT has no symbolic links (node ${link.id})`, {
      data: { id: link.id },
    });
  }

  private rootEntry(): ExfatEntry {
    return {
      name: '',
      attr: 0x10,
      firstCluster: this.geometry.rootCluster,
      size: 0,
      validSize: 0,
      noFatChain: false,
      id: ROOT_ID,
      mtimeMs: 0,
    };
  }

  private toNode(e: ExfatEntry): ExfatNode {
    const dir = (e.attr & 0x10) !== 0;
    return {
      id: e.id,
      type: dir ? 'dir' : 'file',
      size: dir ? 0 : e.size,
      mode: dir ? 0o40755 : (e.attr & 1) !== 0 ? 0o100444 : 0o100644,
      uid: 0,
      gid: 0,
      mtimeMs: e.mtimeMs,
      nlink: 1,
      entry: e,
    };
  }

  private asDir(dir: FsNode): ExfatNode {
    if (dir.type !== 'dir')
      throw new InternalError('exfat/not-a-directory', `exFAT node ${dir.id} is not a directory`, {
        data: { id: dir.id },
      });
    return dir as ExfatNode;
  }

  private clusterOffset(c: number): number {
    return this.geometry.heapOffset + (c - 2) * this.geometry.clusterSize;
  }

  private entryFrom(fe: Uint8Array, se: Uint8Array, name: string, id: string): ExfatEntry {
    const fv = new ByteView(fe, `exFAT file entry ${id}`);
    const sv = new ByteView(se, `exFAT stream extension ${id}`);
    const size = sv.u64leNumber(24);
    const validSize = sv.u64leNumber(8);
    if (
      !Number.isSafeInteger(size) ||
      validSize > size ||
      size > this.geometry.clusterCount * this.geometry.clusterSize
    ) {
      throw new FormatError('exfat/bad-stream', `exFAT entry ${id} has an impossible size`, {
        data: {
          offset: Number(id.split(':')[1] ?? 0),
          expected: `<= ${this.geometry.clusterCount * this.geometry.clusterSize}`,
          actual: size,
        },
      });
    }
    return {
      name,
      attr: fv.u16le(4),
      firstCluster: sv.u32le(20),
      size,
      validSize,
      noFatChain: (sv.u8(1) & 2) !== 0,
      id,
      mtimeMs: timestampMs(fv.u32le(12)),
    };
  }

  /** Cluster runs `[first, count]` of a chain: contiguous when NoFatChain, else through the FAT. */
  private async clusters(e: ExfatEntry, needed: number, untilEnd: boolean): Promise<[number, number][]> {
    const { clusterCount } = this.geometry;
    const where = { offset: e.id === ROOT_ID ? 96 : Number(e.id.split(':')[1]), node: e.id };
    if (needed === 0 && !untilEnd) return [];
    if (e.firstCluster < 2 || e.firstCluster > clusterCount + 1) {
      throw new FormatError('exfat/bad-cluster', `exFAT entry ${e.id} starts at cluster ${e.firstCluster}`, {
        data: { ...where, actual: e.firstCluster },
      });
    }
    if (e.noFatChain) {
      if (e.firstCluster + needed - 1 > clusterCount + 1) {
        throw new FormatError('exfat/bad-cluster', `exFAT entry ${e.id} runs past the cluster heap`, {
          data: { ...where, actual: e.firstCluster + needed },
        });
      }
      return [[e.firstCluster, needed]];
    }
    const runs: [number, number][] = [];
    const seen = new Set<number>();
    let c = e.firstCluster;
    let total = 0;
    for (;;) {
      if (c < 2 || c > clusterCount + 1)
        throw new FormatError('exfat/bad-cluster', `cluster ${c} in the chain of ${e.id} is out of range`, {
          data: { ...where, actual: c },
        });
      if (seen.size < VISITED_LIMIT) {
        if (seen.has(c))
          throw new FormatError('exfat/chain-loop', `the cluster chain of ${e.id} loops at ${c}`, {
            data: { ...where, actual: c },
          });
        seen.add(c);
      }
      const last = runs[runs.length - 1];
      if (last !== undefined && last[0] + last[1] === c) last[1]++;
      else runs.push([c, 1]);
      total++;
      if (!untilEnd && total >= needed) return runs;
      if (total >= needed)
        throw new FormatError('exfat/chain-too-long', `the chain of ${e.id} exceeds ${needed} clusters`, {
          data: { ...where, expected: needed },
        });
      const fatAt = this.geometry.fatOffset + c * 4;
      const next = new ByteView(await this.source.read(fatAt, 4), 'exFAT FAT entry', fatAt).u32le(0);
      if (next === 0xffffffff) {
        if (untilEnd) return runs;
        throw new FormatError('exfat/short-chain', `the chain of ${e.id} ends after ${total} clusters`, {
          data: { ...where, expected: needed, actual: total },
        });
      }
      if (next === 0xfffffff7)
        throw new FormatError('exfat/bad-cluster', `the chain of ${e.id} reaches a bad cluster`, {
          data: where,
        });
      c = next;
    }
  }

  private listing(dir: ExfatEntry) {
    const hit = this.dirCache.get(dir.id);
    if (hit !== undefined) return hit;
    const pending = this.loadListing(dir);
    this.dirCache.set(dir.id, pending);
    pending.catch(() => this.dirCache.delete(dir.id));
    return pending;
  }

  private async loadListing(dir: ExfatEntry) {
    const cs = this.geometry.clusterSize;
    const root = dir.id === ROOT_ID;
    if (!root && dir.size > MAX_DIR_BYTES) {
      throw new FormatError('exfat/dir-too-large', `exFAT directory ${dir.id} is ${dir.size} bytes`, {
        data: { expected: MAX_DIR_BYTES, actual: dir.size },
      });
    }
    const runs = await this.clusters(
      dir,
      root ? Math.ceil(MAX_DIR_BYTES / cs) : Math.ceil(dir.size / cs),
      root,
    );
    // Volume offset of every 32-byte slot, so entry sets that cross clusters decode in order.
    const slots: number[] = [];
    const chunks: Uint8Array[] = [];
    for (const [c, n] of runs) {
      chunks.push(await this.source.read(this.clusterOffset(c), n * cs));
      for (let i = 0; i < (n * cs) / 32; i++) slots.push(this.clusterOffset(c) + i * 32);
    }
    const bytes = new Uint8Array(slots.length * 32);
    let p = 0;
    for (const ch of chunks) {
      bytes.set(ch, p);
      p += ch.length;
    }
    const entries: ExfatEntry[] = [];
    let label: string | undefined;
    for (let i = 0; i < slots.length; i++) {
      const e = bytes.subarray(i * 32, i * 32 + 32);
      const ev = new ByteView(e, 'exFAT directory entry', slots[i] ?? 0);
      const type = ev.u8(0);
      if (type === 0x00) break;
      if (type === 0x83 && root && label === undefined) {
        label = ev.utf16le(2, Math.min(11, ev.u8(1)) * 2);
        continue;
      }
      if (type !== 0x85) continue;
      const secondary = ev.u8(1);
      if (secondary < 2 || secondary > 18 || i + secondary >= slots.length) {
        throw new FormatError('exfat/bad-entry-set', 'file entry set has a bad secondary count', {
          data: { offset: slots[i], actual: secondary, expected: '2..18' },
        });
      }
      // SetChecksum (6.3.3) over the whole set, skipping the checksum field itself.
      let sum = 0;
      for (let j = 0; j < (secondary + 1) * 32; j++) {
        if (j === 2 || j === 3) continue;
        sum = (((sum & 1) !== 0 ? 0x8000 : 0) + (sum >> 1) + (bytes[i * 32 + j] ?? 0)) & 0xffff;
      }
      if (sum !== ev.u16le(2)) {
        throw new FormatError('exfat/bad-set-checksum', 'file entry set checksum mismatch', {
          data: { offset: slots[i], expected: ev.u16le(2), actual: sum },
        });
      }
      const se = bytes.subarray((i + 1) * 32, (i + 2) * 32);
      const sv = new ByteView(se, 'exFAT stream extension', slots[i + 1] ?? 0);
      if (sv.u8(0) !== 0xc0)
        throw new FormatError('exfat/bad-entry-set', 'file entry is not followed by a stream extension', {
          data: { offset: slots[i + 1], actual: sv.u8(0) },
        });
      const nameLen = sv.u8(3);
      let name = '';
      for (let k = 2; k <= secondary && name.length < nameLen; k++) {
        const nv = new ByteView(bytes, 'exFAT file name entry').sub((i + k) * 32, 32);
        if (nv.u8(0) !== 0xc1) break;
        name += nv.utf16le(2, Math.min(15, nameLen - name.length) * 2);
      }
      if (name.length !== nameLen || nameLen === 0) {
        throw new FormatError('exfat/bad-entry-set', 'file name entries do not match the name length', {
          data: { offset: slots[i], expected: nameLen, actual: name.length },
        });
      }
      entries.push(this.entryFrom(e, se, name, `${slots[i]}:${slots[i + 1]}`));
      if (entries.length > MAX_DIR_ENTRIES_DECODED)
        throw new FormatError('exfat/dir-too-large', 'too many directory entries', {
          data: { expected: MAX_DIR_ENTRIES_DECODED },
        });
      i += secondary;
    }
    const byName = new Map<string, ExfatEntry>();
    for (const e of entries) if (!byName.has(fold(e.name))) byName.set(fold(e.name), e);
    return { entries, byName, ...(label === undefined ? {} : { label }) };
  }
}
