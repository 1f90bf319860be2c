import {
  type FileSystemInfo,
  FormatError,
  type FsDirEntry,
  type FsNode,
  type GuestFileTypeV2,
  InternalError,
  type NodeFileSystem,
  UnsupportedError,
  UsageError,
} from '@imagecheck/access';
import { ByteView, Lru } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import { crc32cUpdate as crc32cRaw } from '../../checksum/crc32c.js';
import { parseDirBlock, type RawDirEntry, typeFromDirent } from './dir.js';
import { BG_INODE_UNINIT, decodeGroupDesc, descriptorLocation, type GroupDesc } from './groups.js';
import {
  decodeInode,
  FL_ENCRYPT,
  FL_EXTENTS,
  FL_INLINE_DATA,
  type Inode,
  inlineDataTail,
  inodeFsBlocks,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
} from './inode.js';
import { type MapContext, mapBlockMap, mapExtents, type Run } from './mapping.js';
import {
  COMPAT,
  extType,
  featureNames,
  hasCompat,
  hasExtMagic,
  hasIncompat,
  hasRoCompat,
  INCOMPAT,
  parseSuperblock,
  RO_COMPAT,
  SUPERBLOCK_OFFSET,
  SUPERBLOCK_SIZE,
  type Superblock,
} from './superblock.js';

/** The root directory is always inode 2 (EXT2_ROOT_INO). */
export const ROOT_INO = 2;
/** A directory larger than this is treated as corrupt (ext4 large_dir tops out near 2^32 blocks, real ones at MiBs). */
export const MAX_DIR_BYTES = 256 * 1024 * 1024;
/** Entries one directory may yield before we call it corrupt. */
export const MAX_DIR_ENTRIES = 4_000_000;
/** Decoded directories kept for lookups, by total entries: re-decoding a big directory per lookup is quadratic. */
export const MAX_CACHED_DIR_ENTRIES = 262_144;
/** PATH_MAX: the kernel refuses longer symlink targets. */
export const MAX_SYMLINK_LENGTH = 4096;
/** Largest single read() the reader serves; callers read big files in chunks. */
export const MAX_READ_LENGTH = 256 * 1024 * 1024;
/** Directory blocks fetched per source read while scanning a directory. */
const DIR_READ_BLOCKS = 64;

function typeOfMode(mode: number): GuestFileTypeV2 | undefined {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 'file';
    case S_IFDIR:
      return 'dir';
    case S_IFLNK:
      return 'symlink';
    case 0o020000: // character device
    case 0o060000: // block device
    case 0o010000: // fifo
    case 0o140000: // socket
      return 'other';
    default:
      return undefined;
  }
}

/**
 * A read-only ext2/ext3/ext4 reader over a `ByteSource` holding the filesystem (a partition or
 * LV window). Node ids are inode numbers in decimal. Nothing is read at open beyond the
 * superblock; inodes, descriptors and directory blocks are read when asked for, through the
 * source's block cache. The journal is never replayed: a filesystem that needs recovery is read
 * as its main structures stand, and `info.details.needsRecovery` says so.
 */
export class ExtFileSystem implements NodeFileSystem {
  readonly caseSensitive = true;
  readonly posixMetadata = true;
  readonly info: FileSystemInfo;
  readonly superblock: Superblock;

  private readonly inodes = new WeakMap<FsNode, Inode>();
  /** Decoded directories, bounded by `MAX_CACHED_DIR_ENTRIES` entries in total (each costs its size). */
  private readonly dirs = new Lru<number, Map<string, RawDirEntry>>(MAX_CACHED_DIR_ENTRIES);
  private readonly mapCtx: MapContext;

