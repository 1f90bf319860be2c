export { baseBlockChecksum, filetimeToDate } from './base-block.js';
export {
  BIG_DATA_THRESHOLD,
  DB_SEGMENT_SIZE,
  MAX_DB_SEGMENTS,
  MAX_HIVE_SIZE,
  MAX_KEY_DEPTH,
  MAX_LOG_ENTRIES,
  MAX_SECURITY_DESCRIPTOR,
  MAX_SUBKEYS,
  MAX_VALUE_SIZE,
  MAX_VALUES,
} from './constants.js';
export { Hive, type HiveInfo, KeyFlags, type OpenHiveOptions, openHive, RegKey } from './hive.js';
export { marvin32, REGF_LOG_SEED } from './marvin32.js';
export { nameHash, upcaseName } from './names.js';
export type { RecoveryReport } from './recover.js';
export { RegType, RegValue, regTypeName, type ValueStorage } from './value.js';
