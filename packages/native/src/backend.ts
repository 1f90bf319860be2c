import {
  ACCESS_SPECIFICATION_VERSION,
  type AccessBackendV1,
  type AccessCapabilitiesV1,
  type AssembledGuestV1,
  type GuestAccessV1,
  type GuestTreeV1,
  type ImageLayoutV1,
  type OpenOptionsV1,
  UnsupportedError,
  UsageError,
} from '@imagecheck/sdk';
import type { ByteSource, SourceStats } from './block/types.js';
import { openContainer } from './container/open.js';
import type { FileSystemOpener, FileSystemReader } from './fs/types.js';
import { readLayout } from './layout.js';

/**
 * The native backend: pure TypeScript readers, no system tools, read-only.
 *
 * Layering: `openDisk` turns the image file into the guest-visible disk (a `ByteSource`);
 * `readLayout` finds partitions, LVM volumes and filesystems on it; filesystem contents are read
 * by the `FileSystemOpener`s registered for their type; turning an opened filesystem into a
 * guest tree, and assembling OS roots, are plugged in through `NativeOptions` by the guest layer.
 */

/** The guest-visible disk of an opened image, whatever container held it. */
export interface OpenedDisk {
  readonly format: string;
  readonly source: ByteSource;
  readonly details: Record<string, unknown>;
  stats(): SourceStats;
  close(): Promise<void>;
}

/** Opens an image file into its virtual disk (the container layer's `openContainer` has this shape). */
export type DiskOpener = (
  path: string,
  options: { allowedBackingDirs?: readonly string[] },
) => Promise<OpenedDisk>;

/** Opens the guest tree of one OS root given the layout and the filesystem readers (the guest layer). */
export type RootAssembler = (ctx: {
  layout: ImageLayoutV1;
  openFilesystem(id: string): Promise<FileSystemReader | undefined>;
  rootId?: string;
}) => Promise<AssembledGuestV1>;

export interface NativeOptions extends OpenOptionsV1 {
  /** Filesystem readers by type (`ext4`, `xfs`, `vfat`, ...). Types absent here are listed but not readable. */
  readonly filesystemOpeners?: Readonly<Record<string, FileSystemOpener>>;
  /** Turns a filesystem reader into a guest tree (the SDK's path resolver). Needed by `openFilesystem`. */
  readonly createTree?: (fs: FileSystemReader) => GuestTreeV1;
  /** Finds OS roots and assembles their trees. Needed by `openRoot`. */
  readonly assembleRoot?: RootAssembler;
  /** Replaces the container layer (tests, other containers); default `openContainer`. */
  readonly openDisk?: DiskOpener;
}

/** The container layer: probes the format by content and returns the virtual disk. */
export const openContainerDisk: DiskOpener = (path, options) =>
  openContainer(
    path,
    options.allowedBackingDirs === undefined ? {} : { allowedBackingDirs: options.allowedBackingDirs },
  );

class NativeAccess implements GuestAccessV1 {
  readonly specificationVersion = ACCESS_SPECIFICATION_VERSION;
  readonly backend = 'native';
  readonly capabilities: AccessCapabilitiesV1;
  private layoutPromise?: Promise<{ layout: ImageLayoutV1; sources: ReadonlyMap<string, ByteSource> }>;
  private closed = false;

  constructor(
    readonly imagePath: string,
    private readonly disk: OpenedDisk,
    private readonly options: NativeOptions,
  ) {
    const openers = Object.keys(options.filesystemOpeners ?? {});
    this.capabilities = {
      layout: true,
      guestTree: options.assembleRoot !== undefined && openers.length > 0,
      filesystemTree: options.createTree !== undefined && openers.length > 0,
      readableFilesystems: openers,
      posixMetadata: true,
    };
  }

  private load() {
    this.check();
    this.layoutPromise ??= readLayout(this.disk.source, {
      format: this.disk.format,
      details: this.disk.details,
      readableTypes: new Set(Object.keys(this.options.filesystemOpeners ?? {})),
    });
    return this.layoutPromise;
  }

  async inspect(): Promise<ImageLayoutV1> {
    return (await this.load()).layout;
  }

  private async reader(id: string): Promise<FileSystemReader | undefined> {
    const { layout, sources } = await this.load();
    const info = layout.filesystems.find((f) => f.id === id);
    const source = sources.get(id);
    if (info === undefined || source === undefined) {
      throw new UsageError('native/unknown-filesystem', `no filesystem with id ${id} in ${this.imagePath}`, {
        data: { id, known: layout.filesystems.map((f) => f.id) },
      });
    }
    const opener = this.options.filesystemOpeners?.[info.type];
    if (opener === undefined) return undefined;
    return opener(source);
  }

  async openFilesystem(filesystemId: string): Promise<GuestTreeV1> {
    const fs = await this.reader(filesystemId);
    if (fs === undefined || this.options.createTree === undefined) {
      throw new UnsupportedError(
        'native/no-filesystem-reader',
        `the native backend has no reader for filesystem ${filesystemId} yet; only the layout can be listed`,
        { data: { id: filesystemId } },
      );
    }
    return this.options.createTree(fs);
  }

  async openRoot(rootId?: string): Promise<AssembledGuestV1> {
    const { layout } = await this.load();
    if (
      this.options.assembleRoot === undefined ||
      Object.keys(this.options.filesystemOpeners ?? {}).length === 0
    ) {
      throw new UnsupportedError(
        'native/no-filesystem-reader',
        'the native backend cannot assemble a guest tree yet (no filesystem readers are registered); only the layout can be listed',
        { data: rootId === undefined ? {} : { rootId } },
      );
    }
    return this.options.assembleRoot({
      layout,
      openFilesystem: (id) => this.reader(id),
      ...(rootId === undefined ? {} : { rootId }),
    });
  }

  stats(): Readonly<Record<string, number>> {
    const s = this.disk.stats();
    const lookups = s.cacheHits + s.cacheMisses;
    return { ...s, cacheHitRate: lookups === 0 ? 0 : s.cacheHits / lookups };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.disk.close();
  }

  private check(): void {
    if (this.closed)
      throw new UsageError('native/closed', `${this.imagePath} is closed`, {
        data: { path: this.imagePath },
      });
  }
}

/** Opens an image with the native readers. `close()` the result when done. */
export async function openNative(path: string, options: NativeOptions = {}): Promise<GuestAccessV1> {
  const open = options.openDisk ?? openContainerDisk;
  const disk = await open(path, {
    ...(options.allowedBackingDirs ? { allowedBackingDirs: options.allowedBackingDirs } : {}),
  });
  return new NativeAccess(path, disk, options);
}

/** The native backend with no filesystem readers registered: layout only. */
export function createNativeBackend(defaults: NativeOptions = {}): AccessBackendV1 {
  return {
    specificationVersion: ACCESS_SPECIFICATION_VERSION,
    name: 'native',
    open: (imagePath, options) => openNative(imagePath, { ...defaults, ...options }),
  };
}

export const nativeBackend: AccessBackendV1 = createNativeBackend();