  private constructor(
    private readonly source: ByteSource,
    sb: Superblock,
  ) {
    this.superblock = sb;
    this.mapCtx = { sb, readBlock: (pblk) => this.readBlocks(pblk, 1) };
    const needsRecovery = hasIncompat(sb, INCOMPAT.recover);
    this.info = {
      type: extType(sb),
      uuid: sb.uuid,
      ...(sb.label === '' ? {} : { label: sb.label }),
      details: {
        blockSize: sb.blockSize,
        blocksCount: sb.blocksCount,
        inodesCount: sb.inodesCount,
        inodeSize: sb.inodeSize,
        groupCount: sb.groupCount,
        revision: sb.revLevel,
        features: featureNames(sb),
        hasJournal: hasCompat(sb, COMPAT.has_journal),
        needsRecovery,
        // The journal is never replayed: with needsRecovery, recent changes still in the journal are not seen.
        journalReplayed: false,
        ...(needsRecovery
          ? { note: 'the journal needs recovery and was not replayed; recent changes may be missing' }
          : {}),
        // s_state bit 0: cleanly unmounted; bit 1: errors detected.
        state: sb.state & 2 ? 'errors' : sb.state & 1 ? 'clean' : 'not clean',
        metadataChecksums: hasRoCompat(sb, RO_COMPAT.metadata_csum),
        // A source shorter than the declared filesystem: reads that reach the missing tail fail with ext/truncated.
        ...(sb.blocksCount * sb.blockSize > source.size
          ? { truncated: { declared: sb.blocksCount * sb.blockSize, present: source.size } }
          : {}),
        ...(sb.lastMounted === '' ? {} : { lastMounted: sb.lastMounted }),
      },
    };
  }

