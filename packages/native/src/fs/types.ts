import type { NodeFileSystem } from '@imagecheck/access';
import type { ByteSource } from '../block/types.js';

export type { FileSystemInfo, FsDirEntry, FsNode } from '@imagecheck/access';

/** A filesystem reader: the access contract's node-level filesystem interface, implemented over a `ByteSource`. */
export type FileSystemReader = NodeFileSystem;

/** Opens a filesystem reader when the bytes hold this filesystem; `undefined` when they do not (wrong magic). */
export type FileSystemOpener = (source: ByteSource) => Promise<FileSystemReader | undefined>;
