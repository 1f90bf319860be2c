import type {
  AssembledGuestV2,
  FilesystemInfoV2,
  GuestTreeV2,
  ImageLayoutV2,
  LayoutWarningV2,
  MountV2,
  NodeFileSystem,
  OsRootV2,
} from '@imagecheck/access';
import { createGuestTree, isImagecheckError, readText, UnsupportedError } from '@imagecheck/access';
import { NETWORK_FSTYPES, PSEUDO_FSTYPES, parseFstab } from './fstab.js';
import { resolveDeviceSpec } from './resolve.js';

/**
 * Opens one filesystem of the layout for reading, optionally a btrfs subvolume of it (by path, or
 * by id as `subvolid=N`). Returns undefined when no reader handles its type.
 */
export type OpenFilesystem = (
  filesystemId: string,
  subvolume?: string,
) => Promise<NodeFileSystem | undefined>;

/** Lists the btrfs subvolumes of a filesystem (paths relative to the top level), when it is btrfs. */
export type ListSubvolumes = (filesystemId: string) => Promise<readonly string[]>;

/** Subvolumes looked at per btrfs filesystem when searching for roots (snapshots can be many). */
const MAX_SUBVOLUMES_PROBED = 64;
/** Files whose presence marks a Linux root, in order of weight. */
const LINUX_MARKERS = ['/etc/os-release', '/usr/lib/os-release', '/etc/fstab', '/sbin/init', '/etc/inittab'];
const WINDOWS_MARKER = '/Windows/System32/config/SYSTEM';

async function present(tree: GuestTreeV2, path: string): Promise<boolean> {
  try {
    await tree.lstat(path);
    return true;
  } catch (err) {
    if (isImagecheckError(err) && err.code.startsWith('guest/')) return false;
    throw err;
  }
}

interface Candidate {
  root: Omit<OsRootV2, 'primary'>;
  score: number;
}

function rootId(filesystemId: string, subvolume: string | undefined): string {
  return subvolume === undefined ? filesystemId : `${filesystemId}:${subvolume}`;
}

/** Splits a root id back into filesystem id and subvolume. */
export function parseRootId(id: string): { filesystem: string; subvolume?: string } {
  const i = id.indexOf(':');
  return i < 0 ? { filesystem: id } : { filesystem: id.slice(0, i), subvolume: id.slice(i + 1) };
}

async function examine(
  layout: ImageLayoutV2,
  fsInfo: FilesystemInfoV2,
  fs: NodeFileSystem,
  subvolume: string | undefined,
): Promise<Candidate | undefined> {
  const tree = createGuestTree([{ mountpoint: '/', fs }]);
  const evidence: string[] = [];
  for (const marker of LINUX_MARKERS) if (await present(tree, marker)) evidence.push(marker);
  if (evidence.length > 0) {
    let score = evidence.length;
    // A root whose own fstab mounts "/" from this very filesystem is almost surely the one that boots.
    if (evidence.includes('/etc/fstab')) {
      try {
        const entries = parseFstab(await readText(tree, '/etc/fstab', { maxBytes: 1 << 20 }));
        const rootEntry = entries.find((e) => e.mountpoint === '/');
        if (rootEntry !== undefined && resolveDeviceSpec(layout, rootEntry.spec).filesystem === fsInfo.id)
          score += 10;
      } catch (err) {
        if (!isImagecheckError(err)) throw err;
      }
    }
    if (await present(tree, '/boot')) score += 1;
    const id = rootId(fsInfo.id, subvolume);
    return { root: { id, filesystem: fsInfo.id, os: 'linux', evidence }, score };
  }
  if (await present(tree, WINDOWS_MARKER)) {
    return {
      root: {
        id: rootId(fsInfo.id, subvolume),
        filesystem: fsInfo.id,
        os: 'windows',
        evidence: [WINDOWS_MARKER],
      },
      score: 5,
    };
  }
  return undefined;
}

/**
 * Finds every filesystem (and btrfs subvolume) that looks like an OS root and marks the one that
 * would boot as primary: the best-scoring candidate, ties broken by layout order.
 */
export async function findRoots(
  layout: ImageLayoutV2,
  open: OpenFilesystem,
  listSubvolumes?: ListSubvolumes,
): Promise<{ roots: OsRootV2[]; warnings: LayoutWarningV2[] }> {
  const candidates: Candidate[] = [];
  const warnings: LayoutWarningV2[] = [];
  // A damaged filesystem must not hide the others: its error becomes a layout warning.
  const guarded = async <T>(id: string, what: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await what();
    } catch (err) {
      if (!isImagecheckError(err)) throw err;
      warnings.push({
        code: err.code,
        message: `${id}: ${err.message}`,
        data: { filesystem: id, ...err.data },
      });
      return undefined;
    }
  };
  for (const fsInfo of layout.filesystems) {
    if (!fsInfo.readable) continue;
    const found = await guarded(fsInfo.id, async () => {
      const fs = await open(fsInfo.id);
      return fs === undefined ? undefined : examine(layout, fsInfo, fs, undefined);
    });
    if (found !== undefined) {
      candidates.push(found);
      continue;
    }
    if (fsInfo.type === 'btrfs' && listSubvolumes !== undefined) {
      const subvols = (await guarded(fsInfo.id, () => listSubvolumes(fsInfo.id))) ?? [];
      for (const sv of subvols.slice(0, MAX_SUBVOLUMES_PROBED)) {
        const c = await guarded(`${fsInfo.id}:${sv}`, async () => {
          const svFs = await open(fsInfo.id, sv);
          return svFs === undefined ? undefined : examine(layout, fsInfo, svFs, sv);
        });
        if (c !== undefined) candidates.push(c);
      }
    }
  }
  let best = -1;
  candidates.forEach((c, i) => {
    if (best < 0 || c.score > (candidates[best]?.score ?? 0)) best = i;
  });
  return { roots: candidates.map((c, i) => ({ ...c.root, primary: i === best })), warnings };
}

