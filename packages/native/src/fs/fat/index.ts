import type { ByteSource } from '../../block/types.js';
import type { FileSystemOpener } from '../types.js';
import { FatFileSystem } from './reader.js';

export { type FatBpb, formatVolumeId, MAX_CLUSTER_SIZE, parseBpb } from './bpb.js';
export { lfnChecksum } from './dirent.js';
export { MAX_LABEL_SCAN_BYTES, MAX_LABEL_SCAN_CLUSTERS, probeVfat } from './probe.js';
export { FatFileSystem, MAX_DIR_BYTES } from './reader.js';

/** Opens a FAT12/16/32 volume (`vfat`); undefined when the source does not start with a FAT boot sector. */
export const openFat: FileSystemOpener = (source: ByteSource) => FatFileSystem.open(source);
