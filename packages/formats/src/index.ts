// One folder per format; each exports its reader from here.
export {
  decodeVersionInfo,
  type FixedFileInfo,
  listResources,
  PE_MACHINES,
  PE_SUBSYSTEMS,
  type PeDataDirectory,
  type PeFormat,
  type PeImage,
  type PeSection,
  type PeVersion,
  probePe,
  type ResourceLeaf,
  RT_VERSION,
  readPe,
  readVersionInfo,
  rvaToOffset,
  type VersionInfo,
  type VersionStringTable,
  type VersionTranslation,
  versionString,
} from './pe/index.js';
export { bytesSource, type RandomAccessSource, readExact } from './source.js';