/**
 * The mountpoint with the symlinks of the filesystems mounted so far resolved, as the kernel
 * resolves it when mounting: with `/boot -> /efi-boot`, an fstab `/boot/efi` lands at `/efi-boot/efi`.
 * A mountpoint that does not exist yet (systemd creates those) keeps its resolved parent.
 */
async function canonicalMountpoint(
  table: readonly { mountpoint: string; fs: NodeFileSystem }[],
  mountpoint: string,
): Promise<string> {
  const tree = createGuestTree([...table]);
  const slash = mountpoint.lastIndexOf('/');
  const parent = slash <= 0 ? '/' : mountpoint.slice(0, slash);
  try {
    return await tree.realpath(mountpoint);
  } catch (err) {
    if (!isImagecheckError(err) || !err.code.startsWith('guest/')) throw err;
  }
  try {
    const p = await tree.realpath(parent);
    return p === '/' ? `/${mountpoint.slice(slash + 1)}` : `${p}/${mountpoint.slice(slash + 1)}`;
  } catch (err) {
    if (!isImagecheckError(err) || !err.code.startsWith('guest/')) throw err;
    return mountpoint;
  }
}

function subvolumeOption(options: readonly string[]): string | undefined {
  for (const o of options) {
    if (o.startsWith('subvol=')) return o.slice('subvol='.length).replace(/^\/+/, '');
    if (o.startsWith('subvolid=')) return `subvolid=${o.slice('subvolid='.length)}`;
  }
  return undefined;
}

/**
 * Mounts the guest's other filesystems where its /etc/fstab puts them. Entries that do not
 * resolve, or whose filesystem cannot be read, are left unmounted and reported in `mounts`
 * with the reason: the Fstab check needs exactly these.
 */
export async function assembleGuest(
  layout: ImageLayoutV2,
  root: OsRootV2,
  open: OpenFilesystem,
): Promise<AssembledGuestV2> {
  const { filesystem, subvolume } = parseRootId(root.id);
  const rootFs = await open(filesystem, subvolume);
  if (rootFs === undefined) {
    throw new UnsupportedError(
      'native/root-unreadable',
      `the root filesystem ${filesystem} cannot be read by the native backend`,
      { data: { root: root.id } },
    );
  }
  const mounts: MountV2[] = [{ mountpoint: '/', filesystem }];
  const table: { mountpoint: string; fs: NodeFileSystem }[] = [{ mountpoint: '/', fs: rootFs }];

  if (root.os === 'linux') {
    const rootTree = createGuestTree(table);
    let text: string | undefined;
    try {
      text = await readText(rootTree, '/etc/fstab', { maxBytes: 1 << 20 });
    } catch (err) {
      if (!isImagecheckError(err)) throw err;
    }
    const entries = text === undefined ? [] : parseFstab(text);
    // Parents before children, so /boot is mounted before /boot/efi.
    const ordered = [...entries].sort(
      (a, b) => a.mountpoint.split('/').length - b.mountpoint.split('/').length,
    );
    for (const e of ordered) {
      if (!e.mountpoint.startsWith('/') || e.mountpoint === '/') continue;
      const base = { mountpoint: e.mountpoint, spec: e.spec, line: e.line };
      if (e.fstype === 'swap' || e.mountpoint === 'none') continue;
      if (PSEUDO_FSTYPES.has(e.fstype)) {
        mounts.push({ ...base, reason: `pseudo filesystem ${e.fstype}` });
        continue;
      }
      if (NETWORK_FSTYPES.has(e.fstype)) {
        mounts.push({ ...base, reason: `network filesystem ${e.fstype}` });
        continue;
      }
      if (e.options.includes('bind')) {
        mounts.push({ ...base, reason: 'bind mount' });
        continue;
      }
      const resolved = resolveDeviceSpec(layout, e.spec);
      if (resolved.filesystem === undefined) {
        mounts.push({ ...base, reason: resolved.reason });
        continue;
      }
      const fs = await open(resolved.filesystem, subvolumeOption(e.options));
      if (fs === undefined) {
        const info = layout.filesystems.find((f) => f.id === resolved.filesystem);
        mounts.push({ ...base, reason: `no reader for ${info?.type ?? 'this'} filesystem` });
        continue;
      }
      table.push({ mountpoint: await canonicalMountpoint(table, e.mountpoint), fs });
      mounts.push({ ...base, filesystem: resolved.filesystem });
    }
  }
  const tree = createGuestTree(table);
  return {
    root,
    // fstab order reads best; "/" (no line when fstab lacks it) stays first.
    mounts: mounts.sort((a, b) =>
      a.mountpoint === '/' ? -1 : b.mountpoint === '/' ? 1 : (a.line ?? 0) - (b.line ?? 0),
    ),
    caseSensitive: tree.caseSensitive,
    stat: (p) => tree.stat(p),
    lstat: (p) => tree.lstat(p),
    readdir: (p) => tree.readdir(p),
    readFile: (p, o) => tree.readFile(p, o),
    readlink: (p) => tree.readlink(p),
    realpath: (p) => tree.realpath(p),
  };
}
