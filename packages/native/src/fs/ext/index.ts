/**
 * ext2/ext3/ext4 reader: superblock (metadata_csum verified), 32/64-bit group descriptors with
 * meta_bg and flex_bg, inodes of any size, extent trees and indirect block maps, holes and
 * uninitialised extents, inline data, fast/slow symlinks, linear and htree directories.
 * The journal is not replayed (`info.details.needsRecovery` reports when it would be needed).
 * Names are ext-prefixed because the package barrel re-exports every filesystem.
 */
export { probeExt } from './probe.js';
export { ExtFileSystem, openExt } from './reader.js';
export {
  classifyExt,
  type ExtKind,
  extType,
  parseSuperblock as parseExtSuperblock,
  type Superblock as ExtSuperblock,
} from './superblock.js';
