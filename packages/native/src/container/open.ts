import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { FormatError, UsageError } from '@imagecheck/access';
import { FileSource, type SourceStats } from '../block/index.js';
import { driverFor, probeContainer } from './probe.js';
import type {
  ContainerFormat,
  HostFile,
  OpenContainerOptions,
  OpenContext,
  OpenedContainer,
  OpenedLayer,
} from './types.js';

/** Longest backing/parent chain followed (qemu's own limit is in the same range). */
export const MAX_CHAIN_DEPTH = 16;
/** Host files one container may open (extents of a split VMDK plus its chain). */
export const MAX_HOST_FILES = 4096;

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * One open: the host files it opened (for stats and close), the folders links may resolve into
 * (the top image's folder and `allowedBackingDirs`, as given and as real paths), and the chain.
 */
class Session {
  readonly files: FileSource[] = [];
  private roots: string[] = [];

  constructor(private readonly options: OpenContainerOptions) {}

  async init(topPath: string): Promise<void> {
    const dirs = [dirname(topPath), ...(this.options.allowedBackingDirs ?? []).map((d) => resolve(d))];
    const roots = new Set<string>();
    for (const d of dirs) {
      roots.add(d);
      try {
        roots.add(await realpath(d));
      } catch {
        throw new UsageError('container/allowed-dir-missing', `allowed backing folder ${d} does not exist`, {
          data: { path: d },
        });
      }
    }
    this.roots = [...roots];
  }

  async openFile(path: string): Promise<HostFile> {
    if (this.files.length >= MAX_HOST_FILES) {
      throw new FormatError(
        'container/too-many-files',
        `more than ${MAX_HOST_FILES} host files in one image`,
        {
          data: { cap: MAX_HOST_FILES },
        },
      );
    }
    const source = await FileSource.open(path);
    this.files.push(source);
    return { source, path };
  }

  async resolveLinked(from: HostFile, name: string, role: string): Promise<string> {
    if (name.length === 0 || name.includes('\0')) {
      throw new FormatError('container/bad-linked-name', `${role} name is empty or holds NUL`, {
        data: { role, name },
      });
    }
    const path = isAbsolute(name) ? resolve(name) : resolve(dirname(from.path), name);
    const refuse = (real?: string) =>
      new UsageError(
        'container/link-outside-allowed',
        `${role} ${path}${real !== undefined && real !== path ? ` (really ${real})` : ''} is outside the image's folder; ` +
          'allow its folder with allowedBackingDirs (--allow-backing-dir DIR)',
        {
          data: {
            role,
            name,
            path,
            real,
            allowedDirs: this.roots,
            option: 'allowedBackingDirs',
            flag: '--allow-backing-dir',
          },
        },
      );
    if (!this.roots.some((r) => inside(path, r))) throw refuse();
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      throw new UsageError(
        'container/link-missing',
        `${role} ${path} (named "${name}" in ${from.path}) does not exist`,
        {
          data: { role, name, path, from: from.path },
        },
      );
    }
    // A symlink inside an allowed folder must not lead out of it.
    if (!this.roots.some((r) => inside(real, r))) throw refuse(real);
    return real;
  }

  context(chain: readonly string[]): OpenContext {
    return {
      resolveLinked: (from, name, role) => this.resolveLinked(from, name, role),
      openFile: (path) => this.openFile(path),
      openImage: (path, role, format) => this.openImage(path, role, chain, format),
    };
  }

  async openImage(
    path: string,
    role: string,
    chain: readonly string[],
    format?: ContainerFormat,
  ): Promise<OpenedLayer & { format: ContainerFormat }> {
    if (chain.length >= MAX_CHAIN_DEPTH) {
      throw new FormatError(
        'container/chain-too-long',
        `${role} chain is longer than ${MAX_CHAIN_DEPTH} at ${path}`,
        {
          data: { path, cap: MAX_CHAIN_DEPTH, chain: [...chain] },
        },
      );
    }
    const real = await realpath(path).catch(() => path);
    if (chain.includes(real)) {
      throw new FormatError('container/chain-cycle', `${role} ${path} is already in its own chain`, {
        data: { path, chain: [...chain] },
      });
    }
    const file = await this.openFile(path);
    const driver = format !== undefined ? driverFor(format) : await probeContainer(file.source);
    if (format !== undefined && format !== 'raw' && (await driver.probe(file.source)) === undefined) {
      throw new FormatError('container/format-mismatch', `${role} ${path} is named as ${format} but is not`, {
        data: { path, expected: format },
      });
    }
    const layer = await driver.open(file, this.context([...chain, real]));
    return { ...layer, format: driver.format };
  }

  stats(): SourceStats {
    const s: SourceStats = { reads: 0, bytesRead: 0, cacheHits: 0, cacheMisses: 0 };
    for (const f of this.files) {
      s.reads += f.stats.reads;
      s.bytesRead += f.stats.bytesRead;
      s.cacheHits += f.stats.cacheHits;
      s.cacheMisses += f.stats.cacheMisses;
    }
    return s;
  }

  async close(): Promise<void> {
    const files = this.files.splice(0);
    await Promise.allSettled(files.map((f) => f.close()));
  }
}

/**
 * Opens a disk image of any supported container format, detected by content (see
 * `CONTAINER_DRIVERS` for the order). Backing files, parent disks and extents are followed only
 * inside the image's own folder or `options.allowedBackingDirs`; chains are capped at
 * `MAX_CHAIN_DEPTH`. Nothing is ever written.
 */
export async function openContainer(
  path: string,
  options: OpenContainerOptions = {},
): Promise<OpenedContainer> {
  const top = resolve(path);
  const session = new Session(options);
  try {
    await session.init(top);
    const layer = await session.openImage(top, 'image', []);
    return {
      format: layer.format,
      source: layer.source,
      details: layer.details,
      stats: () => session.stats(),
      close: () => session.close(),
    };
  } catch (err) {
    await session.close();
    throw err;
  }
}
