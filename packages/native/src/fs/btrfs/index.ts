import type { ByteSource } from '../../block/types.js';
import { BtrfsFileSystem, type BtrfsOpenOptions } from './reader.js';

export { btrfsLzoDecompress, decompressExtent } from './compress.js';
export { btrfsNameHash, crc32c } from './crc32c.js';
export { BTRFS_SUPER_OFFSET, probeBtrfs } from './probe.js';
export {
  BtrfsFileSystem,
  type BtrfsOpenOptions,
  type BtrfsSubvolume,
  MAX_DECOMPRESSED_EXTENT,
  MAX_NODES_PER_QUERY,
} from './reader.js';
export { parseSuperblock, type Superblock } from './structs.js';

/**
 * Opens a btrfs filesystem rooted at one subvolume; undefined when the source holds no btrfs
 * superblock. `subvolume` is a subvolume id, `subvolid=N` (as in fstab), a path below the top
 * level (`subvol=` in fstab: `@`, `root`, `/@/.snapshots/1/snapshot`), or `{ subvolume }`;
 * without it the filesystem's default subvolume is used, as `mount` does.
 */
export function openBtrfs(
  source: ByteSource,
  subvolume?: string | number | BtrfsOpenOptions,
): Promise<BtrfsFileSystem | undefined> {
  const options: BtrfsOpenOptions =
    typeof subvolume === 'object' ? subvolume : subvolume === undefined ? {} : { subvolume };
  return BtrfsFileSystem.open(source, options);
}
