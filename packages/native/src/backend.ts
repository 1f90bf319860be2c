import {
  ACCESS_SPECIFICATION_VERSION,
  type AccessBackendV2,
  type AccessCapabilitiesV2,
  type GuestAccessV2,
  guardNodeFileSystem,
  type ImageLayoutV2,
  InternalError,
  isImagecheckError,
  type LayoutWarningV2,
  type NodeFileSystem,
  type OpenFilesystemOptionsV2,
  type OpenOptionsV2,
  UnsupportedError,
  UsageError,
} from '@imagecheck/access';
import type { ByteSource, SourceStats } from './block/types.js';
import { openContainer } from './container/open.js';
import { BUILTIN_FILESYSTEM_OPENERS, isSubvolumeLister, type SubvolumeOpener } from './fs/registry.js';
import type { FileSystemReader } from './fs/types.js';
import { readLayout } from './layout.js';

/**
 * The native backend: pure TypeScript readers, no system tools, read-only.
 *
 * Layering: `openDisk` turns the image file into the guest-visible disk (a `ByteSource`);
 * `readLayout` finds partitions, LVM volumes and filesystems on it; filesystem contents are read
 * by the opener registered for their type (`fs/registry.ts`, or `filesystemOpeners`). It knows
 * no operating system: finding OS roots and assembling guest trees is the engine's, through the
 * plugins' OS providers.
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

export interface NativeOptions extends OpenOptionsV2 {
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

class NativeAccess implements GuestAccessV2 {
  readonly specificationVersion = ACCESS_SPECIFICATION_VERSION;
  readonly backend = 'native';
  readonly capabilities: AccessCapabilitiesV2;
  private readonly openers: Readonly<Record<string, SubvolumeOpener>>;
  private layoutPromise?: Promise<{ layout: ImageLayoutV2; sources: ReadonlyMap<string, ByteSource> }>;
  private readonly readers = new Map<string, Promise<FileSystemReader | undefined>>();
  private closed = false;
  private readonly signal: AbortSignal | undefined;
  private readonly wrappers = new WeakMap<FileSystemReader, NodeFileSystem>();
  private readonly onAbort = (): void => void this.close().catch(() => undefined);

  constructor(
    readonly imagePath: string,
    private readonly disk: OpenedDisk,
    options: NativeOptions,
  ) {
    this.signal = options.signal;
    // Aborting releases the image file at once; what is pending or comes later rejects with the reason.
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.openers = options.filesystemOpeners ?? BUILTIN_FILESYSTEM_OPENERS;
    const readable = Object.keys(this.openers);
    this.capabilities = {
      layout: true,
      bootFacts: true,
      filesystemTree: readable.length > 0,
      readableFilesystems: readable,
      posixMetadata: true,
    };
  }

  /**
   * The layout. Every readable filesystem is opened here (its superblock read): what the readers
   * learn (a dirty XFS log, ext4 needing journal recovery) belongs in the layout, and a damaged
   * one becomes a layout warning instead of hiding the others. The engine opens them anyway to
   * look for OS roots, and openers are cached, so this costs nothing more.
   */
  private load() {
    this.check();
    this.layoutPromise ??= (async () => {
      const { layout, sources } = await readLayout(this.disk.source, {
        format: this.disk.format,
        details: this.disk.details,
        readableTypes: new Set(Object.keys(this.openers)),
      });
      const warnings: LayoutWarningV2[] = [];
      const filesystems = await Promise.all(
        layout.filesystems.map(async (f) => {
          if (!f.readable) return f;
          try {
            const reader = await this.readerFrom(layout, sources, f.id);
            const details = reader?.info.details;
            return details === undefined ? f : { ...f, details: { ...f.details, ...details } };
          } catch (err) {
            if (!isImagecheckError(err) || !err.userFacing) throw err;
            warnings.push({
              code: err.code,
              message: `${f.id}: ${err.message}`,
              data: { filesystem: f.id, ...err.data },
            });
            return f;
          }
        }),
      );
      return { layout: { ...layout, filesystems, warnings: [...layout.warnings, ...warnings] }, sources };
    })();
    return this.layoutPromise;
  }

  async inspect(): Promise<ImageLayoutV2> {
    return (await this.load()).layout;
  }

  private readerFrom(
    layout: ImageLayoutV2,
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

  async listSubvolumes(filesystemId: string): Promise<readonly string[]> {
    const { layout, sources } = await this.load();
    const fs = await this.readerFrom(layout, sources, filesystemId);
    return fs !== undefined && isSubvolumeLister(fs) ? fs.subvolumePaths() : [];
  }

  async openFilesystem(filesystemId: string, options: OpenFilesystemOptionsV2 = {}): Promise<NodeFileSystem> {
    const { layout, sources } = await this.load();
    const fs = await this.readerFrom(layout, sources, filesystemId, options.subvolume);
    this.check();
    if (fs === undefined) {
      const info = layout.filesystems.find((f) => f.id === filesystemId);
      throw new UnsupportedError(
        'native/no-filesystem-reader',
        `the native backend cannot read ${info?.type ?? 'this'} filesystems (${filesystemId})`,
        { data: { id: filesystemId, type: info?.type } },
      );
    }
    return this.guarded(fs);
  }

  /**
   * The filesystem as callers see it: every call first checks that the image is still open and
   * not aborted, so a reader used after close() fails as the bug it is, whatever it has cached.
   */
  private guarded(fs: FileSystemReader): NodeFileSystem {
    // One wrapper per reader, so opening a filesystem twice still returns the same object.
    const known = this.wrappers.get(fs);
    if (known !== undefined) return known;
    const wrapper = guardNodeFileSystem(fs, () => this.check());
    this.wrappers.set(fs, wrapper);
    return wrapper;
  }

  stats(): Readonly<Record<string, number>> {
    const s = this.disk.stats();
    const lookups = s.cacheHits + s.cacheMisses;
    return { ...s, cacheHitRate: lookups === 0 ? 0 : s.cacheHits / lookups };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.readers.clear();
    await this.disk.close();
  }

  private check(): void {
    if (this.signal?.aborted) throw this.signal.reason;
    // Using an image after close() is a bug in the caller, not something the user can fix.
    if (this.closed)
      throw new InternalError('native/closed', `${this.imagePath} is used after close()`, {
        data: { path: this.imagePath },
      });
  }
}

/** Opens an image with the native readers. `close()` the result when done. */
export async function openNative(path: string, options: NativeOptions = {}): Promise<GuestAccessV2> {
  const open = options.openDisk ?? openContainerDisk;
  options.signal?.throwIfAborted();
  const disk = await open(path, {
    ...(options.allowedBackingDirs ? { allowedBackingDirs: options.allowedBackingDirs } : {}),
  });
  if (options.signal?.aborted) {
    await disk.close();
    throw options.signal.reason;
  }
  return new NativeAccess(path, disk, options);
}

/** The native backend; `defaults` apply to every image it opens. */
export function createNativeBackend(defaults: NativeOptions = {}): AccessBackendV2 {
  return {
    specificationVersion: ACCESS_SPECIFICATION_VERSION,
    name: 'native',
    open: (imagePath, options) => openNative(imagePath, { ...defaults, ...options }),
  };
}

export const nativeBackend: AccessBackendV2 = createNativeBackend();
