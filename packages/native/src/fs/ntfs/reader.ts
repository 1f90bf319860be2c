import { FormatError, GuestPathError, InternalError, isImagecheckError } from '@imagecheck/access';
import { ByteView, Lru } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import type { FileSystemInfo, FileSystemReader, FsDirEntry, FsNode } from '../types.js';
import {
  backupBootOffsets,
  hasNtfsOemId,
  type NtfsBootSector,
  parseBootSector,
  readBootSector,
} from './boot.js';
import { CODECS, type NtfsCodecs } from './codecs.js';
import {
  type IndexEntry,
  type IndexRoot,
  MAX_DIR_ENTRIES,
  MAX_INDEX_DEPTH,
  parseIndexRecord,
  parseIndexRoot,
  UpCase,
} from './dir-index.js';
import {
  ATTR,
  ATTR_FLAG_COMPRESSED,
  ATTR_FLAG_SPARSE,
  applyFixups,
  type FileName,
  fileRef,
  filetimeToMs,
  type MftRecord,
  NS_DOS,
  parseFileName,
  parseMftRecord,
  type RawAttribute,
} from './record.js';
import {
  guestLinkPath,
  IO_REPARSE_TAG_WOF,
  isLinkTag,
  linkTarget,
  parseReparsePoint,
  parseWof,
  type ReparsePoint,
} from './reparse.js';
import { buildStream, type NtfsStream, StreamReader } from './stream.js';
import { type NtfsVolumeState, readVolumeState } from './volume.js';
import { WofReader } from './wof.js';

/** Well-known MFT records (libfsntfs "Metadata files"). */
const MFT_RECORD = 0;
const ROOT_RECORD = 5;
const UPCASE_RECORD = 10;

/** Windows caps the MFT at 2^32 records (32-bit record numbers in its APIs). */
export const MAX_MFT_RECORDS = 2 ** 32;
/** An attribute list entry is at least 32 bytes; Windows keeps lists under 256 KiB (8,192 entries). */
export const MAX_ATTRIBUTE_LIST_BYTES = 256 * 1024;
/** Extension records of one file: one per attribute-list entry at most. */
export const MAX_EXTENSION_RECORDS = MAX_ATTRIBUTE_LIST_BYTES / 32;
/** Reparse data is at most 16 KiB ([MS-FSCC] 2.1.2.1 MAXIMUM_REPARSE_DATA_BUFFER_SIZE). */
export const MAX_REPARSE_BYTES = 16 * 1024;
/** A name is at most 255 UTF-16 code units ($FILE_NAME stores its length in one byte). */
export const MAX_NAME_LENGTH = 255;

/** Parsed MFT records kept: lookups revisit the same directories; 4096 × ≤4 KiB ≈ 16 MiB at most. */
const RECORD_CACHE = 4096;
/** Decoded index nodes kept: one path walk touches a few per directory level. */
const INDEX_NODE_CACHE = 512;
/** Files (base record with its extension records merged) kept. */
const INODE_CACHE = 1024;

/** A file: its base record with the attributes of its extension records. */
interface Inode {
  readonly record: MftRecord;
  readonly attributes: readonly RawAttribute[];
  readonly names: readonly FileName[];
  readonly mtimeMs?: number;
  readonly dosAttributes?: number;
  readonly reparse?: ReparsePoint;
  /** Streams built from the attributes (runlists decoded once per file, not once per read). */
  readonly streams: Map<string, NtfsStream | undefined>;
  indexRoot?: IndexRoot;
}

export interface NtfsNode extends FsNode {
  /** MFT record number (as in `id`). */
  readonly record: number;
}

/** A named or unnamed data stream of a file, as `streams()` lists them. */
export interface NtfsStreamInfo {
  /** `''` for the unnamed (default) stream. */
  readonly name: string;
  readonly size: number;
  readonly resident: boolean;
  readonly compressed: boolean;
  readonly sparse: boolean;
}

export interface NtfsOpenOptions {
  /** Decompressors (default: those of `@imagecheck/binary`). */
  readonly codecs?: NtfsCodecs;
}

