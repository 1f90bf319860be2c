import type { ByteSource } from '../../block/types.js';
import type { FileSystemOpener } from '../types.js';
import { ExfatFileSystem } from './reader.js';

export { probeExfat } from './probe.js';
export { ExfatFileSystem, parseExfatBootSector } from './reader.js';

/** Opens an exFAT volume (`exfat`); undefined when the source does not start with an exFAT boot sector. */
export const openExfat: FileSystemOpener = (source: ByteSource) => ExfatFileSystem.open(source);
