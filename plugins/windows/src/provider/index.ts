export {
  type DriveLetter,
  driveLetters,
  filesystemOfPartition,
  matchPartition,
  parseIdentity,
  type VolumeIdentity,
} from './mounted-devices.js';
export { windowsOsProvider } from './provider.js';