/**
 * A read-only NTFS reader (NTFS 3.0/3.1 as Windows 2000 to 11 write it).
 *
 * - Node ids are the MFT record number in decimal; the sequence number in a directory entry is
 *   checked against the record when the entry is followed (a mismatch is `ntfs/stale-reference`).
 * - Metadata: NTFS has no POSIX owners or modes, so uid/gid are 0 and modes are synthesised as the
 *   FAT reader does: directories 0o40755, files 0o100644, symlinks and junctions 0o120777;
 *   `mtimeMs` is $STANDARD_INFORMATION's modification time; `nlink` the number of names that are not
 *   DOS-only 8.3 aliases.
 * - `readdir` lists every name in the directory's $I30 index except DOS-only (8.3) aliases, in
 *   index (upper-case collation) order, metafiles included: the root lists `$MFT`, `$Volume`,
 *   `$Extend` and the rest, as The Sleuth Kit's `fls` and ntfs-3g's `ntfsls -a` do. Lookups descend
 *   the B+tree comparing names through the volume's own $UpCase table, and also find 8.3 aliases.
 * - `read` returns the unnamed $DATA stream (sparse runs read as zeros without I/O, LZNT1 units and
 *   WOF/CompactOS files decompressed); `streams()` and `readStream()` reach named streams.
 * - Symbolic links and junctions are `symlink` nodes; `readlink` returns a guest path (see
 *   `guestLinkPath`). Interix symlinks (what `ln -s` makes on ntfs-3g: a system file holding
 *   `IntxLNK`) are regular files, as Windows and The Sleuth Kit see them.
 * - Errors: damage is a `FormatError` with an `ntfs/...` code (`ntfs/bad-fixup`,
 *   `ntfs/run-outside-volume`, `ntfs/index-loop`, ...) or a `binary/...` one from the byte readers,
 *   naming the structure and its offset; EFS-encrypted data and WIM-backed files are
 *   `UnsupportedError`s. Caps: `MAX_RUNS`, `MAX_ATTRIBUTE_LIST_BYTES`, `MAX_EXTENSION_RECORDS`,
 *   `MAX_INDEX_DEPTH`, `MAX_DIR_ENTRIES`, `MAX_MFT_RECORDS`, `MAX_REPARSE_BYTES`, and the
 *   decompressors' output caps.
 */
export class NtfsFileSystem implements FileSystemReader {
  readonly caseSensitive = false;
  readonly posixMetadata = false;
  info: FileSystemInfo;
  readonly clusterCount: number;
  private readonly streams: StreamReader;
  private readonly wof: WofReader;
  private mft!: NtfsStream;
  private recordCount = 0;
  private readonly records = new Lru<number, MftRecord>(RECORD_CACHE);
  private readonly inodes = new Lru<number, Inode>(INODE_CACHE);
  private readonly indexNodes = new Lru<string, IndexEntry[]>(INDEX_NODE_CACHE);
  private upcase: Promise<UpCase> | undefined;

  private constructor(
    private readonly source: ByteSource,
    readonly boot: NtfsBootSector,
    readonly bootSectorUsed: 'primary' | 'backup',
    codecs: NtfsCodecs,
  ) {
    this.clusterCount = Math.floor((boot.totalSectors * boot.bytesPerSector) / boot.clusterSize);
    this.streams = new StreamReader(source, boot.clusterSize, codecs);
    this.wof = new WofReader(this.streams, codecs);
    this.info = { type: 'ntfs', uuid: boot.serial };
  }

  /**
   * Opens an NTFS volume; undefined when the first sector does not carry the NTFS OEM id. When the
   * primary boot sector is damaged (an impossible field, or an $MFT that does not read), the backup
   * in the volume's last sector is used and `info.details.bootSector` says `backup`.
   */
  static async open(source: ByteSource, options: NtfsOpenOptions = {}): Promise<NtfsFileSystem | undefined> {
    if (source.size < 512) return undefined;
    const primary = await source.read(0, 512);
    if (!hasNtfsOemId(primary)) return undefined;
    const codecs = options.codecs ?? CODECS;
    const first = await readBootSector(source, primary);
    try {
      return await NtfsFileSystem.init(source, first.boot, first.used, codecs, first.primaryError);
    } catch (err) {
      // A primary that parses but leads nowhere (an $MFT that does not read): try the backup.
      if (!isImagecheckError(err) || first.used === 'backup') throw err;
      for (const offset of backupBootOffsets(source.size)) {
        const sector = await source.read(offset, 512);
        if (!hasNtfsOemId(sector)) continue;
        try {
          const boot = parseBootSector(sector, offset, source.size);
          return await NtfsFileSystem.init(source, boot, 'backup', codecs, err.code);
        } catch (e) {
          if (!isImagecheckError(e)) throw e;
        }
      }
      throw err;
    }
  }

