import {
  ACCESS_SPECIFICATION_VERSION,
  type AccessBackendV1,
  type AccessCapabilitiesV1,
  type AssembledGuestV1,
  createGuestTree,
  type GuestAccessV1,
  type GuestTreeV1,
  type ImageLayoutV1,
  type OpenOptionsV1,
  UnsupportedError,
  UsageError,
} from '@imagecheck/sdk';
import type { ByteSource, SourceStats } from './block/types.js';
import { openContainer } from './container/open.js';
import { BUILTIN_FILESYSTEM_OPENERS, isSubvolumeLister, type SubvolumeOpener } from './fs/registry.js';
import type { FileSystemReader } from './fs/types.js';
import { assembleGuest, findRoots, type OpenFilesystem } from './guest/index.js';
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

export interface NativeOptions extends OpenOptionsV1 {
  /**
   * Filesystem readers by type (`ext4`, `xfs`, `vfat`, ...); default `BUILTIN_FILESYSTEM_OPENERS`.
   * Types absent here are listed in the layout but not readable.
   */
  readonly filesystemOpeners?: Readonly<Record<string, SubvolumeOpener>>;
  /** Replaces the container layer (tests, other containers); default `openContainer`. */
  readonly openDisk?: DiskOpener;
}

/** The container layer: probes the format by content and returns the virtual disk. */
export const openContainerDisk: DiskOpener = (path, options) =>
  openContainer(
    path,
    options.allowedBackingDirs === undefined ? {} : { allowedBackingDirs: options.allowedBackingDirs },
  );

/** Readers kept per opened image and (filesystem, subvolume): opening one reads its superblock. */
const MAX_OPEN_READERS = 256;

class NativeAccess implements GuestAccessV1 {
  readonly specificationVersion = ACCESS_SPECIFICATION_VERSION;
  readonly backend = 'native';
  readonly capabilities: AccessCapabilitiesV1;
  private readonly openers: Readonly<Record<string, SubvolumeOpener>>;
  private layoutPromise?: Promise<{ layout: ImageLayoutV1; sources: ReadonlyMap<string, ByteSource> }>;
  private readonly readers = new Map<string, Promise<FileSystemReader | undefined>>();
  private closed = false;

  constructor(
    readonly imagePath: string,
    private readonly disk: OpenedDisk,
    options: NativeOptions,
  ) {
    this.openers = options.filesystemOpeners ?? BUILTIN_FILESYSTEM_OPENERS;
    const readable = Object.keys(this.openers);
    this.capabilities = {
      layout: true,
      guestTree: readable.length > 0,
      filesystemTree: readable.length > 0,
      readableFilesystems: readable,
      posixMetadata: true,
    };
  }

  /** The layout, with the OS roots the guest layer finds on its readable filesystems. */
  private load() {
    this.check();
    this.layoutPromise ??= (async () => {
      const { layout, sources } = await readLayout(this.disk.source, {
        format: this.disk.format,
        details: this.disk.details,
        readableTypes: new Set(Object.keys(this.openers)),
      });
      const open: OpenFilesystem = (id, subvolume) => this.readerFrom(layout, sources, id, subvolume);
      const { roots, warnings } = await findRoots(layout, open, (id) =>
        this.subvolumesFrom(layout, sources, id),
      );
      // Root finding opened every readable filesystem: what the readers learned (a dirty XFS log,
      // ext4 needing journal recovery) costs nothing more to report.
      const filesystems = await Promise.all(
        layout.filesystems.map(async (f) => {
          const reader = await this.readers.get(f.id)?.catch(() => undefined);
          const details = reader?.info.details;
          return details === undefined ? f : { ...f, details: { ...f.details, ...details } };
        }),
      );
      return {
        layout: { ...layout, filesystems, roots, warnings: [...layout.warnings, ...warnings] },
        sources,
      };
    })();
    return this.layoutPromise;
  }

  async inspect(): Promise<ImageLayoutV1> {
    return (await this.load()).layout;
  }

  private readerFrom(
    layout: ImageLayoutV1,
    sources: ReadonlyMap<string, ByteSource>,
    id: string,
    subvolume?: string,
  ): Promise<FileSystemReader | undefined> {
    const key = subvolume === undefined ? id : `${id}:${subvolume}`;
    const cached = this.readers.get(key);
    if (cached !== undefined) return cached;
    const info = layout.filesystems.find((f) => f.id === id);
    const source = sources.get(id);
    if (info === undefined || source === undefined) {
      throw new UsageError('native/unknown-filesystem', `no filesystem with id ${id} in ${this.imagePath}`, {
        data: { id, known: layout.filesystems.map((f) => f.id) },
      });
    }
    const opener = this.openers[info.type];
    const pending = opener === undefined ? Promise.resolve(undefined) : opener(source, subvolume);
    if (this.readers.size >= MAX_OPEN_READERS) this.readers.clear();
    this.readers.set(key, pending);
    return pending;
  }

  private async subvolumesFrom(
    layout: ImageLayoutV1,
    sources: ReadonlyMap<string, ByteSource>,
    id: string,
  ): Promise<readonly string[]> {
    const fs = await this.readerFrom(layout, sources, id);
    return fs !== undefined && isSubvolumeLister(fs) ? fs.subvolumePaths() : [];
  }

  async openFilesystem(filesystemId: string): Promise<GuestTreeV1> {
    const { layout, sources } = await this.load();
    const fs = await this.readerFrom(layout, sources, filesystemId);
    if (fs === undefined) {
      const info = layout.filesystems.find((f) => f.id === filesystemId);
      throw new UnsupportedError(
        'native/no-filesystem-reader',
        `the native backend cannot read ${info?.type ?? 'this'} filesystems (${filesystemId})`,
        { data: { id: filesystemId, type: info?.type } },
      );
    }
    return createGuestTree([{ mountpoint: '/', fs }]);
  }

  async openRoot(rootId?: string): Promise<AssembledGuestV1> {
    const { layout, sources } = await this.load();
    const root =
      rootId === undefined ? layout.roots.find((r) => r.primary) : layout.roots.find((r) => r.id === rootId);
    if (root === undefined) {
      throw rootId === undefined
        ? new UsageError('native/no-os-root', `no operating system root was found in ${this.imagePath}`, {
            data: { filesystems: layout.filesystems.map((f) => `${f.id}:${f.type}`) },
          })
        : new UsageError('native/unknown-root', `no OS root ${rootId} in ${this.imagePath}`, {
            data: { rootId, known: layout.roots.map((r) => r.id) },
          });
    }
    return assembleGuest(layout, root, (id, subvolume) => this.readerFrom(layout, sources, id, subvolume));
  }

  stats(): Readonly<Record<string, number>> {
    const s = this.disk.stats();
    const lookups = s.cacheHits + s.cacheMisses;
    return { ...s, cacheHitRate: lookups === 0 ? 0 : s.cacheHits / lookups };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readers.clear();
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

/** The native backend; `defaults` apply to every image it opens. */
export function createNativeBackend(defaults: NativeOptions = {}): AccessBackendV1 {
  return {
    specificationVersion: ACCESS_SPECIFICATION_VERSION,
    name: 'native',
    open: (imagePath, options) => openNative(imagePath, { ...defaults, ...options }),
  };
}

export const nativeBackend: AccessBackendV1 = createNativeBackend();
