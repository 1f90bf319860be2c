import { FormatError, GuestPathError, InternalError, UnsupportedError } from '@imagecheck/access';
import { ByteView, Lru } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import type { FileSystemInfo, FileSystemReader, FsDirEntry, FsNode } from '../types.js';
import { decompressExtent } from './compress.js';
import { btrfsNameHash } from './crc32c.js';
import {
  BG_RAID0,
  BG_RAID5,
  BG_RAID6,
  BG_RAID10,
  type Chunk,
  compareKeys,
  FIRST_FREE_OBJECTID,
  FS_TREE_OBJECTID,
  type InodeItem,
  KEY_CHUNK_ITEM,
  KEY_DIR_INDEX,
  KEY_DIR_ITEM,
  KEY_EXTENT_DATA,
  KEY_INODE_ITEM,
  KEY_INODE_REF,
  KEY_ROOT_BACKREF,
  KEY_ROOT_ITEM,
  KEY_ROOT_REF,
  type Key,
  type LeafItem,
  MAX_TREE_LEVEL,
  parseChunk,
  parseDirItems,
  parseInode,
  parseNode,
  parseSuperblock,
  ROOT_TREE_DIR_OBJECTID,
  SUPERBLOCK_OFFSET,
  SUPERBLOCK_SIZE,
  type Superblock,
  type TreeNode,
} from './structs.js';

/** Tree nodes visited by one range query before it is declared a loop or a bomb. */
export const MAX_NODES_PER_QUERY = 200_000;
/** Items returned by one range query (a directory's entries, a file's extents). */
export const MAX_ITEMS_PER_QUERY = 2_000_000;
/** Chunks in the chunk tree. */
export const MAX_CHUNKS = 1_000_000;
/** Subvolumes listed. */
export const MAX_SUBVOLUMES = 100_000;
/** Directory depth when building a subvolume's path from INODE_REFs. */
const MAX_PATH_DEPTH = 4096;
/** A compressed extent holds at most 128 KiB of data (BTRFS_MAX_COMPRESSED); we allow 4× slack. */
export const MAX_DECOMPRESSED_EXTENT = 512 * 1024;
/** Parsed tree nodes kept: parsing verifies a checksum over the whole node. */
const NODE_CACHE_ENTRIES = 1024;
/** Per-inode extent lists kept, so 1 MiB reads of one big file do not rescan its extents. */
const EXTENT_CACHE_ENTRIES = 64;
/** Subvolume tree roots kept. */
const ROOT_CACHE_ENTRIES = 4096;
/** Decompressed extents kept, for reads that cut one extent in several pieces. */
const DECOMPRESSED_CACHE_ENTRIES = 16;

/** BTRFS_EMPTY_SUBVOL_DIR_OBJECTID: the placeholder directory of a nested subvolume inside a snapshot. */
const EMPTY_SUBVOL_DIR_OBJECTID = 2;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

export interface BtrfsSubvolume {
  readonly id: number;
  /** Path below the top level (id 5), without a leading slash; '' for the top level. */
  readonly path: string;
  readonly parentId: number;
}

export interface BtrfsOpenOptions {
  /** A subvolume id, `subvolid=N`, or a path below the top level (`@`, `root`, `@/.snapshots/1/snapshot`). Default: the default subvolume. */
  readonly subvolume?: string | number;
}

interface TreeRoot {
  readonly bytenr: number;
  readonly level: number;
}

interface BtrfsNode extends FsNode {
  readonly tree: number;
  readonly ino: number;
}

/** One EXTENT_DATA item, decoded (struct btrfs_file_extent_item). */
interface FileExtent {
  readonly fileOffset: number;
  /** Bytes of file this extent covers. */
  readonly length: number;
  readonly compression: number;
  readonly type: number;
  readonly inline?: Uint8Array;
  readonly ramBytes: number;
  readonly diskBytenr: number;
  readonly diskNumBytes: number;
  /** Offset into the (decompressed) extent where this file range starts. */
  readonly extentOffset: number;
}

const MAX_U64 = 0xffffffffffffffffn;

function key(objectid: number | bigint, type: number, offset: number | bigint): Key {
  return { objectid: BigInt(objectid), type, offset: BigInt(offset) };
}

