export * from './bytes.js';
export { decompressLznt1, LZNT1_CHUNK_SIZE, MAX_LZNT1_OUTPUT } from './codec/lznt1.js';
export { decompressLzx, LZX_DEFAULT_WINDOW_SIZE, MAX_LZX_OUTPUT } from './codec/lzx.js';
export { decompressXpress, decompressXpressHuffman, MAX_XPRESS_OUTPUT } from './codec/xpress.js';
export * from './lru.js';