  /** Opens the filesystem in `source`; `undefined` when the ext magic is absent. */
  static async open(source: ByteSource): Promise<ExtFileSystem | undefined> {
    if (source.size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) return undefined;
    const raw = await source.read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE);
    if (!hasExtMagic(raw)) return undefined;
    const sb = parseSuperblock(raw);
    if (hasIncompat(sb, INCOMPAT.journal_dev)) {
      throw new UnsupportedError(
        'ext/journal-device',
        'this is an external ext3/4 journal device, not a filesystem',
        {
          data: { uuid: sb.uuid },
        },
      );
    }
    return new ExtFileSystem(source, sb);
  }

  async root(): Promise<FsNode> {
    return this.node(String(ROOT_INO));
  }

  async node(id: string): Promise<FsNode> {
    if (!/^[0-9]{1,10}$/.test(id))
      throw new InternalError('ext/bad-node-id', `not an ext node id: ${id}`, { data: { id } });
    const inode = await this.readInode(Number(id));
    const type = typeOfMode(inode.mode);
    if (type === undefined) {
      throw new FormatError(
        'ext/bad-inode-mode',
        `inode ${inode.ino} has no valid file type (mode 0o${inode.mode.toString(8)})`,
        {
          data: { inode: inode.ino, actual: inode.mode },
        },
      );
    }
    const node: FsNode = {
      id,
      type,
      size: inode.size,
      mode: inode.mode,
      uid: inode.uid,
      gid: inode.gid,
      mtimeMs: inode.mtimeMs,
      nlink: inode.links,
    };
    this.inodes.set(node, inode);
    return node;
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    const entries = await this.dirEntries(dir);
    const hit = entries.get(name);
    return hit === undefined ? undefined : this.node(String(hit.inode));
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    const entries = await this.dirEntries(dir);
    const out: FsDirEntry[] = [];
    for (const e of entries.values()) {
      let type = typeFromDirent(e.fileType);
      // Without the filetype feature (or with a type byte we do not know) only the inode knows.
      if (type === undefined) type = (await this.node(String(e.inode))).type;
      out.push({ name: e.name, type, id: String(e.inode) });
    }
    return out;
  }

  async read(file: FsNode, offset: number, length: number): Promise<Uint8Array> {
    const inode = await this.inodeOf(file);
    if ((inode.mode & S_IFMT) === S_IFDIR)
      throw new InternalError('ext/is-a-directory', `inode ${inode.ino} is a directory`, {
        data: { inode: inode.ino },
      });
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new InternalError('ext/bad-read', `bad read range ${offset}+${length}`, {
        data: { offset, length },
      });
    }
    if (length > MAX_READ_LENGTH) {
      throw new UsageError(
        'ext/read-too-large',
        `read of ${length} bytes exceeds ${MAX_READ_LENGTH}; read in chunks`,
        {
          data: { length, expected: `<= ${MAX_READ_LENGTH}` },
        },
      );
    }
    return this.readData(inode, offset, length);
  }

  async readlink(link: FsNode): Promise<string> {
    const inode = await this.inodeOf(link);
    if ((inode.mode & S_IFMT) !== S_IFLNK) {
      throw new InternalError('ext/not-a-symlink', `inode ${inode.ino} is not a symlink`, {
        data: { inode: inode.ino },
      });
    }
    if (inode.size > MAX_SYMLINK_LENGTH) {
      throw new FormatError('ext/bad-symlink', `inode ${inode.ino}: symlink of ${inode.size} bytes`, {
        data: { inode: inode.ino, actual: inode.size, expected: `<= ${MAX_SYMLINK_LENGTH}` },
      });
    }
    let bytes: Uint8Array;
    if (this.isFastSymlink(inode)) bytes = inode.iBlock.subarray(0, inode.size);
    else bytes = await this.readData(inode, 0, inode.size);
    return new TextDecoder('utf-8').decode(bytes);
  }

  /**
   * A fast symlink keeps its target in i_block. The kernel's test (`ext4_inode_is_fast_symlink`)
   * is "no data blocks besides an xattr block"; short targets without EXTENTS_FL qualify too,
   * as e2fsprogs' `ext2fs_is_fast_symlink` assumes.
   */
  private isFastSymlink(inode: Inode): boolean {
    if (inode.flags & FL_INLINE_DATA) return false;
    if (inode.size >= 60) return false;
    const eaBlocks = inode.fileAcl !== 0 ? 1 << this.superblock.clusterBits : 0;
    return inodeFsBlocks(this.superblock, inode) - eaBlocks === 0 || (inode.flags & FL_EXTENTS) === 0;
  }

  /** Decoded inode behind a node: from this reader's own nodes, else re-read by id. */
  private async inodeOf(node: FsNode): Promise<Inode> {
    const known = this.inodes.get(node);
    if (known !== undefined) return known;
    if (!/^[0-9]{1,10}$/.test(node.id))
      throw new InternalError('ext/bad-node-id', `not an ext node id: ${node.id}`, { data: { id: node.id } });
    return this.readInode(Number(node.id));
  }

  private async readBlocks(pblk: number, count: number): Promise<Uint8Array> {
    const bs = this.superblock.blockSize;
    return this.readAt(pblk * bs, count * bs);
  }

  /** Every read of the filesystem goes through here, so a truncated image fails with one typed error. */
  private async readAt(offset: number, length: number): Promise<Uint8Array> {
    if (offset + length > this.source.size) {
      throw new FormatError(
        'ext/truncated',
        `read of ${length} bytes at ${offset} is past the end of the image (${this.source.size} bytes)`,
        {
          data: { offset, expected: offset + length, actual: this.source.size },
        },
      );
    }
    return this.source.read(offset, length);
  }

  private async groupDesc(group: number): Promise<GroupDesc> {
    const sb = this.superblock;
    const { block, offset } = descriptorLocation(sb, group);
    if (block >= sb.blocksCount) {
      throw new FormatError(
        'ext/bad-group-desc',
        `group ${group}: descriptor block ${block} is outside the filesystem`,
        {
          data: { group, actual: block, expected: `< ${sb.blocksCount}` },
        },
      );
    }
    const raw = await this.readAt(block * sb.blockSize + offset, sb.descSize);
    return decodeGroupDesc(sb, group, raw);
  }

  private async readInode(ino: number): Promise<Inode> {
    const sb = this.superblock;
    if (!Number.isSafeInteger(ino) || ino < 1 || ino > sb.inodesCount) {
      throw new FormatError('ext/bad-inode-number', `inode ${ino} is outside 1..${sb.inodesCount}`, {
        data: { inode: ino, actual: ino, expected: `1..${sb.inodesCount}` },
      });
    }
    const group = Math.floor((ino - 1) / sb.inodesPerGroup);
    const index = (ino - 1) % sb.inodesPerGroup;
    const desc = await this.groupDesc(group);
    const csumGroups = hasRoCompat(sb, RO_COMPAT.gdt_csum) || hasRoCompat(sb, RO_COMPAT.metadata_csum);
    if (csumGroups && (desc.flags & BG_INODE_UNINIT || index >= sb.inodesPerGroup - desc.itableUnused)) {
      throw new FormatError(
        'ext/inode-uninit',
        `inode ${ino} lies in the uninitialised part of group ${group}'s inode table`,
        {
          data: { inode: ino, group },
        },
      );
    }
    const tableBlocks = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / sb.blockSize);
    if (desc.inodeTable + tableBlocks > sb.blocksCount) {
      throw new FormatError('ext/bad-inode-table', `group ${group}: inode table runs past the filesystem`, {
        data: { group, actual: desc.inodeTable, expected: `<= ${sb.blocksCount - tableBlocks}` },
      });
    }
    const offset = desc.inodeTable * sb.blockSize + index * sb.inodeSize;
    const raw = await this.readAt(offset, sb.inodeSize);
    if (hasRoCompat(sb, RO_COMPAT.metadata_csum)) this.verifyInodeChecksum(ino, raw, offset);
    return decodeInode(sb, ino, raw);
  }

  /**
   * metadata_csum inode checksum (kernel `ext4_inode_csum`): crc32c over the inode number, the
   * generation (0x64) and the whole inode with i_checksum_lo (0x7C) and, when i_extra_isize covers
   * it, i_checksum_hi (0x82) zeroed, seeded with the filesystem checksum seed. 128-byte inodes
   * keep only the low 16 bits.
   */
  private verifyInodeChecksum(ino: number, raw: Uint8Array, offset: number): void {
    const sb = this.superblock;
    const le = new Uint8Array(4);
    new DataView(le.buffer).setUint32(0, ino, true);
    let seed = crc32cRaw(sb.csumSeed, le);
    seed = crc32cRaw(seed, raw.subarray(0x64, 0x68));
    const copy = raw.slice();
    copy[0x7c] = 0;
    copy[0x7d] = 0;
    const rv = new ByteView(raw, `ext inode ${ino}`, offset);
    const hasHi = raw.length > 128 && rv.u16le(0x80) >= 4;
    if (hasHi) {
      copy[0x82] = 0;
      copy[0x83] = 0;
    }
    const crc = crc32cRaw(seed, copy);
    const stored = hasHi ? (rv.u16le(0x7c) | (rv.u16le(0x82) << 16)) >>> 0 : rv.u16le(0x7c);
    const actual = hasHi ? crc : crc & 0xffff;
    if (stored !== actual) {
      throw new FormatError('ext/bad-inode-checksum', `inode ${ino}: checksum mismatch`, {
        data: { inode: ino, offset, expected: stored, actual },
      });
    }
  }

  private async mapRange(inode: Inode, from: number, count: number): Promise<Run[]> {
    if (inode.flags & FL_EXTENTS) return mapExtents(this.mapCtx, inode, from, count);
    return mapBlockMap(this.mapCtx, inode, from, count);
  }

  /** File bytes `[offset, offset + length)` clamped to the size; holes and uninitialised extents are zeros. */
  private async readData(inode: Inode, offset: number, length: number): Promise<Uint8Array> {
    if (inode.flags & FL_ENCRYPT) {
      throw new UnsupportedError('ext/encrypted', `inode ${inode.ino} is encrypted (fscrypt)`, {
        data: { inode: inode.ino },
      });
    }
    const end = Math.min(inode.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    if (inode.flags & FL_INLINE_DATA) {
      // i_block then system.data hold the bytes; past them, up to i_size, the file reads as a hole
      // (mke2fs -d stores an all-hole file as empty inline data with its full size).
      const tail = inlineDataTail(inode);
      const out = new Uint8Array(end - offset);
      const stored = new Uint8Array(60 + tail.length);
      stored.set(inode.iBlock, 0);
      stored.set(tail, 60);
      if (offset < stored.length) out.set(stored.subarray(offset, Math.min(end, stored.length)), 0);
      return out;
    }
    const bs = this.superblock.blockSize;
    const first = Math.floor(offset / bs);
    const last = Math.floor((end - 1) / bs);
    const runs = await this.mapRange(inode, first, last - first + 1);
    const out = new Uint8Array(end - offset);
    for (const run of runs) {
      if (run.pblk === undefined) continue; // zeros already
      const runStart = run.lblk * bs;
      const from = Math.max(offset, runStart);
      const to = Math.min(end, runStart + run.len * bs);
      if (to <= from) continue;
      const bytes = await this.readAt(run.pblk * bs + (from - runStart), to - from);
      out.set(bytes, from - offset);
    }
    return out;
  }

  private async dirEntries(dir: FsNode): Promise<Map<string, RawDirEntry>> {
    const inode = await this.inodeOf(dir);
    if ((inode.mode & S_IFMT) !== S_IFDIR) {
      throw new InternalError('ext/not-a-directory', `inode ${inode.ino} is not a directory`, {
        data: { inode: inode.ino },
      });
    }
    const cached = this.dirs.get(inode.ino);
    if (cached !== undefined) return cached;
    const list = await this.scanDirectory(inode);
    const map = new Map<string, RawDirEntry>();
    for (const e of list) if (!map.has(e.name)) map.set(e.name, e);
    // A directory larger than the whole budget is not kept (Lru drops it).
    this.dirs.set(inode.ino, map, Math.max(1, map.size));
    return map;
  }

  private async scanDirectory(inode: Inode): Promise<RawDirEntry[]> {
    if (inode.flags & FL_ENCRYPT) {
      throw new UnsupportedError('ext/encrypted', `directory ${inode.ino} is encrypted (fscrypt)`, {
        data: { inode: inode.ino },
      });
    }
    const sb = this.superblock;
    const hasFileType = hasIncompat(sb, INCOMPAT.filetype);
    const out: RawDirEntry[] = [];
    if (inode.flags & FL_INLINE_DATA) {
      // Inline directory (ext4 docs "Inline Directories"): i_block[0..4] is the parent inode,
      // entries fill i_block[4..60] and continue in the system.data attribute.
      parseDirBlock(inode.iBlock.subarray(4, 60), hasFileType, inode.ino, 'i_block', out);
      const tail = inlineDataTail(inode);
      if (tail.length > 0) parseDirBlock(tail, hasFileType, inode.ino, 'system.data', out);
      return out;
    }
    if (inode.size > MAX_DIR_BYTES || inode.size % sb.blockSize !== 0) {
      throw new FormatError(
        'ext/bad-dir-size',
        `directory ${inode.ino}: size ${inode.size} is not a plausible directory size`,
        {
          data: {
            inode: inode.ino,
            actual: inode.size,
            expected: `a multiple of ${sb.blockSize} <= ${MAX_DIR_BYTES}`,
          },
        },
      );
    }
    const blocks = inode.size / sb.blockSize;
    const runs = await this.mapRange(inode, 0, blocks);
    for (const run of runs) {
      if (run.pblk === undefined) continue; // a hole in a directory holds no entries
      for (let i = 0; i < run.len; i += DIR_READ_BLOCKS) {
        const n = Math.min(DIR_READ_BLOCKS, run.len - i);
        const bytes = await this.readBlocks(run.pblk + i, n);
        for (let b = 0; b < n; b++) {
          const block = bytes.subarray(b * sb.blockSize, (b + 1) * sb.blockSize);
          parseDirBlock(block, hasFileType, inode.ino, `block ${run.pblk + i + b}`, out);
          if (out.length > MAX_DIR_ENTRIES) {
            throw new FormatError(
              'ext/too-many-entries',
              `directory ${inode.ino} has more than ${MAX_DIR_ENTRIES} entries`,
              {
                data: { inode: inode.ino, expected: `<= ${MAX_DIR_ENTRIES}` },
              },
            );
          }
        }
      }
    }
    return out;
  }
}

/** Opener for the probe registry: an ext2/3/4 reader, or `undefined` when the bytes are not ext. */
export async function openExt(source: ByteSource): Promise<ExtFileSystem | undefined> {
  return ExtFileSystem.open(source);
}
