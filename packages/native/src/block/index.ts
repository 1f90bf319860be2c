export { outOfRange } from './errors.js';
export { DEFAULT_BLOCK_SIZE, DEFAULT_CACHE_BLOCKS, FileSource } from './file-source.js';
export { clampRead, MemorySource, SliceSource } from './slice.js';
export type { ByteSource, SourceStats } from './types.js';
