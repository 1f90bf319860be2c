/**
 * Container formats of the native reader: `openContainer()` detects the format by content and
 * returns the virtual disk as a `ByteSource`.
 */

export { MAX_CHAIN_DEPTH, MAX_HOST_FILES, openContainer } from './open.js';
export { CONTAINER_DRIVERS, probeContainer } from './probe.js';
export type {
  ContainerDriver,
  ContainerFormat,
  HostFile,
  OpenContainerOptions,
  OpenContext,
  OpenedContainer,
  OpenedLayer,
  ProbeMatch,
} from './types.js';
