import {
  FormatError,
  InternalError,
  isImagecheckError,
  isInternalError,
  UsageError,
} from '@imagecheck/access';
import { ByteView, Lru } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import type { FileSystemInfo, FileSystemOpener, FileSystemReader, FsDirEntry, FsNode } from '../types.js';
import { type BlockReader, bmbtExtents } from './bmbt.js';
import { storedCrc, xfsCrc } from './crc32c.js';
import {
  DIR2_LEAF_OFFSET,
  type DirEntry,
  decodeDataBlock,
  decodeShortform,
  FT_DIR,
  FT_REG_FILE,
  FT_SYMLINK,
  FT_UNKNOWN,
  MAX_DIR_ENTRIES,
} from './dir.js';
import { decodeSuperblock, type Superblock } from './format.js';
import {
  assertNotRealtime,
  checkExtents,
  decodeInode,
  type Extent,
  FMT_BTREE,
  FMT_DEV,
  FMT_EXTENTS,
  FMT_LOCAL,
  type Inode,
  inodeError,
  inodeExtents,
  inodeOffset,
} from './inode.js';
import { checkLog } from './log.js';

/** Longest symlink target XFS stores (XFS_SYMLINK_MAXLEN). */
const MAX_SYMLINK_LEN = 1024;
/** Remote symlink block header (struct xfs_dsymlink_hdr, v5): 0 magic 'XSLM', 4 offset, 8 bytes, 12 crc, 16 uuid, 32 owner, 40 blkno, 48 lsn. */
const XFS_SYMLINK_MAGIC = 0x58534c4d;
const SYMLINK_HDR_SIZE = 56;
const SYMLINK_CRC_OFFSET = 12;
/** One read() call returns at most this much; callers read big files in pieces. */
export const MAX_READ_LENGTH = 256 * 1024 * 1024;
/**
 * Decoded-object caches, bounded. Inodes are cheap to decode but are looked up again for every
 * read() of a file; directories are costly (a 5000-entry directory is ~50 blocks) and lookup()
 * is called once per entry during a walk, so re-decoding would make a walk quadratic.
 */
const INODE_CACHE_SIZE = 1024;
const DIR_CACHE_ENTRIES = 1 << 18;
const EXTENT_CACHE_EXTENTS = 1 << 18;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function typeOfMode(mode: number): FsNode['type'] {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return 'dir';
    case S_IFREG:
      return 'file';
    case S_IFLNK:
      return 'symlink';
    default:
      return 'other';
  }
}

function typeOfFtype(ftype: number): FsNode['type'] {
  if (ftype === FT_REG_FILE) return 'file';
  if (ftype === FT_DIR) return 'dir';
  if (ftype === FT_SYMLINK) return 'symlink';
  return 'other';
}

/**
 * A read-only XFS reader (v4 and v5) over a byte source. Node ids are decimal inode numbers.
 * Lazy: opening reads the superblock and a few log sectors; everything else on demand.
 */
export class XfsFileSystem implements FileSystemReader, BlockReader {
  readonly caseSensitive = true;
  readonly posixMetadata = true;
  private readonly inodes = new Lru<string, Inode>(INODE_CACHE_SIZE);
  private readonly dirs = new Lru<string, Map<string, DirEntry>>(DIR_CACHE_ENTRIES);
  private readonly extents = new Lru<string, Extent[]>(EXTENT_CACHE_EXTENTS);

  private constructor(
    private readonly source: ByteSource,
    readonly sb: Superblock,
    readonly info: FileSystemInfo,
  ) {}

  /** Opens the filesystem in `source`; `undefined` when there is no XFS superblock. */
  static async open(source: ByteSource): Promise<XfsFileSystem | undefined> {
    if (source.size < 512) return undefined;
    const head = await source.read(0, 512);
    const hv = new ByteView(head, 'XFS superblock');
    if (hv.u32be(0) !== 0x58465342) return undefined;
    const sectSize = hv.u16be(102);
    const sector =
      sectSize > 512 && sectSize <= 32768 && sectSize <= source.size ? await source.read(0, sectSize) : head;
    const sb = decodeSuperblock(sector);
    if (sb === undefined) return undefined;
    const fsBytes = sb.dblocks * sb.blockSize;
    if (fsBytes > source.size) {
      throw new FormatError(
        'xfs/truncated',
        `xfs: filesystem is ${fsBytes} bytes but its device holds ${source.size}`,
        {
          data: { expected: fsBytes, actual: source.size },
        },
      );
    }
    let log: Record<string, unknown>;
    try {
      const state = await checkLog(source, sb);
      log = { logClean: state.clean, logState: state.reason, logHeadBlock: state.headBlock };
    } catch (err) {
      if (!isImagecheckError(err) || isInternalError(err)) throw err;
      log = { logClean: false, logState: `log unreadable: ${err.code}` };
    }
    const info: FileSystemInfo = {
      type: 'xfs',
      uuid: sb.uuid,
      ...(sb.label !== '' ? { label: sb.label } : {}),
      details: {
        version: sb.version,
        blockSize: sb.blockSize,
        inodeSize: sb.inodeSize,
        dirBlockSize: sb.dirBlockSize,
        agCount: sb.agCount,
        features: sb.features,
        ftype: sb.hasFtype,
        needsRepair: sb.needsRepair,
        ...log,
        needsRecovery: log.logClean === false,
        logReplayed: false,
      },
    };
    return new XfsFileSystem(source, sb, info);
  }