function typeOfMode(mode: number): FsNode['type'] {
  const t = mode & S_IFMT;
  return t === S_IFDIR ? 'dir' : t === S_IFREG ? 'file' : t === S_IFLNK ? 'symlink' : 'other';
}

/** Directory entry file types (BTRFS_FT_*): 1 reg, 2 dir, 7 symlink, others special. */
function typeOfFt(ft: number): FsNode['type'] {
  return ft === 1 ? 'file' : ft === 2 ? 'dir' : ft === 7 ? 'symlink' : 'other';
}

const utf8 = new TextDecoder();
const utf8e = new TextEncoder();

/**
 * A read-only btrfs reader over one device (single, DUP and RAID1-family chunks are read from the
 * stripe on this device; striped and parity profiles throw `UnsupportedError`).
 *
 * A reader is bound to one subvolume (the default one unless asked otherwise): its root
 * directory is that subvolume's root. Subvolumes nested below it appear as directories whose
 * contents come from their own trees. Node ids are `<tree id>:<inode number>`.
 * The log tree is not replayed (`details.logTreePresent` says whether one exists).
 */
export class BtrfsFileSystem implements FileSystemReader {
  readonly caseSensitive = true;
  readonly posixMetadata = true;
  readonly info: FileSystemInfo;
  /** The subvolume this reader is rooted at. */
  readonly subvolumeId: number;
  private readonly chunks: Chunk[];
  private readonly nodeCache = new Lru<number, Promise<TreeNode>>(NODE_CACHE_ENTRIES);
  private readonly rootCache = new Lru<number, Promise<TreeRoot>>(ROOT_CACHE_ENTRIES);
  private readonly extentCache = new Lru<string, Promise<FileExtent[]>>(EXTENT_CACHE_ENTRIES);
  private readonly decompressedCache = new Lru<string, Uint8Array>(DECOMPRESSED_CACHE_ENTRIES);
  private readonly fsidBytes: Uint8Array;

  private constructor(
    private readonly source: ByteSource,
    readonly superblock: Superblock,
    chunks: Chunk[],
    subvolumeId: number,
  ) {
    this.chunks = chunks;
    this.subvolumeId = subvolumeId;
    this.fsidBytes = Uint8Array.from(superblock.metadataUuid.replace(/-/g, '').match(/../g) ?? [], (h) =>
      Number.parseInt(h, 16),
    );
    this.info = {
      type: 'btrfs',
      uuid: superblock.fsid,
      ...(superblock.label === '' ? {} : { label: superblock.label }),
      details: {
        generation: superblock.generation,
        sectorSize: superblock.sectorSize,
        nodeSize: superblock.nodeSize,
        numDevices: superblock.numDevices,
        checksum: superblock.csumType,
        checksumVerified: superblock.csumType === 'crc32c' || superblock.csumType === 'sha256',
        incompatFlags: `0x${superblock.incompatFlags.toString(16)}`,
        logTreePresent: superblock.logRoot !== 0,
        subvolumeId: subvolumeId,
      },
    };
  }