  private static async init(
    source: ByteSource,
    boot: NtfsBootSector,
    used: 'primary' | 'backup',
    codecs: NtfsCodecs,
    primaryError?: string,
  ): Promise<NtfsFileSystem> {
    const fs = new NtfsFileSystem(source, boot, used, codecs);
    await fs.loadMft();
    const state = await readVolumeState(fs);
    fs.info = {
      type: 'ntfs',
      uuid: boot.serial,
      ...(state.label === undefined || state.label === '' ? {} : { label: state.label }),
      details: {
        ...fs.details(state),
        ...(primaryError === undefined ? {} : { primaryBootSectorError: primaryError }),
      },
    };
    return fs;
  }

  private details(state: NtfsVolumeState): Record<string, unknown> {
    return {
      ...(state.version === undefined ? {} : { version: state.version }),
      ...(state.flags === undefined ? {} : { volumeFlags: state.flags, dirty: (state.flags & 1) !== 0 }),
      logFile: state.logFile,
      hiberfil: state.hiberfil,
      logClean: state.logFile.clean,
      needsRecovery: state.logFile.clean === false || (state.flags !== undefined && (state.flags & 1) !== 0),
      // Windows hibernated, or shut down with Fast Startup: the volume is not safe to use elsewhere.
      hibernated: state.hiberfil.hibernated === true || state.logFile.windowsCache === true,
      bootSector: this.bootSectorUsed,
      clusterSize: this.boot.clusterSize,
      bytesPerSector: this.boot.bytesPerSector,
      mftRecordSize: this.boot.mftRecordSize,
      indexRecordSize: this.boot.indexRecordSize,
      mftRecords: this.recordCount,
    };
  }

  /**
   * Locates the whole $MFT from record 0's own $DATA runlist: the base record's first extent
   * reaches the records that hold the others when an attribute list splits it.
   */
  private async loadMft(): Promise<void> {
    const rs = this.boot.mftRecordSize;
    const cs = this.boot.clusterSize;
    const offset = this.boot.mftCluster * cs;
    const raw = new Uint8Array(await this.source.read(offset, rs)); // a copy: fix-ups are applied in place
    applyFixups(raw, 'MFT record', offset);
    const rec0 = parseMftRecord(raw, MFT_RECORD, offset);
    const data = rec0.attributes.filter((a) => a.type === ATTR.DATA && a.name === '');
    if (data.length === 0) {
      throw new FormatError('ntfs/bad-mft', `$MFT record at ${offset} has no $DATA`, {
        data: { structure: '$MFT', offset, expected: '$DATA', actual: 'none' },
      });
    }
    this.mft = buildPartialStream(data, cs, this.clusterCount, '$MFT $DATA');
    this.recordCount = Math.floor(this.mft.size / rs);
    const list = rec0.attributes.find((a) => a.type === ATTR.ATTRIBUTE_LIST);
    if (list !== undefined) {
      const entries = await this.attributeList(list, MFT_RECORD);
      const extents = [...data];
      const seen = new Set<number>([MFT_RECORD]);
      for (const e of entries) {
        if (e.type !== ATTR.DATA || e.name !== '' || seen.has(e.record)) continue;
        seen.add(e.record);
        const ext = await this.readRecord(e.record);
        extents.push(...ext.attributes.filter((a) => a.type === ATTR.DATA && a.name === ''));
        this.mft = buildPartialStream(extents, cs, this.clusterCount, '$MFT $DATA');
      }
      this.mft = buildStream(extents, cs, this.clusterCount, '$MFT $DATA');
    } else {
      this.mft = buildStream(data, cs, this.clusterCount, '$MFT $DATA');
    }
    this.recordCount = Math.min(MAX_MFT_RECORDS, Math.floor(this.mft.size / rs));
    if (this.recordCount <= UPCASE_RECORD) {
      throw new FormatError(
        'ntfs/bad-mft',
        `$MFT holds ${this.recordCount} records, fewer than the system files`,
        {
          data: { structure: '$MFT', offset, expected: `> ${UPCASE_RECORD}`, actual: this.recordCount },
        },
      );
    }
  }

  async root(): Promise<FsNode> {
    return this.node(String(ROOT_RECORD));
  }

