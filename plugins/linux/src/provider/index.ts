export {
  assembleGuest,
  findRoots,
  type ListSubvolumes,
  type OpenFilesystem,
  parseRootId,
} from './assemble.js';
export { type FstabEntry, NETWORK_FSTYPES, PSEUDO_FSTYPES, parseFstab } from './fstab.js';
export { type ResolvedSpec, resolveDeviceSpec } from './resolve.js';
