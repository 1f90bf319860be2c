export {
  MAX_DATA_DIRECTORIES,
  MAX_E_LFANEW,
  MAX_OPTIONAL_HEADER_SIZE,
  MAX_SECTIONS,
  type PeDataDirectory,
  type PeFormat,
  type PeImage,
  type PeSection,
  type PeVersion,
  probePe,
  readPe,
  rvaToOffset,
} from './headers.js';
export { DIRECTORY_NAMES, PE_MACHINES, PE_SUBSYSTEMS, VS_FILE_FLAGS, VS_FILE_TYPES } from './names.js';
export {
  listResources,
  MAX_RESOURCE_DIRECTORY_ENTRIES,
  MAX_RESOURCE_LEAVES,
  type ResourceLeaf,
  RT_VERSION,
} from './resources.js';
export {
  decodeVersionInfo,
  type FixedFileInfo,
  MAX_VERSION_RESOURCE_SIZE,
  readVersionInfo,
  type VersionInfo,
  type VersionStringTable,
  type VersionTranslation,
  versionString,
} from './version.js';
