import type { GuestFileTypeV2 } from './v2.js';

/**
 * One interface for every filesystem reader (ext2/3/4, XFS, btrfs, FAT, exFAT, NTFS).
 *
 * A reader works on nodes (inodes), not paths: path resolution, symlink following, `..` and mount
 * points live once in the path resolver (`tree.ts`), so every filesystem gets the same
 * confinement rules for free.
 * Native readers are given a `ByteSource` (a partition or LV window), never a file name;
 * the in-memory test guest implements it over a map of files. `createGuestTree()` turns mounts of
 * these into a `GuestTreeV2`.
 */
export interface FsNode {
  /** Filesystem-specific node number (inode number; for btrfs `subvolume:inode`, for FAT the entry position). */
  readonly id: string;
  readonly type: GuestFileTypeV2;
  readonly size: number;
  /** Full st_mode (type bits and permission bits). Readers without POSIX metadata synthesise 0o40755 / 0o100644. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeMs?: number;
  readonly nlink?: number;
}

export interface FsDirEntry {
  readonly name: string;
  readonly type: GuestFileTypeV2;
  /** Node id, when the directory entry carries it (saves a lookup). */
  readonly id?: string;
}

export interface FileSystemInfo {
  /** `ext2`, `ext3`, `ext4`, `xfs`, `btrfs`, `vfat`, `exfat`, `ntfs`. */
  readonly type: string;
  readonly uuid?: string;
  readonly label?: string;
  /** Version and state worth reporting: `needsRecovery`, `logClean`, `features`. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface NodeFileSystem {
  readonly info: FileSystemInfo;
  /** Lookups ignore case when false (FAT, exFAT, NTFS). */
  readonly caseSensitive: boolean;
  /** Owner, group and permission bits are real. */
  readonly posixMetadata: boolean;
  root(): Promise<FsNode>;
  /**
   * Looks `name` up in directory `dir`; `undefined` when absent. A `dir` that is not a directory
   * is the caller's bug (the resolver checks types first): an `InternalError`.
   */
  lookup(dir: FsNode, name: string): Promise<FsNode | undefined>;
  /** Entries other than `.` and `..`; an `InternalError` when `dir` is not a directory. */
  readdir(dir: FsNode): Promise<FsDirEntry[]>;
  /** Node by id, as found in a directory entry. */
  node(id: string): Promise<FsNode>;
  /** File data; reads past the end are short; holes read as zeros. */
  read(file: FsNode, offset: number, length: number): Promise<Uint8Array>;
  /** Symlink target as stored (not resolved). */
  readlink(link: FsNode): Promise<string>;
}

/**
 * `fs` as a backend hands it out: every call first runs `check` (the image is still open, the
 * signal not aborted), so a reader used after close() fails as the bug it is, whatever it has
 * cached. Methods are bound to `fs`, so a class-based reader works as well as a plain object.
 */
export function guardNodeFileSystem(fs: NodeFileSystem, check: () => void): NodeFileSystem {
  const gate = <A extends unknown[], R>(f: (...args: A) => Promise<R>) => {
    const bound = f.bind(fs);
    return (...args: A): Promise<R> => {
      try {
        check();
      } catch (err) {
        return Promise.reject(err);
      }
      return bound(...args);
    };
  };
  return {
    info: fs.info,
    caseSensitive: fs.caseSensitive,
    posixMetadata: fs.posixMetadata,
    root: gate(fs.root),
    lookup: gate(fs.lookup),
    readdir: gate(fs.readdir),
    node: gate(fs.node),
    read: gate(fs.read),
    readlink: gate(fs.readlink),
  };
}