  async node(id: string): Promise<FsNode> {
    const record = /^\d{1,15}$/.test(id) ? Number(id) : Number.NaN;
    if (!Number.isSafeInteger(record) || record >= this.recordCount) {
      throw new GuestPathError('guest/ENOENT', `no NTFS node ${id}`, { data: { id } });
    }
    return this.toNode(await this.inode(record));
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    const d = this.asDir(dir);
    if (name.length === 0 || name.length > MAX_NAME_LENGTH) return undefined;
    const inode = await this.inode(d.record);
    const up = await this.upcaseTable();
    const key = up.upper(name);
    const matches: IndexEntry[] = [];
    await this.search(inode, key, up, matches);
    // Exact case first, then any long name, then an 8.3 alias.
    const pick =
      matches.find((m) => m.name?.name === name && m.name.namespace !== NS_DOS) ??
      matches.find((m) => m.name?.namespace !== NS_DOS) ??
      matches[0];
    if (pick === undefined) return undefined;
    return this.toNode(await this.follow(pick, d.record));
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    const d = this.asDir(dir);
    const inode = await this.inode(d.record);
    const out: FsDirEntry[] = [];
    await this.walk(inode, (e) => {
      const n = e.name as FileName;
      // The root's index names the root itself as `.`; the contract lists neither `.` nor `..`.
      if (n.namespace === NS_DOS || (e.record === d.record && n.name === '.')) return;
      if (out.length >= MAX_DIR_ENTRIES) {
        throw new FormatError(
          'ntfs/too-many-entries',
          `directory ${d.record} has more than ${MAX_DIR_ENTRIES} entries`,
          {
            data: { structure: '$I30', record: d.record, cap: MAX_DIR_ENTRIES },
          },
        );
      }
      out.push({ name: n.name, type: entryType(n), id: String(e.record) });
    });
    return out;
  }

  async read(file: FsNode, offset: number, length: number): Promise<Uint8Array> {
    if (file.type !== 'file') {
      throw new GuestPathError('guest/EISDIR', `NTFS node ${file.id} is not a file`, {
        data: { id: file.id },
      });
    }
    checkRange(offset, length);
    const inode = await this.inode(recordOf(file));
    if (inode.reparse?.tag === IO_REPARSE_TAG_WOF) {
      const info = parseWof(inode.reparse, inode.record.number);
      const size = this.dataSize(inode);
      const packed = this.stream(inode, ATTR.DATA, 'WofCompressedData');
      if (packed !== undefined) return this.wof.read(packed, info, size, offset, length);
    }
    const s = this.stream(inode, ATTR.DATA, '');
    if (s === undefined) return new Uint8Array(0);
    return this.streams.read(s, offset, length);
  }

  async readlink(link: FsNode): Promise<string> {
    const inode = await this.inode(recordOf(link));
    const rp = inode.reparse;
    if (rp === undefined || !isLinkTag(rp.tag)) {
      throw new GuestPathError('guest/EINVAL', `NTFS node ${link.id} is not a symbolic link or junction`, {
        data: { id: link.id },
      });
    }
    const t = linkTarget(rp, inode.record.number);
    return guestLinkPath(t.target, t.relative);
  }

  /** The $DATA streams of a file: the unnamed one (`''`) and named ones (`Zone.Identifier`, `WofCompressedData`). */
  async streamsOf(node: FsNode): Promise<NtfsStreamInfo[]> {
    const inode = await this.inode(recordOf(node));
    const names = new Set(inode.attributes.filter((a) => a.type === ATTR.DATA).map((a) => a.name));
    const out: NtfsStreamInfo[] = [];
    for (const name of names) {
      const extents = inode.attributes.filter((a) => a.type === ATTR.DATA && a.name === name);
      const head = extents.find((a) => a.resident || a.startVcn === 0) ?? extents[0];
      if (head === undefined) continue;
      out.push({
        name,
        size: head.resident ? (head.value?.length ?? 0) : (head.dataSize ?? 0),
        resident: head.resident,
        // Resident values are stored as they are, whatever the flags inherited from the directory say.
        compressed: !head.resident && (head.flags & ATTR_FLAG_COMPRESSED) !== 0,
        sparse: !head.resident && (head.flags & ATTR_FLAG_SPARSE) !== 0,
      });
    }
    return out;
  }

  /** Reads a named $DATA stream as stored (`''` is the unnamed stream, without WOF decoding); undefined when absent. */
  async readStream(
    node: FsNode,
    name: string,
    offset: number,
    length: number,
  ): Promise<Uint8Array | undefined> {
    checkRange(offset, length);
    const inode = await this.inode(recordOf(node));
    const s = this.stream(inode, ATTR.DATA, name);
    return s === undefined ? undefined : this.streams.read(s, offset, length);
  }

  /** The reparse tag of a node, if it has a reparse point (WOF, symlink, junction, cloud files...). */
  async reparseTag(node: FsNode): Promise<number | undefined> {
    return (await this.inode(recordOf(node))).reparse?.tag;
  }

