export {
  type DriveLetter,
  driveLetters,
  filesystemOfPartition,
  guidFromBytes,
  matchPartition,
  parseIdentity,
  type VolumeIdentity,
} from './mounted-devices.js';
export { windowsOsProvider } from './provider.js';
