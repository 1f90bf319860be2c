import type { ByteSource } from '../../block/types.js';
import type { FileSystemOpener } from '../types.js';
import { NtfsFileSystem } from './reader.js';

export {
  hasNtfsOemId,
  MAX_CLUSTER_SIZE as NTFS_MAX_CLUSTER_SIZE,
  type NtfsBootSector,
  parseBootSector as parseNtfsBootSector,
} from './boot.js';
export type { NtfsCodecs } from './codecs.js';
export { probeNtfs } from './probe.js';
export { NtfsFileSystem, type NtfsNode, type NtfsOpenOptions, type NtfsStreamInfo } from './reader.js';
export { guestLinkPath as ntfsGuestLinkPath } from './reparse.js';
export type { HiberfilState as NtfsHiberfilState, LogFileState as NtfsLogFileState } from './volume.js';

/** Opens an NTFS volume (`ntfs`); undefined when the source does not start with an NTFS boot sector. */
export const openNtfs: FileSystemOpener = (source: ByteSource) => NtfsFileSystem.open(source);