  /** DOS attributes from $STANDARD_INFORMATION (0x1 read-only, 0x2 hidden, 0x4 system, 0x800 compressed...). */
  async dosAttributes(node: FsNode): Promise<number | undefined> {
    return (await this.inode(recordOf(node))).dosAttributes;
  }

  // ---- internals used by volume.ts -------------------------------------------------------------

  /** @internal the inode of a record, for the volume-state reader. */
  async inodeOf(record: number): Promise<{ attributes: readonly RawAttribute[] }> {
    return this.inode(record);
  }

  /** @internal reads a stream of a record. */
  async readRecordStream(
    record: number,
    type: number,
    name: string,
    offset: number,
    length: number,
  ): Promise<Uint8Array | undefined> {
    const s = this.stream(await this.inode(record), type, name);
    return s === undefined ? undefined : this.streams.read(s, offset, length);
  }

  // ---- records and inodes ----------------------------------------------------------------------

  private async readRecord(n: number): Promise<MftRecord> {
    const hit = this.records.get(n);
    if (hit !== undefined) return hit;
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.recordCount) {
      throw new FormatError(
        'ntfs/bad-reference',
        `MFT record ${n} is outside the ${this.recordCount}-record $MFT`,
        {
          data: { structure: 'file reference', expected: `< ${this.recordCount}`, actual: n },
        },
      );
    }
    const rs = this.boot.mftRecordSize;
    const raw = new Uint8Array(await this.streams.read(this.mft, n * rs, rs));
    if (raw.length !== rs) {
      throw new FormatError('ntfs/bad-reference', `MFT record ${n} is past the end of $MFT`, {
        data: { structure: '$MFT', expected: rs, actual: raw.length },
      });
    }
    const offset = this.recordOffset(n);
    applyFixups(raw, 'MFT record', offset);
    const rec = parseMftRecord(raw, n, offset);
    this.records.set(n, rec);
    return rec;
  }

  /** Volume offset of record `n`, for messages. */
  private recordOffset(n: number): number {
    const pos = n * this.boot.mftRecordSize;
    const cs = this.boot.clusterSize;
    const vcn = Math.floor(pos / cs);
    const r = this.mft.runs.find((x) => vcn >= x.vcn && vcn < x.vcn + x.length);
    return r?.lcn === undefined ? pos : r.lcn * cs + (pos - r.vcn * cs);
  }

  private async inode(n: number): Promise<Inode> {
    const hit = this.inodes.get(n);
    if (hit !== undefined) return hit;
    const rec = await this.readRecord(n);
    if (!rec.inUse || rec.base !== n) {
      throw new GuestPathError(
        'guest/ENOENT',
        `MFT record ${n} is ${rec.inUse ? 'an extension record' : 'not in use'}`,
        {
          data: { id: String(n) },
        },
      );
    }
    let attributes: RawAttribute[] = [...rec.attributes];
    const list = rec.attributes.find((a) => a.type === ATTR.ATTRIBUTE_LIST);
    if (list !== undefined) {
      const entries = await this.attributeList(list, n);
      const others = [...new Set(entries.map((e) => e.record))].filter((r) => r !== n);
      if (others.length > MAX_EXTENSION_RECORDS) {
        throw new FormatError(
          'ntfs/too-many-extensions',
          `record ${n} has ${others.length} extension records`,
          {
            data: {
              structure: '$ATTRIBUTE_LIST',
              record: n,
              cap: MAX_EXTENSION_RECORDS,
              actual: others.length,
            },
          },
        );
      }
      attributes = attributes.filter((a) => a.type !== ATTR.ATTRIBUTE_LIST);
      for (const r of others) {
        const ext = await this.readRecord(r);
        if (ext.base !== n || !ext.inUse) {
          throw new FormatError(
            'ntfs/bad-attribute-list',
            `record ${n} lists record ${r}, whose base is ${ext.base}`,
            {
              data: { structure: '$ATTRIBUTE_LIST', record: n, expected: n, actual: ext.base },
            },
          );
        }
        attributes.push(...ext.attributes);
      }
    }
    const names: FileName[] = [];
    let mtimeMs: number | undefined;
    let dosAttributes: number | undefined;
    let reparse: ReparsePoint | undefined;
    for (const a of attributes) {
      if (a.type === ATTR.FILE_NAME && a.value !== undefined)
        names.push(parseFileName(a.value, this.recordOffset(n)));
      if (a.type === ATTR.STANDARD_INFORMATION && a.value !== undefined) {
        const v = new ByteView(a.value, '$STANDARD_INFORMATION', this.recordOffset(n));
        mtimeMs = filetimeToMs(v.u64le(0x08, 'modification time'));
        dosAttributes = v.u32le(0x20, 'file attributes');
      }
    }
    const rpAttr = attributes.filter((a) => a.type === ATTR.REPARSE_POINT);
    if (rpAttr.length > 0) {
      const s = buildStream(rpAttr, this.boot.clusterSize, this.clusterCount, `record ${n} $REPARSE_POINT`);
      if (s.size > MAX_REPARSE_BYTES) {
        throw new FormatError('ntfs/bad-reparse', `record ${n}: reparse data of ${s.size} bytes`, {
          data: { structure: '$REPARSE_POINT', record: n, cap: MAX_REPARSE_BYTES, actual: s.size },
        });
      }
      reparse = parseReparsePoint(await this.streams.read(s, 0, s.size), this.recordOffset(n));
    }
    const inode: Inode = {
      record: rec,
      attributes,
      names,
      streams: new Map(),
      ...(mtimeMs === undefined ? {} : { mtimeMs }),
      ...(dosAttributes === undefined ? {} : { dosAttributes }),
      ...(reparse === undefined ? {} : { reparse }),
    };
    this.inodes.set(n, inode);
    return inode;
  }

  /**
   * $ATTRIBUTE_LIST entries (libfsntfs "The attribute list"): 0x00 u32 type, 0x04 u16 entry length,
   * 0x06 u8 name length, 0x07 u8 name offset, 0x08 u64 first VCN, 0x10 u64 record reference,
   * 0x18 u16 attribute id. The list itself may be non-resident.
   */
  private async attributeList(
    attr: RawAttribute,
    record: number,
  ): Promise<{ type: number; name: string; record: number }[]> {
    const s = buildStream(
      [attr],
      this.boot.clusterSize,
      this.clusterCount,
      `record ${record} $ATTRIBUTE_LIST`,
    );
    if (s.size > MAX_ATTRIBUTE_LIST_BYTES) {
      throw new FormatError(
        'ntfs/bad-attribute-list',
        `record ${record}: attribute list of ${s.size} bytes`,
        {
          data: { structure: '$ATTRIBUTE_LIST', record, cap: MAX_ATTRIBUTE_LIST_BYTES, actual: s.size },
        },
      );
    }
    const bytes = await this.streams.read(s, 0, s.size);
    const v = new ByteView(bytes, '$ATTRIBUTE_LIST');
    const out: { type: number; name: string; record: number }[] = [];
    let o = 0;
    while (o + 0x1a <= bytes.length) {
      const type = v.u32le(o, 'type');
      const len = v.u16le(o + 4, 'entry length');
      if (len < 0x1a || o + len > bytes.length) {
        throw new FormatError(
          'ntfs/bad-attribute-list',
          `record ${record}: attribute list entry at +${o} has length ${len}`,
          {
            data: {
              structure: '$ATTRIBUTE_LIST',
              record,
              offset: o,
              expected: `26..${bytes.length - o}`,
              actual: len,
            },
          },
        );
      }
      const nameLen = v.u8(o + 6, 'name length');
      const nameOff = v.u8(o + 7, 'name offset');
      const name = nameLen === 0 ? '' : v.utf16le(o + nameOff, nameLen * 2, { field: 'name' });
      const ref = fileRef(v, o + 0x10, 'record reference');
      out.push({ type, name, record: ref.record });
      o += len;
    }
    return out;
  }

  private stream(inode: Inode, type: number, name: string): NtfsStream | undefined {
    const key = `${type}:${name}`;
    if (inode.streams.has(key)) return inode.streams.get(key);
    const extents = inode.attributes.filter((a) => a.type === type && a.name === name);
    let s: NtfsStream | undefined;
    if (extents.length > 0) {
      const kind =
        type === ATTR.DATA
          ? '$DATA'
          : type === ATTR.INDEX_ALLOCATION
            ? '$INDEX_ALLOCATION'
            : `0x${type.toString(16)}`;
      const label = `record ${inode.record.number} ${kind}${name === '' ? '' : `:${name}`}`;
      s = buildStream(extents, this.boot.clusterSize, this.clusterCount, label);
    }
    inode.streams.set(key, s);
    return s;
  }

  private dataSize(inode: Inode): number {
    const head = inode.attributes.find(
      (a) => a.type === ATTR.DATA && a.name === '' && (a.resident || a.startVcn === 0),
    );
    if (head === undefined) return 0;
    return head.resident ? (head.value?.length ?? 0) : (head.dataSize ?? 0);
  }

  private toNode(inode: Inode): NtfsNode {
    const n = inode.record.number;
    const link = inode.reparse !== undefined && isLinkTag(inode.reparse.tag);
    const nlink = inode.names.filter((x) => x.namespace !== NS_DOS).length;
    const base = {
      id: String(n),
      record: n,
      uid: 0,
      gid: 0,
      nlink,
      ...(inode.mtimeMs === undefined ? {} : { mtimeMs: inode.mtimeMs }),
    };
    if (link) {
      const rp = inode.reparse as ReparsePoint;
      const t = linkTarget(rp, n);
      const size = new TextEncoder().encode(guestLinkPath(t.target, t.relative)).length;
      return { ...base, type: 'symlink', size, mode: 0o120777 };
    }
    if (inode.record.isDirectory) return { ...base, type: 'dir', size: 0, mode: 0o40755 };
    return { ...base, type: 'file', size: this.dataSize(inode), mode: 0o100644 };
  }

  private asDir(dir: FsNode): NtfsNode {
    if (dir.type !== 'dir') {
      // As in every reader: the resolver checks types first, so only a caller's bug gets here.
      throw new InternalError('ntfs/not-a-directory', `NTFS node ${dir.id} is not a directory`, {
        data: { id: dir.id },
      });
    }
    return dir as NtfsNode;
  }

  /** Follows a directory entry to its file, checking the sequence number it carries. */
  private async follow(e: IndexEntry, dir: number): Promise<Inode> {
    const rec = await this.readRecord(e.record);
    if (rec.sequence !== e.sequence) {
      throw new FormatError(
        'ntfs/stale-reference',
        `directory ${dir} names record ${e.record} sequence ${e.sequence}, the record has sequence ${rec.sequence}`,
        {
          data: { structure: '$I30', record: dir, expected: e.sequence, actual: rec.sequence },
        },
      );
    }
    return this.inode(e.record);
  }

  // ---- directory index -------------------------------------------------------------------------

  private upcaseTable(): Promise<UpCase> {
    if (this.upcase === undefined) {
      this.upcase = (async () => {
        const inode = await this.inode(UPCASE_RECORD);
        const s = this.stream(inode, ATTR.DATA, '');
        const bytes =
          s === undefined ? new Uint8Array(0) : await this.streams.read(s, 0, Math.min(s.size, 131073));
        return UpCase.parse(bytes, this.recordOffset(UPCASE_RECORD));
      })();
      this.upcase.catch(() => {
        this.upcase = undefined;
      });
    }
    return this.upcase;
  }

  private indexRoot(dir: Inode): IndexRoot {
    if (dir.indexRoot !== undefined) return dir.indexRoot;
    const root = dir.attributes.find((a) => a.type === ATTR.INDEX_ROOT && a.name === '$I30');
    if (root?.value === undefined) {
      throw new FormatError('ntfs/bad-index', `directory ${dir.record.number} has no $I30 $INDEX_ROOT`, {
        data: { structure: '$INDEX_ROOT', record: dir.record.number },
      });
    }
    const parsed = parseIndexRoot(root.value, dir.record.number);
    const rs = parsed.indexRecordSize;
    if (rs < 512 || rs > 65536 || (rs & (rs - 1)) !== 0) {
      throw new FormatError('ntfs/bad-index', `directory ${dir.record.number}: index record size ${rs}`, {
        data: {
          structure: '$INDEX_ROOT',
          record: dir.record.number,
          expected: 'a power of two in 512..65536',
          actual: rs,
        },
      });
    }
    dir.indexRoot = parsed;
    return parsed;
  }

  /**
   * The index node at `vcn` of a directory's $INDEX_ALLOCATION. VCNs count clusters when index
   * records are at least a cluster, else 512-byte blocks (ntfs-3g `index.c`, `vcn_size_bits`).
   */
  private async indexNode(dir: Inode, vcn: number, recordSize: number): Promise<IndexEntry[]> {
    const n = dir.record.number;
    const key = `${n}:${vcn}`;
    const hit = this.indexNodes.get(key);
    if (hit !== undefined) return hit;
    const alloc = this.stream(dir, ATTR.INDEX_ALLOCATION, '$I30');
    if (alloc === undefined) {
      throw new FormatError(
        'ntfs/bad-index',
        `directory ${n} points to index VCN ${vcn} but has no $INDEX_ALLOCATION`,
        {
          data: { structure: '$INDEX_ALLOCATION', record: n, actual: vcn },
        },
      );
    }
    const unit = recordSize >= this.boot.clusterSize ? this.boot.clusterSize : 512;
    const pos = vcn * unit;
    if (!Number.isSafeInteger(pos) || pos + recordSize > alloc.size) {
      throw new FormatError(
        'ntfs/bad-index',
        `directory ${n}: index VCN ${vcn} is past its ${alloc.size}-byte allocation`,
        {
          data: { structure: '$INDEX_ALLOCATION', record: n, expected: `< ${alloc.size}`, actual: pos },
        },
      );
    }
    const bytes = await this.streams.read(alloc, pos, recordSize);
    const entries = parseIndexRecord(bytes, pos, vcn, n);
    this.indexNodes.set(key, entries);
    return entries;
  }

  /**
   * Collects the entries whose upper-cased name equals `key`, descending only into the subtrees
   * that can hold it: in each node, the child before the first entry not less than the key, and
   * on through equal entries (names that differ only in case sort together).
   */
  private async search(dir: Inode, key: string, up: UpCase, out: IndexEntry[]): Promise<void> {
    const root = this.indexRoot(dir);
    const visited = new Set<number>();
    const visit = async (entries: readonly IndexEntry[], depth: number): Promise<void> => {
      for (const e of entries) {
        const c = e.name === undefined ? 1 : UpCase.compare(up.upper(e.name.name), key);
        if (c < 0) continue;
        if (e.child !== undefined) await descend(e.child, depth);
        if (c > 0) return;
        out.push(e);
      }
    };
    const descend = async (vcn: number, depth: number): Promise<void> => {
      this.checkDescent(dir, vcn, depth, visited);
      await visit(await this.indexNode(dir, vcn, root.indexRecordSize), depth + 1);
    };
    await visit(root.entries, 0);
  }

  /** Walks the whole index in order, children before the entry that follows them. */
  private async walk(dir: Inode, fn: (e: IndexEntry) => void): Promise<void> {
    const root = this.indexRoot(dir);
    const visited = new Set<number>();
    const visit = async (entries: readonly IndexEntry[], depth: number): Promise<void> => {
      for (const e of entries) {
        if (e.child !== undefined) {
          this.checkDescent(dir, e.child, depth, visited);
          await visit(await this.indexNode(dir, e.child, root.indexRecordSize), depth + 1);
        }
        if (e.name !== undefined) fn(e);
      }
    };
    await visit(root.entries, 0);
  }

  private checkDescent(dir: Inode, vcn: number, depth: number, visited: Set<number>): void {
    const n = dir.record.number;
    if (depth >= MAX_INDEX_DEPTH) {
      throw new FormatError('ntfs/index-too-deep', `directory ${n}: index deeper than ${MAX_INDEX_DEPTH}`, {
        data: { structure: '$I30', record: n, cap: MAX_INDEX_DEPTH },
      });
    }
    if (visited.has(vcn)) {
      throw new FormatError('ntfs/index-loop', `directory ${n}: index node ${vcn} is reached twice`, {
        data: { structure: '$I30', record: n, actual: vcn },
      });
    }
    visited.add(vcn);
  }
}