  // ---- BlockReader ------------------------------------------------------------------------------

  private fsbToBlock(fsbno: number): number {
    const agno = Math.floor(fsbno / 2 ** this.sb.agblkLog);
    const agbno = fsbno % 2 ** this.sb.agblkLog;
    if (agno >= this.sb.agCount || agbno >= this.sb.agBlocks) {
      throw new FormatError('xfs/bad-block-number', `xfs: block ${fsbno} is outside the filesystem`, {
        data: { expected: `agno < ${this.sb.agCount}, agbno < ${this.sb.agBlocks}`, actual: { agno, agbno } },
      });
    }
    return agno * this.sb.agBlocks + agbno;
  }

  daddr(fsbno: number): number {
    return this.fsbToBlock(fsbno) * (this.sb.blockSize / 512);
  }

  readFsb(fsbno: number, count: number): Promise<Uint8Array> {
    const block = this.fsbToBlock(fsbno);
    if (block + count > this.sb.dblocks) {
      throw new FormatError(
        'xfs/bad-block-number',
        `xfs: blocks ${block}+${count} pass the end of the filesystem`,
        {
          data: { expected: this.sb.dblocks, actual: block + count },
        },
      );
    }
    return this.source.read(block * this.sb.blockSize, count * this.sb.blockSize);
  }

  // ---- inodes -----------------------------------------------------------------------------------

  private async inode(ino: bigint): Promise<Inode> {
    const key = ino.toString();
    const hit = this.inodes.get(key);
    if (hit !== undefined) return hit;
    const offset = inodeOffset(this.sb, ino);
    const bytes = await this.source.read(offset, this.sb.inodeSize);
    const inode = decodeInode(this.sb, ino, bytes, offset);
    if (inode.mode === 0) throw inodeError('xfs/free-inode', 'inode is not in use', ino, { offset });
    this.inodes.set(key, inode);
    return inode;
  }

  private toNode(inode: Inode): FsNode {
    return {
      id: inode.ino.toString(),
      type: typeOfMode(inode.mode),
      size: inode.size,
      mode: inode.mode,
      uid: inode.uid,
      gid: inode.gid,
      mtimeMs: inode.mtimeMs,
      nlink: inode.nlink,
    };
  }

  private async fileExtents(inode: Inode): Promise<Extent[]> {
    if (inode.format === FMT_EXTENTS) {
      const list = inodeExtents(inode);
      checkExtents(this.sb, inode.ino, list);
      return list;
    }
    if (inode.format !== FMT_BTREE) {
      throw inodeError('xfs/bad-inode-format', `data fork format ${inode.format} has no extents`, inode.ino, {
        actual: inode.format,
      });
    }
    const key = inode.ino.toString();
    const hit = this.extents.get(key);
    if (hit !== undefined) return hit;
    const list = await bmbtExtents(this, inode);
    if (list.length !== inode.nextents) {
      throw inodeError(
        'xfs/bad-extent-count',
        'bmap btree extent count differs from di_nextents',
        inode.ino,
        {
          expected: inode.nextents,
          actual: list.length,
        },
      );
    }
    checkExtents(this.sb, inode.ino, list);
    this.extents.set(key, list, list.length);
    return list;
  }

