export {
  ByteView,
  capped,
  guidString,
  inRange,
  isZero,
  latin1,
  utf16be,
  utf16le,
  uuidString,
} from './bytes.js';
export {
  type CodecKind,
  type DecompressOptions,
  decodeLz4Block,
  decompress,
  decompressStream,
  decompressSync,
  hasZstd,
  LZ4_LEGACY_BLOCK_SIZE,
  LZ4_LEGACY_MAGIC,
  LZ4_MAX_COMPRESSED_BLOCK,
  lzo1xDecompress,
  MAX_BZIP2_INPUT,
  type StreamCodecKind,
  type StreamOptions,
  type StreamResult,
  type StreamSink,
  type SyncCodecKind,
  type ZlibModule,
  ZSTD_MAGIC,
  zstdFrameLength,
} from './codec/index.js';
export { decompressLznt1, LZNT1_CHUNK_SIZE, MAX_LZNT1_OUTPUT } from './codec/lznt1.js';
export { decompressLzx, LZX_DEFAULT_WINDOW_SIZE, MAX_LZX_OUTPUT } from './codec/lzx.js';
export { decompressXpress, decompressXpressHuffman, MAX_XPRESS_OUTPUT } from './codec/xpress.js';
export { Lru } from './lru.js';
