export type { ByteSource, SourceStats } from './types.js';
export { FileSource, DEFAULT_BLOCK_SIZE, DEFAULT_CACHE_BLOCKS } from './file-source.js';
export { MemorySource, SliceSource, clampRead } from './slice.js';
export { outOfRange } from './errors.js';
