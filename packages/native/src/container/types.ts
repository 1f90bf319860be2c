import type { ByteSource, SourceStats } from '../block/index.js';

/** The container formats the native reader opens. */
export type ContainerFormat = 'raw' | 'qcow2' | 'vmdk' | 'vhd' | 'vhdx' | 'vdi';

/**
 * An opened disk image: `source` is the virtual disk (its `size` is the virtual size), whatever
 * the container. Close it when done; every host file it opened (backing files, extents) closes too.
 */
export interface OpenedContainer {
  format: ContainerFormat;
  /** The guest-visible disk, read lazily through the container's mapping. */
  source: ByteSource;
  /** Format facts: sub-format, cluster/grain/block size, backing chain, compression, sector sizes. */
  details: Record<string, unknown>;
  /** Counters summed over every host file this container opened. */
  stats(): SourceStats;
  close(): Promise<void>;
}

export interface OpenContainerOptions {
  /**
   * Folders, besides the image's own folder, that backing files, parent disks and VMDK extents
   * may resolve into (the CLI flag `--allow-backing-dir DIR`). Anything else is refused.
   */
  allowedBackingDirs?: readonly string[];
}

/** What a format's probe recognised: the format and any sub-format hint gathered while probing. */
export interface ProbeMatch {
  format: ContainerFormat;
}

/**
 * A container format: `probe` returns undefined for "not mine" and throws a typed error for a
 * recognised but unsupported variant; `open` builds the virtual disk over the host file.
 */
export interface ContainerDriver {
  readonly format: ContainerFormat;
  probe(file: ByteSource): Promise<ProbeMatch | undefined>;
  open(file: HostFile, ctx: OpenContext): Promise<OpenedLayer>;
}

/** A host file as a container sees it: its bytes and where it lives (to resolve relative links). */
export interface HostFile {
  source: ByteSource;
  /** Absolute path of the file on the host. */
  path: string;
}

/** The result of opening one layer: the virtual disk and its details. */
export interface OpenedLayer {
  source: ByteSource;
  details: Record<string, unknown>;
}

/**
 * Services a driver gets while opening: confined resolution and opening of linked files
 * (backing files, parents, extents), with the chain depth budget already accounted for.
 */
export interface OpenContext {
  /**
   * Resolves `name` (as stored in the image: relative to `from`'s folder, or absolute) and checks it
   * lies inside an allowed folder. Throws `UsageError` naming the path and `allowedBackingDirs`.
   */
  resolveLinked(from: HostFile, name: string, role: string): Promise<string>;
  /** Opens a linked host file (an extent): no probing, just bytes. */
  openFile(path: string): Promise<HostFile>;
  /**
   * Opens a linked image (a backing file or parent disk) as a whole container, probing its format
   * by content (or forcing `format` when the child names it), one level deeper in the chain.
   */
  openImage(
    path: string,
    role: string,
    format?: ContainerFormat,
  ): Promise<OpenedLayer & { format: ContainerFormat }>;
}
