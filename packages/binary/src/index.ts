export { ByteView, capped, guidString, latin1, utf16le, uuidString } from './bytes.js';
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
export { Lru } from './lru.js';
