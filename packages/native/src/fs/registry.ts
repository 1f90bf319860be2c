import type { ByteSource } from '../block/types.js';
import { openBtrfs } from './btrfs/index.js';
import { openExfat } from './exfat/index.js';
import { openExt } from './ext/index.js';
import { openFat } from './fat/index.js';
import { openNtfs } from './ntfs/index.js';
import type { FileSystemReader } from './types.js';
import { openXfs } from './xfs/index.js';

/**
 * Opens a filesystem, optionally one subvolume of it (btrfs: a path below the top level, or
 * `subvolid=N`). Readers of filesystems without subvolumes ignore the argument: an fstab that
 * passes `subvol=` to ext4 gets ext4.
 */
export type SubvolumeOpener = (
  source: ByteSource,
  subvolume?: string,
) => Promise<FileSystemReader | undefined>;

/** A reader that can list its subvolumes (btrfs), for root finding. */
export interface SubvolumeLister {
  subvolumePaths(): Promise<readonly string[]>;
}

export function isSubvolumeLister(fs: FileSystemReader): fs is FileSystemReader & SubvolumeLister {
  return typeof (fs as Partial<SubvolumeLister>).subvolumePaths === 'function';
}

/** Every filesystem type the native backend reads, keyed by the type names the probes report. */
export const BUILTIN_FILESYSTEM_OPENERS: Readonly<Record<string, SubvolumeOpener>> = {
  ext2: openExt,
  ext3: openExt,
  ext4: openExt,
  xfs: openXfs,
  btrfs: (source, subvolume) => openBtrfs(source, subvolume),
  vfat: openFat,
  exfat: openExfat,
  ntfs: openNtfs,
};
