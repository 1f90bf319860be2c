import {
  createGuestTree,
  type FilesystemInfoV2,
  type GuestAccessV2,
  type GuestTreeMount,
  type ImageLayoutV2,
  isImagecheckError,
  type LayoutWarningV2,
  type NodeFileSystem,
  UnsupportedError,
} from '@imagecheck/access';
import type { AssembledGuest, Assembly, GuestMount, OsProvider, OsRoot } from './types.js';

/** Subvolumes looked at per btrfs filesystem when searching for roots (snapshots can be many). */
export const MAX_SUBVOLUMES_PROBED = 64;

/** The layout describes a running system (live backends, the in-memory guest): its mounts are facts. */
export function isRunningSystem(layout: ImageLayoutV2): boolean {
  return layout.filesystems.some((f) => (f.mountpoints?.length ?? 0) > 0);
}

/**
 * Opens filesystems for root finding and assembly, once each per check, and turns the damage a
 * user can do nothing about in this check (a `FormatError` on one filesystem) into a warning, so
 * that one damaged filesystem does not hide the others. Bugs propagate.
 */
export class FilesystemOpener {
  private readonly opened = new Map<string, Promise<NodeFileSystem | undefined>>();
  readonly warnings: LayoutWarningV2[] = [];

  constructor(
    private readonly access: GuestAccessV2,
    private readonly layout: ImageLayoutV2,
  ) {}

  /** The filesystem, or `undefined` when the backend cannot read its type. Damage throws. */
  open(filesystemId: string, subvolume?: string): Promise<NodeFileSystem | undefined> {
    const key = subvolume === undefined ? filesystemId : `${filesystemId}:${subvolume}`;
    let p = this.opened.get(key);
    if (p === undefined) {
      const info = this.layout.filesystems.find((f) => f.id === filesystemId);
      p =
        info !== undefined && !info.readable
          ? Promise.resolve(undefined)
          : this.access
              .openFilesystem(filesystemId, subvolume === undefined ? {} : { subvolume })
              .catch((err: unknown) => {
                if (
                  err instanceof UnsupportedError ||
                  (isImagecheckError(err) && err.code.endsWith('no-filesystem-reader'))
                )
                  return undefined;
                throw err;
              });
      this.opened.set(key, p);
    }
    return p;
  }

  /** Runs `what`, recording a user-facing error as a warning about `where`; bugs propagate. */
  async guarded<T>(where: string, what: () => Promise<T>): Promise<T | undefined> {
    try {
      return await what();
    } catch (err) {
      if (!isImagecheckError(err) || !err.userFacing) throw err;
      this.warnings.push({
        code: err.code,
        message: `${where}: ${err.message}`,
        data: { where, ...err.data },
      });
      return undefined;
    }
  }
}

interface Candidate {
  readonly root: Omit<OsRoot, 'primary'>;
  readonly score: number;
}

function rootId(filesystemId: string, subvolume: string | undefined): string {
  return subvolume === undefined ? filesystemId : `${filesystemId}:${subvolume}`;
}

async function detectOn(
  providers: readonly OsProvider[],
  layout: ImageLayoutV2,
  info: FilesystemInfoV2,
  fs: NodeFileSystem,
  subvolume: string | undefined,
): Promise<Candidate | undefined> {
  const tree = createGuestTree([{ mountpoint: '/', fs }]);
  let best: Candidate | undefined;
  for (const provider of providers) {
    const found = await provider.detect({
      layout,
      filesystem: info,
      tree,
      ...(subvolume === undefined ? {} : { subvolume }),
    });
    if (found === undefined || (best !== undefined && found.score <= best.score)) continue;
    best = {
      root: {
        id: rootId(info.id, subvolume),
        filesystem: info.id,
        ...(subvolume === undefined ? {} : { subvolume }),
        os: provider.os,
        evidence: found.evidence,
      },
      score: found.score,
    };
  }
  return best;
}

/**
 * Finds every OS root: each readable filesystem (and, on btrfs, each subvolume when the top
 * level is not a root) is shown to every provider; the best-scoring candidate, ties broken by
 * layout order, is the primary. On a running system the root is what is mounted at `/`.
 */