  /** Bytes [offset, offset + length) of the mapped data; holes and unwritten extents read as zeros. */
  private async readMapped(extents: Extent[], offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    const bs = this.sb.blockSize;
    const end = offset + length;
    const firstBlock = Math.floor(offset / bs);
    let lo = 0;
    let hi = extents.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = extents[mid] as Extent;
      if (e.startOff + e.blockCount <= firstBlock) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < extents.length; i++) {
      const e = extents[i] as Extent;
      const eStart = e.startOff * bs;
      if (eStart >= end) break;
      const from = Math.max(offset, eStart);
      const to = Math.min(end, eStart + e.blockCount * bs);
      if (from >= to || e.unwritten) continue;
      const phys = this.fsbToBlock(e.startBlock) * bs + (from - eStart);
      out.set(await this.source.read(phys, to - from), from - offset);
    }
    return out;
  }

  // ---- directories ------------------------------------------------------------------------------

  private async dirEntries(dir: Inode): Promise<Map<string, DirEntry>> {
    const key = dir.ino.toString();
    const hit = this.dirs.get(key);
    if (hit !== undefined) return hit;
    let list: DirEntry[];
    if (dir.format === FMT_LOCAL) {
      list = decodeShortform(this.sb, dir.ino, dir.dataFork, dir.size).entries;
    } else {
      list = [];
      const extents = await this.fileExtents(dir);
      const bs = this.sb.blockSize;
      const perDir = this.sb.dirBlockSize / bs;
      const leafBlock = DIR2_LEAF_OFFSET / bs;
      let lastDirBlock = -1;
      for (const e of extents) {
        if (e.startOff >= leafBlock) break;
        const first = Math.max(Math.floor(e.startOff / perDir), lastDirBlock + 1);
        const last = Math.floor((Math.min(e.startOff + e.blockCount, leafBlock) - 1) / perDir);
        if (last - first + 1 > MAX_DIR_ENTRIES) {
          throw inodeError('xfs/dir-too-large', 'directory has too many data blocks', dir.ino, {
            actual: last - first + 1,
          });
        }
        for (let d = first; d <= last; d++) {
          const bytes = await this.readMapped(extents, d * this.sb.dirBlockSize, this.sb.dirBlockSize);
          const fsbOff = d * perDir - e.startOff;
          // v5 headers record the disk address of the block's first fs block; known only when it is in this extent.
          const daddr = fsbOff >= 0 ? this.daddr(e.startBlock + fsbOff) : undefined;
          decodeDataBlock(this.sb, dir.ino, bytes, daddr, list);
          lastDirBlock = d;
        }
      }
    }
    const map = new Map<string, DirEntry>();
    for (const entry of list) map.set(entry.name, entry);
    this.dirs.set(key, map, map.size + 1);
    return map;
  }

  private async dirInode(dir: FsNode): Promise<Inode> {
    const inode = await this.inode(this.parseId(dir.id));
    if (typeOfMode(inode.mode) !== 'dir') {
      throw new InternalError('xfs/not-a-directory', `xfs: inode ${dir.id} is not a directory`, {
        data: { inode: dir.id },
      });
    }
    if (inode.format !== FMT_LOCAL && inode.format !== FMT_EXTENTS && inode.format !== FMT_BTREE) {
      throw inodeError('xfs/bad-inode-format', 'bad directory format', inode.ino, { actual: inode.format });
    }
    return inode;
  }

  private parseId(id: string): bigint {
    if (!/^[0-9]{1,20}$/.test(id))
      throw new InternalError('xfs/bad-node-id', `xfs: "${id}" is not an inode number`, { data: { id } });
    return BigInt(id);
  }

  // ---- NodeFileSystem ---------------------------------------------------------------------------

  async root(): Promise<FsNode> {
    const node = this.toNode(await this.inode(this.sb.rootIno));
    if (node.type !== 'dir') {
      throw inodeError('xfs/bad-root', 'root inode is not a directory', this.sb.rootIno, {
        actual: node.mode,
      });
    }
    return node;
  }

  async node(id: string): Promise<FsNode> {
    return this.toNode(await this.inode(this.parseId(id)));
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    const entries = await this.dirEntries(await this.dirInode(dir));
    const entry = entries.get(name);
    return entry === undefined ? undefined : this.toNode(await this.inode(entry.ino));
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    const entries = await this.dirEntries(await this.dirInode(dir));
    const out: FsDirEntry[] = [];
    for (const e of entries.values()) {
      // Without ftype (v4 default, or FT_UNKNOWN) the type is only in the inode.
      const type =
        e.ftype === undefined || e.ftype === FT_UNKNOWN
          ? typeOfMode((await this.inode(e.ino)).mode)
          : typeOfFtype(e.ftype);
      out.push({ name: e.name, type, id: e.ino.toString() });
    }
    return out;
  }

  async read(file: FsNode, offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new InternalError('xfs/bad-read', `xfs: bad read range ${offset}+${length}`, {
        data: { offset, length },
      });
    }
    const inode = await this.inode(this.parseId(file.id));
    const type = typeOfMode(inode.mode);
    if (type === 'dir')
      throw new InternalError('xfs/is-a-directory', `xfs: inode ${file.id} is a directory`, {
        data: { inode: file.id },
      });
    const end = Math.min(inode.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    if (end - offset > MAX_READ_LENGTH) {
      throw new UsageError(
        'xfs/read-too-large',
        `xfs: read of ${end - offset} bytes exceeds ${MAX_READ_LENGTH}`,
        {
          data: { expected: MAX_READ_LENGTH, actual: end - offset },
        },
      );
    }
    if (inode.format === FMT_DEV) return new Uint8Array(0);
    if (inode.format === FMT_LOCAL) {
      if (inode.size > inode.dataFork.length) {
        throw inodeError('xfs/bad-inline-size', 'inline data larger than the fork', inode.ino, {
          expected: `<= ${inode.dataFork.length}`,
          actual: inode.size,
        });
      }
      return inode.dataFork.slice(offset, end);
    }
    assertNotRealtime(inode);
    return this.readMapped(await this.fileExtents(inode), offset, end - offset);
  }

  async readlink(link: FsNode): Promise<string> {
    const inode = await this.inode(this.parseId(link.id));
    if (typeOfMode(inode.mode) !== 'symlink') {
      throw new InternalError('xfs/not-a-symlink', `xfs: inode ${link.id} is not a symlink`, {
        data: { inode: link.id },
      });
    }
    if (inode.size < 1 || inode.size > MAX_SYMLINK_LEN) {
      throw inodeError('xfs/bad-symlink', 'symlink length out of range', inode.ino, {
        expected: `1..${MAX_SYMLINK_LEN}`,
        actual: inode.size,
      });
    }
    const decode = (b: Uint8Array): string => new TextDecoder().decode(b);
    if (inode.format === FMT_LOCAL) {
      if (inode.size > inode.dataFork.length) {
        throw inodeError('xfs/bad-symlink', 'inline symlink larger than the fork', inode.ino, {
          actual: inode.size,
        });
      }
      return decode(inode.dataFork.subarray(0, inode.size));
    }
    const extents = await this.fileExtents(inode);
    if (!this.sb.hasCrc) return decode(await this.readMapped(extents, 0, inode.size));
    // v5: every extent of a remote symlink starts with its own header and CRC (xfs_symlink_remote.c).
    const out = new Uint8Array(inode.size);
    let done = 0;
    for (const e of extents) {
      if (done >= inode.size) break;
      const b = await this.readFsb(e.startBlock, e.blockCount);
      const bv = new ByteView(
        b,
        `XFS remote symlink block of inode ${inode.ino}`,
        this.daddr(e.startBlock) * 512,
      );
      const magic = bv.u32be(0);
      const expectedCrc = storedCrc(b, SYMLINK_CRC_OFFSET);
      const actualCrc = xfsCrc(b, SYMLINK_CRC_OFFSET);
      const off = bv.u32be(4);
      const bytes = bv.u32be(8);
      if (magic !== XFS_SYMLINK_MAGIC || expectedCrc !== actualCrc || bv.u64be(32) !== inode.ino) {
        throw inodeError(
          'xfs/bad-symlink-block',
          'remote symlink block has a bad magic, CRC or owner',
          inode.ino,
          {
            block: e.startBlock,
            expected: { magic: XFS_SYMLINK_MAGIC, crc: expectedCrc },
            actual: { magic, crc: actualCrc },
          },
        );
      }
      if (off !== done || bytes > b.length - SYMLINK_HDR_SIZE || off + bytes > inode.size) {
        throw inodeError(
          'xfs/bad-symlink-block',
          'remote symlink block has a bad offset or length',
          inode.ino,
          {
            block: e.startBlock,
            expected: { offset: done },
            actual: { offset: off, bytes },
          },
        );
      }
      out.set(b.subarray(SYMLINK_HDR_SIZE, SYMLINK_HDR_SIZE + bytes), off);
      done += bytes;
    }
    if (done !== inode.size) {
      throw inodeError('xfs/bad-symlink', 'remote symlink is shorter than its size', inode.ino, {
        expected: inode.size,
        actual: done,
      });
    }
    return decode(out);
  }
}

/** The XFS `FileSystemOpener`: a reader when `source` holds an XFS v4/v5 filesystem, else `undefined`. */
export const openXfs: FileSystemOpener = (source) => XfsFileSystem.open(source);