  /** Opens a btrfs filesystem; undefined when the superblock magic is absent. */
  static async open(
    source: ByteSource,
    options: BtrfsOpenOptions = {},
  ): Promise<BtrfsFileSystem | undefined> {
    if (source.size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) return undefined;
    const sb = parseSuperblock(await source.read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE));
    if (sb === undefined) return undefined;
    const boot = new BtrfsFileSystem(source, sb, [...sb.sysChunks], FS_TREE_OBJECTID);
    await boot.loadChunkTree();
    const id = await boot.resolveSubvolume(options.subvolume);
    const fs = new BtrfsFileSystem(source, sb, boot.chunks, id);
    // Make sure the subvolume's tree exists before handing the reader out.
    await fs.treeRoot(id);
    return fs;
  }

  /** Every subvolume below the top level, with its path; the top level itself (id 5, path '') first. */
  async listSubvolumes(): Promise<BtrfsSubvolume[]> {
    const root = this.rootTreeRoot();
    const backrefs = await this.range(
      root,
      key(FIRST_FREE_OBJECTID, KEY_ROOT_BACKREF, 0),
      key(MAX_U64, KEY_ROOT_BACKREF, MAX_U64),
      KEY_ROOT_BACKREF,
    );
    const parents = new Map<number, { parent: number; dirid: number; name: string }>();
    for (const it of backrefs) {
      if (parents.size >= MAX_SUBVOLUMES) {
        throw new FormatError('btrfs/too-many-subvolumes', 'more subvolumes than the reader allows', {
          data: { expected: MAX_SUBVOLUMES },
        });
      }
      // struct btrfs_root_ref: dirid u64 @0, sequence u64 @8, name_len u16 @16, name @18.
      const d = it.data;
      const dv = new ByteView(d, `btrfs root ref of subvolume ${it.key.objectid}`);
      const nameLen = dv.u16le(16);
      if (d.length < 18 + nameLen)
        throw new FormatError('btrfs/bad-root-ref', 'root backref is truncated', {
          data: { subvolume: String(it.key.objectid) },
        });
      parents.set(Number(it.key.objectid), {
        parent: Number(it.key.offset),
        dirid: dv.u64leNumber(0),
        name: dv.utf8(18, nameLen),
      });
    }
    const paths = new Map<number, string>([[FS_TREE_OBJECTID, '']]);
    const resolve = async (id: number, depth: number): Promise<string> => {
      const known = paths.get(id);
      if (known !== undefined) return known;
      const p = parents.get(id);
      if (p === undefined || depth > MAX_PATH_DEPTH) {
        throw new FormatError('btrfs/bad-root-ref', `subvolume ${id} has no path to the top level`, {
          data: { subvolume: id },
        });
      }
      const parentPath = await resolve(p.parent, depth + 1);
      const dirPath = await this.inodePath(p.parent, p.dirid);
      const full = [parentPath, dirPath, p.name].filter((s) => s !== '').join('/');
      paths.set(id, full);
      return full;
    };
    const out: BtrfsSubvolume[] = [{ id: FS_TREE_OBJECTID, path: '', parentId: 0 }];
    for (const [id, p] of [...parents].sort((a, b) => a[0] - b[0])) {
      out.push({ id, path: await resolve(id, 0), parentId: p.parent });
    }
    return out;
  }

  /** Paths of every subvolume (the registry's `SubvolumeLister`). */
  async subvolumePaths(): Promise<readonly string[]> {
    return (await this.listSubvolumes()).map((s) => s.path).filter((p) => p !== '');
  }

  /** The default subvolume id: the `default` DIR_ITEM of the root tree directory (5 when absent). */
  async defaultSubvolumeId(): Promise<number> {
    const name = utf8e.encode('default');
    const items = await this.range(
      this.rootTreeRoot(),
      key(ROOT_TREE_DIR_OBJECTID, KEY_DIR_ITEM, btrfsNameHash(name)),
      key(ROOT_TREE_DIR_OBJECTID, KEY_DIR_ITEM, btrfsNameHash(name)),
    );
    for (const it of items) {
      for (const e of parseDirItems(it.data, 0)) {
        if (Buffer.from(e.name).equals(Buffer.from(name))) return Number(e.location.objectid);
      }
    }
    return FS_TREE_OBJECTID;
  }

  async root(): Promise<FsNode> {
    return this.inodeNode(this.subvolumeId, FIRST_FREE_OBJECTID);
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    const d = this.asDir(dir);
    const bytes = utf8e.encode(name);
    if (bytes.length === 0 || bytes.length > 255) return undefined;
    const h = btrfsNameHash(bytes);
    const items = await this.range(
      await this.treeRoot(d.tree),
      key(d.ino, KEY_DIR_ITEM, h),
      key(d.ino, KEY_DIR_ITEM, h),
    );
    for (const it of items) {
      for (const e of parseDirItems(it.data, d.ino)) {
        if (Buffer.from(e.name).equals(Buffer.from(bytes))) return this.entryNode(d.tree, e.location);
      }
    }
    return undefined;
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    const d = this.asDir(dir);
    const items = await this.range(
      await this.treeRoot(d.tree),
      key(d.ino, KEY_DIR_INDEX, 0),
      key(d.ino, KEY_DIR_INDEX, MAX_U64),
    );
    const out: FsDirEntry[] = [];
    for (const it of items) {
      for (const e of parseDirItems(it.data, d.ino)) {
        const sub = e.location.type === KEY_ROOT_ITEM;
        out.push({
          name: utf8.decode(e.name),
          type: sub ? 'dir' : typeOfFt(e.fileType),
          id: sub
            ? await this.subvolumeEntryId(d.tree, Number(e.location.objectid))
            : `${d.tree}:${e.location.objectid}`,
        });
      }
    }
    return out;
  }

  async node(id: string): Promise<FsNode> {
    const m = /^(\d{1,19}):(\d{1,19})$/.exec(id);
    if (m === null)
      throw new InternalError('btrfs/bad-node-id', `not a btrfs node id: ${id}`, { data: { id } });
    return this.inodeNode(Number(m[1]), Number(m[2]));
  }

  async read(file: FsNode, offset: number, length: number): Promise<Uint8Array> {
    if (file.type === 'dir')
      throw new InternalError('btrfs/is-a-directory', `btrfs node ${file.id} is a directory`, {
        data: { id: file.id },
      });
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new InternalError('btrfs/bad-read', 'bad read range', { data: { offset, length } });
    }
    const f = file as BtrfsNode;
    const end = Math.min(f.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset); // holes and gaps (NO_HOLES) stay zero
    for (const ext of await this.extents(f)) {
      const extEnd = ext.fileOffset + ext.length;
      if (extEnd <= offset || ext.fileOffset >= end) continue;
      if (ext.type === 2 || (ext.type === 1 && ext.diskBytenr === 0)) continue; // prealloc and holes read as zeros
      const from = Math.max(offset, ext.fileOffset);
      const to = Math.min(end, extEnd);
      const data = await this.extentBytes(f, ext, from - ext.fileOffset, to - from);
      out.set(data, from - offset);
    }
    return out;
  }

  async readlink(link: FsNode): Promise<string> {
    if (link.type !== 'symlink')
      throw new InternalError('btrfs/not-a-symlink', `btrfs node ${link.id} is not a symlink`, {
        data: { id: link.id },
      });
    // PATH_MAX: a longer target is corruption.
    if (link.size > 4096)
      throw new FormatError('btrfs/bad-symlink', 'symlink target is too long', {
        data: { id: link.id, actual: link.size },
      });
    return utf8.decode(await this.read({ ...link, type: 'file' } as FsNode, 0, link.size));
  }

  // ---- inodes and directories ----

  private asDir(dir: FsNode): BtrfsNode {
    if (dir.type !== 'dir')
      throw new InternalError('btrfs/not-a-directory', `btrfs node ${dir.id} is not a directory`, {
        data: { id: dir.id },
      });
    return dir as BtrfsNode;
  }

  private async entryNode(tree: number, loc: Key): Promise<FsNode> {
    if (loc.type === KEY_ROOT_ITEM) return this.node(await this.subvolumeEntryId(tree, Number(loc.objectid)));
    if (loc.type !== KEY_INODE_ITEM) {
      throw new FormatError(
        'btrfs/bad-dir-item',
        'directory entry points at neither an inode nor a subvolume',
        {
          data: { tree, expected: KEY_INODE_ITEM, actual: loc.type },
        },
      );
    }
    return this.inodeNode(tree, Number(loc.objectid));
  }

  private async inodeItem(tree: number, ino: number): Promise<InodeItem | undefined> {
    const items = await this.range(
      await this.treeRoot(tree),
      key(ino, KEY_INODE_ITEM, 0),
      key(ino, KEY_INODE_ITEM, 0),
    );
    const it = items[0];
    return it === undefined ? undefined : parseInode(it.data, ino);
  }

  private async inodeNode(tree: number, ino: number): Promise<BtrfsNode> {
    if (!Number.isSafeInteger(tree) || !Number.isSafeInteger(ino)) {
      throw new GuestPathError('guest/ENOENT', `no btrfs node ${tree}:${ino}`, { data: { tree, ino } });
    }
    const inode = await this.inodeItem(tree, ino);
    if (inode === undefined && ino === EMPTY_SUBVOL_DIR_OBJECTID) {
      // A snapshot of a subvolume that held nested subvolumes shows each as an empty directory
      // pointing at inode 2, which has no item: the kernel synthesises it, and so do we.
      return {
        id: `${tree}:${ino}`,
        type: 'dir',
        size: 0,
        mode: 0o40755,
        uid: 0,
        gid: 0,
        nlink: 1,
        tree,
        ino,
      };
    }
    if (inode === undefined) {
      throw new FormatError('btrfs/missing-inode', `inode ${ino} is not in tree ${tree}`, {
        data: { tree, inode: ino },
      });
    }
    return {
      id: `${tree}:${ino}`,
      type: typeOfMode(inode.mode),
      size: (inode.mode & S_IFMT) === S_IFDIR ? 0 : inode.size,
      mode: inode.mode,
      uid: inode.uid,
      gid: inode.gid,
      mtimeMs: inode.mtimeMs,
      nlink: inode.nlink,
      tree,
      ino,
    };
  }

  /**
   * The node a subvolume entry in `tree` leads to: the child's root directory when the root tree
   * has ROOT_REF (tree, child), else (a snapshot taken of a subvolume that held nested ones) the
   * empty placeholder directory, as the kernel's fixup_tree_root_location() decides.
   */
  private async subvolumeEntryId(tree: number, child: number): Promise<string> {
    const refs = await this.range(
      this.rootTreeRoot(),
      key(tree, KEY_ROOT_REF, child),
      key(tree, KEY_ROOT_REF, child),
    );
    return refs.length > 0 ? `${child}:${FIRST_FREE_OBJECTID}` : `${tree}:${EMPTY_SUBVOL_DIR_OBJECTID}`;
  }

  /** Path of a directory inode inside its tree, following INODE_REF items up to the tree's root directory. */
  private async inodePath(tree: number, ino: number): Promise<string> {
    const parts: string[] = [];
    let cur = ino;
    const root = await this.treeRoot(tree);
    for (let depth = 0; cur !== FIRST_FREE_OBJECTID; depth++) {
      if (depth > MAX_PATH_DEPTH)
        throw new FormatError('btrfs/bad-inode-ref', `inode ${ino} of tree ${tree} has no path to the root`, {
          data: { tree, inode: ino },
        });
      const refs = await this.range(root, key(cur, KEY_INODE_REF, 0), key(cur, KEY_INODE_REF, MAX_U64));
      const ref = refs[0];
      // struct btrfs_inode_ref: index u64 @0, name_len u16 @8, name @10.
      if (ref === undefined || ref.data.length < 10) {
        throw new FormatError('btrfs/bad-inode-ref', `inode ${cur} of tree ${tree} has no back reference`, {
          data: { tree, inode: cur },
        });
      }
      const rv = new ByteView(ref.data, `btrfs inode ref of inode ${cur}`);
      const nameLen = rv.u16le(8);
      parts.unshift(rv.utf8(10, nameLen));
      cur = Number(ref.key.offset);
    }
    return parts.join('/');
  }

  private async resolveSubvolume(sel: string | number | undefined): Promise<number> {
    if (sel === undefined) return this.defaultSubvolumeId();
    let id: number | undefined;
    if (typeof sel === 'number') id = sel;
    else {
      const m = /^subvolid=(\d+)$/.exec(sel.trim());
      if (m !== null) id = Number(m[1]);
      else {
        const want = sel.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '/');
        if (want === '') return FS_TREE_OBJECTID;
        const found = (await this.listSubvolumes()).find((s) => s.path === want);
        if (found === undefined)
          throw new GuestPathError('guest/ENOENT', `no btrfs subvolume ${sel}`, { data: { subvolume: sel } });
        return found.id;
      }
    }
    if (id === 0) return this.defaultSubvolumeId(); // subvolid=0 means the default, as for mount
    if (!Number.isSafeInteger(id) || (id !== FS_TREE_OBJECTID && id < FIRST_FREE_OBJECTID)) {
      throw new GuestPathError('guest/ENOENT', `no btrfs subvolume ${sel}`, { data: { subvolume: sel } });
    }
    return id;
  }

  // ---- file data ----

  private extents(f: BtrfsNode): Promise<FileExtent[]> {
    const hit = this.extentCache.get(f.id);
    if (hit !== undefined) return hit;
    const pending = this.loadExtents(f);
    this.extentCache.set(f.id, pending);
    pending.catch(() => this.extentCache.delete(f.id));
    return pending;
  }

  /**
   * EXTENT_DATA items (struct btrfs_file_extent_item): generation u64 @0, ram_bytes @8,
   * compression u8 @16 (0 none, 1 zlib, 2 lzo, 3 zstd), encryption u8 @17, other_encoding u16 @18,
   * type u8 @20 (0 inline, 1 regular, 2 prealloc); inline data from @21; otherwise
   * disk_bytenr @21 (0 = hole), disk_num_bytes @29, offset @37, num_bytes @45.
   */
  private async loadExtents(f: BtrfsNode): Promise<FileExtent[]> {
    const items = await this.range(
      await this.treeRoot(f.tree),
      key(f.ino, KEY_EXTENT_DATA, 0),
      key(f.ino, KEY_EXTENT_DATA, MAX_U64),
    );
    const out: FileExtent[] = [];
    for (const it of items) {
      const d = it.data;
      const dv = new ByteView(d, `btrfs file extent item of inode ${f.ino}`);
      const where = { inode: f.ino, tree: f.tree, fileOffset: String(it.key.offset) };
      if (d.length < 21)
        throw new FormatError('btrfs/bad-extent', 'file extent item is truncated', {
          data: { ...where, actual: d.length },
        });
      const fileOffset = Number(it.key.offset);
      const compression = dv.u8(16);
      const type = dv.u8(20);
      const ramBytes = dv.u64leNumber(8);
      if (dv.u8(17) !== 0 || dv.u16le(18) !== 0) {
        throw new UnsupportedError('btrfs/encrypted-extent', 'encrypted or otherwise encoded file extent', {
          data: where,
        });
      }
      if (compression > 3)
        throw new UnsupportedError('btrfs/unsupported-compression', `compression type ${compression}`, {
          data: { ...where, actual: compression },
        });
      if (type === 0) {
        const inline = d.subarray(21);
        const length = compression === 0 ? inline.length : ramBytes;
        if (!Number.isSafeInteger(length) || length > MAX_DECOMPRESSED_EXTENT) {
          throw new FormatError('btrfs/bad-extent', 'inline extent is too large', {
            data: { ...where, actual: ramBytes },
          });
        }
        out.push({
          fileOffset,
          length,
          compression,
          type,
          inline,
          ramBytes,
          diskBytenr: 0,
          diskNumBytes: 0,
          extentOffset: 0,
        });
        continue;
      }
      if (type !== 1 && type !== 2)
        throw new FormatError('btrfs/bad-extent', `file extent type ${type}`, {
          data: { ...where, actual: type },
        });
      if (d.length < 53)
        throw new FormatError('btrfs/bad-extent', 'file extent item is truncated', {
          data: { ...where, actual: d.length },
        });
      const ext: FileExtent = {
        fileOffset,
        length: dv.u64leNumber(45),
        compression,
        type,
        ramBytes,
        diskBytenr: dv.u64leNumber(21),
        diskNumBytes: dv.u64leNumber(29),
        extentOffset: dv.u64leNumber(37),
      };
      if (
        ![ext.fileOffset, ext.length, ext.diskBytenr, ext.diskNumBytes, ext.extentOffset, ext.ramBytes].every(
          Number.isSafeInteger,
        )
      ) {
        throw new FormatError('btrfs/bad-extent', 'file extent field out of range', { data: where });
      }
      if (
        compression !== 0 &&
        ext.diskBytenr !== 0 &&
        (ext.ramBytes > MAX_DECOMPRESSED_EXTENT ||
          ext.diskNumBytes > MAX_DECOMPRESSED_EXTENT ||
          ext.extentOffset + ext.length > ext.ramBytes)
      ) {
        throw new FormatError('btrfs/bad-extent', 'compressed extent sizes are out of range', {
          data: { ...where, expected: `<= ${MAX_DECOMPRESSED_EXTENT}`, actual: ext.ramBytes },
        });
      }
      out.push(ext);
    }
    return out;
  }

  /** `length` bytes at `rel` within the file range an extent covers. */
  private async extentBytes(f: BtrfsNode, ext: FileExtent, rel: number, length: number): Promise<Uint8Array> {
    if (ext.type === 0) {
      const data =
        ext.compression === 0
          ? (ext.inline as Uint8Array)
          : this.decompress(ext.inline as Uint8Array, ext.compression, ext.ramBytes, f);
      const out = new Uint8Array(length);
      out.set(data.subarray(rel, Math.min(data.length, rel + length)));
      return out;
    }
    if (ext.compression === 0) return this.readLogical(ext.diskBytenr + ext.extentOffset + rel, length);
    const cacheKey = `${ext.diskBytenr}:${ext.compression}`;
    let data = this.decompressedCache.get(cacheKey);
    if (data === undefined) {
      const raw = await this.readLogical(ext.diskBytenr, ext.diskNumBytes);
      data = this.decompress(raw, ext.compression, ext.ramBytes, f);
      this.decompressedCache.set(cacheKey, data);
    }
    const out = new Uint8Array(length);
    const from = ext.extentOffset + rel;
    out.set(data.subarray(from, Math.min(data.length, from + length)));
    return out;
  }

  private decompress(raw: Uint8Array, compression: number, ramBytes: number, f: BtrfsNode): Uint8Array {
    return decompressExtent(raw, compression, ramBytes, this.superblock.sectorSize, {
      inode: f.ino,
      tree: f.tree,
      compression,
    });
  }

  // ---- address translation and trees ----

  private mapLogical(logical: number, length: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    let found: Chunk | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = this.chunks[mid] as Chunk;
      if (logical < c.logical) hi = mid - 1;
      else if (logical >= c.logical + c.length) lo = mid + 1;
      else {
        found = c;
        break;
      }
    }
    if (found === undefined || logical + length > found.logical + found.length) {
      throw new FormatError('btrfs/unmapped', `logical address ${logical} is not in any chunk`, {
        data: { offset: logical, length },
      });
    }
    const striped = BG_RAID0 | BG_RAID10 | BG_RAID5 | BG_RAID6;
    if ((found.type & striped) !== 0 && found.stripes.length > 1) {
      throw new UnsupportedError(
        'btrfs/unsupported-profile',
        'striped or parity chunk profiles (RAID0/10/5/6) are not read',
        {
          data: { offset: logical, type: found.type },
        },
      );
    }
    // single, DUP and RAID1/1C3/1C4: every stripe holds the whole chunk; use one on this device.
    const stripe = found.stripes.find((s) => s.devid === this.superblock.devid);
    if (stripe === undefined) {
      throw new UnsupportedError(
        'btrfs/missing-device',
        `chunk at ${found.logical} has no copy on this device`,
        {
          data: { offset: logical, devid: this.superblock.devid },
        },
      );
    }
    return stripe.offset + (logical - found.logical);
  }

  private readLogical(logical: number, length: number): Promise<Uint8Array> {
    return this.source.read(this.mapLogical(logical, length), length);
  }

  private addChunk(c: Chunk): void {
    const i = this.chunks.findIndex((x) => x.logical >= c.logical);
    if (i >= 0 && this.chunks[i]?.logical === c.logical) return;
    if (i < 0) this.chunks.push(c);
    else this.chunks.splice(i, 0, c);
  }

  private async loadChunkTree(): Promise<void> {
    this.chunks.sort((a, b) => a.logical - b.logical);
    const items = await this.range(
      { bytenr: this.superblock.chunkRoot, level: this.superblock.chunkRootLevel },
      key(0, KEY_CHUNK_ITEM, 0),
      key(MAX_U64, KEY_CHUNK_ITEM, MAX_U64),
      KEY_CHUNK_ITEM,
    );
    if (items.length > MAX_CHUNKS)
      throw new FormatError('btrfs/too-many-chunks', 'chunk tree is too large', {
        data: { actual: items.length },
      });
    for (const it of items) {
      const { chunk } = parseChunk(it.data, 0, Number(it.key.offset), it.data.length);
      this.addChunk(chunk);
    }
  }

  private rootTreeRoot(): TreeRoot {
    return { bytenr: this.superblock.root, level: this.superblock.rootLevel };
  }

  /** A subvolume's tree root from its ROOT_ITEM: bytenr u64 @176, level u8 @238. */
  private treeRoot(id: number): Promise<TreeRoot> {
    const hit = this.rootCache.get(id);
    if (hit !== undefined) return hit;
    const pending = (async () => {
      const items = await this.range(
        this.rootTreeRoot(),
        key(id, KEY_ROOT_ITEM, 0),
        key(id, KEY_ROOT_ITEM, MAX_U64),
      );
      const it = items[0];
      if (it === undefined)
        throw new GuestPathError('guest/ENOENT', `no btrfs subvolume ${id}`, { data: { subvolume: id } });
      if (it.data.length < 239)
        throw new FormatError('btrfs/bad-root-item', 'root item is truncated', {
          data: { subvolume: id, actual: it.data.length },
        });
      const iv = new ByteView(it.data, `btrfs root item of subvolume ${id}`);
      const level = iv.u8(238);
      if (level >= MAX_TREE_LEVEL)
        throw new FormatError('btrfs/bad-root-item', 'root level is out of range', {
          data: { subvolume: id, actual: level },
        });
      return { bytenr: iv.u64leNumber(176), level };
    })();
    this.rootCache.set(id, pending);
    pending.catch(() => this.rootCache.delete(id));
    return pending;
  }

  private readNode(logical: number): Promise<TreeNode> {
    const hit = this.nodeCache.get(logical);
    if (hit !== undefined) return hit;
    const pending = (async () => {
      if (!Number.isSafeInteger(logical) || logical % this.superblock.sectorSize !== 0) {
        throw new FormatError('btrfs/bad-node', `tree node address ${logical} is not aligned`, {
          data: { offset: logical },
        });
      }
      const bytes = await this.readLogical(logical, this.superblock.nodeSize);
      return parseNode(bytes, logical, this.fsidBytes, this.superblock.csumType);
    })();
    this.nodeCache.set(logical, pending);
    pending.catch(() => this.nodeCache.delete(logical));
    return pending;
  }

  /**
   * Items with `min <= key <= max`, in key order, optionally only of one type. The walk checks
   * that each child is one level below its parent (so a pointer cycle cannot recurse), and
   * stops with a typed error after MAX_NODES_PER_QUERY nodes or MAX_ITEMS_PER_QUERY items.
   */
  private async range(root: TreeRoot, min: Key, max: Key, onlyType?: number): Promise<LeafItem[]> {
    const out: LeafItem[] = [];
    let budget = MAX_NODES_PER_QUERY;
    const visit = async (logical: number, expectLevel: number): Promise<void> => {
      if (--budget < 0) {
        throw new FormatError('btrfs/tree-budget', 'tree walk visited too many nodes (a loop or a bomb)', {
          data: { offset: logical, expected: MAX_NODES_PER_QUERY },
        });
      }
      const node = await this.readNode(logical);
      if (node.level !== expectLevel) {
        throw new FormatError('btrfs/bad-node', `tree node at ${logical} has level ${node.level}`, {
          data: { offset: logical, expected: expectLevel, actual: node.level },
        });
      }
      if ('items' in node) {
        for (const it of node.items) {
          if (compareKeys(it.key, min) < 0) continue;
          if (compareKeys(it.key, max) > 0) return;
          if (onlyType !== undefined && it.key.type !== onlyType) continue;
          out.push(it);
          if (out.length > MAX_ITEMS_PER_QUERY) {
            throw new FormatError('btrfs/too-many-items', 'a tree query returned too many items', {
              data: { offset: logical, expected: MAX_ITEMS_PER_QUERY },
            });
          }
        }
        return;
      }
      const ptrs = node.ptrs;
      for (let i = 0; i < ptrs.length; i++) {
        const p = ptrs[i] as (typeof ptrs)[number];
        const next = ptrs[i + 1];
        if (next !== undefined && compareKeys(next.key, min) <= 0) continue;
        if (compareKeys(p.key, max) > 0) return;
        await visit(p.blockptr, expectLevel - 1);
      }
    };
    if (root.level >= MAX_TREE_LEVEL)
      throw new FormatError('btrfs/bad-node', 'tree root level is out of range', {
        data: { offset: root.bytenr, actual: root.level },
      });
    await visit(root.bytenr, root.level);
    return out;
  }
}