export async function findRoots(
  layout: ImageLayoutV2,
  providers: readonly OsProvider[],
  opener: FilesystemOpener,
  access: GuestAccessV2,
): Promise<OsRoot[]> {
  if (isRunningSystem(layout)) {
    const info = layout.filesystems.find((f) => f.mountpoints?.includes('/'));
    if (info === undefined) return [];
    const fs = await opener.guarded(info.id, () => opener.open(info.id));
    const c =
      fs === undefined
        ? undefined
        : await opener.guarded(info.id, () => detectOn(providers, layout, info, fs, undefined));
    return [
      {
        id: info.id,
        filesystem: info.id,
        os: c?.root.os ?? 'unknown',
        evidence: ['mounted at /', ...(c?.root.evidence ?? [])],
        primary: true,
      },
    ];
  }
  const candidates: Candidate[] = [];
  for (const info of layout.filesystems) {
    if (!info.readable) continue;
    const found = await opener.guarded(info.id, async () => {
      const fs = await opener.open(info.id);
      return fs === undefined ? undefined : detectOn(providers, layout, info, fs, undefined);
    });
    if (found !== undefined) {
      candidates.push(found);
      continue;
    }
    if (info.type !== 'btrfs') continue;
    const subvolumes = (await opener.guarded(info.id, () => access.listSubvolumes(info.id))) ?? [];
    for (const sv of subvolumes.slice(0, MAX_SUBVOLUMES_PROBED)) {
      const c = await opener.guarded(rootId(info.id, sv), async () => {
        const fs = await opener.open(info.id, sv);
        return fs === undefined ? undefined : detectOn(providers, layout, info, fs, sv);
      });
      if (c !== undefined) candidates.push(c);
    }
  }
  let best = -1;
  candidates.forEach((c, i) => {
    if (best < 0 || c.score > (candidates[best]?.score ?? 0)) best = i;
  });
  return candidates.map((c, i) => ({ ...c.root, primary: i === best }));
}

/** The guest of a running system: every filesystem where the system has it mounted. */
async function assembleRunning(layout: ImageLayoutV2, opener: FilesystemOpener): Promise<Assembly> {
  const rows: { mountpoint: string; id: string; order: number }[] = [];
  layout.filesystems.forEach((f, i) => {
    for (const m of f.mountpoints ?? []) rows.push({ mountpoint: m, id: f.id, order: i });
  });
  // Parents before children, so /boot is mounted before /boot/efi; otherwise layout order.
  rows.sort((a, b) => a.mountpoint.split('/').length - b.mountpoint.split('/').length || a.order - b.order);
  const table: GuestTreeMount[] = [];
  const mounts: GuestMount[] = [];
  for (const r of rows) {
    const fs = await opener.open(r.id);
    if (fs === undefined) {
      const info = layout.filesystems.find((f) => f.id === r.id);
      mounts.push({ mountpoint: r.mountpoint, reason: `${info?.type ?? 'this'} filesystem cannot be read` });
      continue;
    }
    table.push({ mountpoint: r.mountpoint, fs });
    mounts.push({ mountpoint: r.mountpoint, filesystem: r.id });
  }
  return { table, mounts };
}

/** Assembles the guest of one root with the provider that found it (or the running system's mounts). */
export async function assembleGuest(
  layout: ImageLayoutV2,
  root: OsRoot,
  providers: readonly OsProvider[],
  opener: FilesystemOpener,
  signal?: AbortSignal,
): Promise<AssembledGuest> {
  let assembly: Assembly;
  if (isRunningSystem(layout)) {
    assembly = await assembleRunning(layout, opener);
  } else {
    const rootFs = await opener.open(root.filesystem, root.subvolume);
    if (rootFs === undefined) {
      throw new UnsupportedError(
        'guest/root-unreadable',
        `the root filesystem ${root.filesystem} cannot be read`,
        {
          data: { root: root.id },
        },
      );
    }
    const provider = providers.find((p) => p.os === root.os);
    assembly =
      provider === undefined
        ? {
            table: [{ mountpoint: '/', fs: rootFs }],
            mounts: [{ mountpoint: '/', filesystem: root.filesystem }],
          }
        : await provider.assemble({
            layout,
            root,
            rootFs,
            open: (id, subvolume) => opener.open(id, subvolume),
            ...(signal === undefined ? {} : { signal }),
          });
  }
  const tree = createGuestTree([...assembly.table]);
  return {
    root,
    mounts: assembly.mounts,
    caseSensitive: tree.caseSensitive,
    stat: (p) => tree.stat(p),
    lstat: (p) => tree.lstat(p),
    readdir: (p) => tree.readdir(p),
    readFile: (p, o) => tree.readFile(p, o),
    readlink: (p) => tree.readlink(p),
    realpath: (p) => tree.realpath(p),
  };
}
