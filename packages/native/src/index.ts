export {
  createNativeBackend,
  type DiskOpener,
  type NativeOptions,
  nativeBackend,
  type OpenedDisk,
  openContainerDisk,
  openNative,
} from './backend.js';
export * from './block/index.js';
export * from './container/index.js';
export * from './fs/btrfs/index.js';
export * from './fs/exfat/index.js';
export * from './fs/ext/index.js';
export * from './fs/fat/index.js';
export * from './fs/ntfs/index.js';
export {
  BUILTIN_FILESYSTEM_OPENERS,
  isSubvolumeLister,
  type SubvolumeLister,
  type SubvolumeOpener,
} from './fs/registry.js';
export * from './fs/xfs/index.js';
export { type LayoutResult, type ReadLayoutOptions, readLayout } from './layout.js';
export {
  GPT_TYPE_NAMES,
  gptTypeName,
  looksLikeMbr,
  MAX_GPT_ENTRY_ARRAY_BYTES,
  MAX_GPT_ENTRY_SIZE,
  MAX_LOGICAL_PARTITIONS,
  MBR_TYPE_NAMES,
  mbrTypeName,
  type PartitionTable,
  parseGptHeader,
  readGpt,
  readMbr,
  readPartitionTable,
} from './partition/index.js';
export { looksAllZero, PROBES, type ProbeResult, probeFilesystem } from './probe/index.js';
export {
  type FoundPv,
  type LvmLv,
  type LvmScan,
  type LvmVg,
  LvSource,
  MAX_LVM_METADATA_BYTES,
  type PvLabel,
  parseLvmConfig,
  parseVgMetadata,
  type ResolvedLv,
  readMetadataArea,
  readPvLabel,
  scanLvm,
} from './volume/lvm/index.js';