/** The $MFT stream from the extents known so far (before its attribute list is resolved). */
function buildPartialStream(
  extents: readonly RawAttribute[],
  cs: number,
  clusters: number,
  label: string,
): NtfsStream {
  const sorted = [...extents].sort((a, b) => (a.startVcn ?? 0) - (b.startVcn ?? 0));
  // Keep the chain of extents that starts at VCN 0 and has no gap; only its clusters are readable yet.
  const chain: RawAttribute[] = [];
  let next = 0;
  for (const e of sorted) {
    if (e.startVcn !== next) break;
    chain.push(e);
    next = (e.lastVcn ?? 0) + 1;
  }
  return buildStream(chain.length === 0 ? sorted : chain, cs, clusters, label, true);
}

function entryType(n: FileName): FsDirEntry['type'] {
  // $FILE_NAME flags: 0x10000000 directory (an $I30 index), 0x400 reparse point.
  if ((n.flags & 0x400) !== 0 && isLinkTag(n.reparseTag)) return 'symlink';
  return (n.flags & 0x10000000) !== 0 ? 'dir' : 'file';
}

function recordOf(node: FsNode): number {
  const r = (node as Partial<NtfsNode>).record;
  if (r !== undefined) return r;
  const n = Number(node.id);
  if (!Number.isSafeInteger(n))
    throw new GuestPathError('guest/ENOENT', `no NTFS node ${node.id}`, { data: { id: node.id } });
  return n;
}

function checkRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new GuestPathError('guest/EINVAL', 'bad read range', { data: { offset, length } });
  }
}
