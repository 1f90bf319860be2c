import {
  type AssembleContext,
  type Assembly,
  type CollectContext,
  createGuestTree,
  type DetectContext,
  exists,
  type FactResult,
  type GuestMount,
  type GuestOs,
  type GuestTreeMount,
  type GuestTreeV2,
  isImagecheckError,
  isUnresolvable,
  type NodeFileSystem,
  type OsProvider,
  readText,
  resolveDeviceSpec,
} from '@imagecheck/sdk';
import { architectureFact } from '../os/architecture.js';
import { osReleaseFact } from '../os/os-release.js';
import { FSTAB_PATH, MAX_FSTAB_BYTES, type ParsedLine, parseFstabOnce } from '../storage/fstab.js';
import { NETWORK_FSTYPES, PSEUDO_FSTYPES } from '../storage/fstypes.js';

/**
 * The Linux OS provider: a Linux root is a filesystem holding any of these files, in order of
 * weight; its guest is assembled from its own `/etc/fstab` the way systemd's fstab generator and
 * mount(8) would at boot.
 */
export const LINUX_ROOT_MARKERS = [
  '/etc/os-release',
  '/usr/lib/os-release',
  '/etc/fstab',
  '/sbin/init',
  '/etc/inittab',
];

/** A damaged or hostile fstab is the Fstab check's business; root finding and assembly carry on without it. */
async function fstabLines(tree: GuestTreeV2): Promise<readonly ParsedLine[] | undefined> {
  try {
    return parseFstabOnce(await readText(tree, FSTAB_PATH, { maxBytes: MAX_FSTAB_BYTES }));
  } catch (err) {
    if (!isImagecheckError(err) || !err.userFacing) throw err;
    return undefined;
  }
}

async function detect(ctx: DetectContext): Promise<{ evidence: string[]; score: number } | undefined> {
  const evidence: string[] = [];
  for (const marker of LINUX_ROOT_MARKERS) {
    try {
      await ctx.tree.lstat(marker);
      evidence.push(marker);
    } catch (err) {
      if (!isUnresolvable(err)) throw err;
    }
  }
  if (evidence.length === 0) return undefined;
  let score = evidence.length;
  // A root whose own fstab mounts "/" from this very filesystem is almost surely the one that boots.
  if (evidence.includes(FSTAB_PATH)) {
    const rootEntry = (await fstabLines(ctx.tree))?.find((e) => e.mountpoint === '/');
    if (
      rootEntry !== undefined &&
      resolveDeviceSpec(ctx.layout, rootEntry.spec).filesystem?.id === ctx.filesystem.id
    )
      score += 10;
  }
  if (await exists(ctx.tree, '/boot')) score += 1;
  return { evidence, score };
}

/**
 * The mountpoint with the symlinks of the filesystems mounted so far resolved, as the kernel
 * resolves it when mounting: with `/boot -> /efi-boot`, an fstab `/boot/efi` lands at `/efi-boot/efi`.
 * A mountpoint that does not exist yet (systemd creates those) keeps its resolved parent.
 */
async function canonicalMountpoint(table: readonly GuestTreeMount[], mountpoint: string): Promise<string> {
  const tree = createGuestTree([...table]);
  const slash = mountpoint.lastIndexOf('/');
  const parent = slash <= 0 ? '/' : mountpoint.slice(0, slash);
  try {
    return await tree.realpath(mountpoint);
  } catch (err) {
    if (!isUnresolvable(err)) throw err;
  }
  try {
    const p = await tree.realpath(parent);
    return p === '/' ? `/${mountpoint.slice(slash + 1)}` : `${p}/${mountpoint.slice(slash + 1)}`;
  } catch (err) {
    if (!isUnresolvable(err)) throw err;
    return mountpoint;
  }
}

/** btrfs `subvol=`/`subvolid=` mount options, as the filesystem opener takes them. */
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
 * with the reason: the Fstab check compares against exactly these.
 */
async function assemble(ctx: AssembleContext): Promise<Assembly> {
  const { layout, root, rootFs } = ctx;
  const mounts: GuestMount[] = [{ mountpoint: '/', filesystem: root.filesystem }];
  const table: { mountpoint: string; fs: NodeFileSystem }[] = [{ mountpoint: '/', fs: rootFs }];
  const entries = (await fstabLines(createGuestTree(table))) ?? [];
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
    const fs = await ctx.open(resolved.filesystem.id, subvolumeOption(e.options));
    if (fs === undefined) {
      mounts.push({ ...base, reason: `no reader for ${resolved.filesystem.type} filesystem` });
      continue;
    }
    table.push({ mountpoint: await canonicalMountpoint(table, e.mountpoint), fs });
    mounts.push({ ...base, filesystem: resolved.filesystem.id });
  }
  // fstab order reads best; "/" (no line when fstab lacks it) stays first.
  mounts.sort((a, b) =>
    a.mountpoint === '/' ? -1 : b.mountpoint === '/' ? 1 : (a.line ?? 0) - (b.line ?? 0),
  );
  return { table, mounts };
}

/** `guest.os` of a Linux root: from linux.osRelease and linux.architecture. */
async function describe(ctx: CollectContext): Promise<FactResult<GuestOs>> {
  const root = ctx.root;
  const rootEvidence = root
    ? [{ kind: 'filesystem' as const, filesystem: root.filesystem, note: root.evidence.join(', ') }]
    : [];
  const rel = await ctx.fact(osReleaseFact);
  const arch = await ctx.fact(architectureFact);
  const architecture = arch.status === 'ok' ? { architecture: arch.value.architecture } : {};
  if (rel.status !== 'ok')
    return { status: 'ok', value: { os: 'linux', ...architecture }, evidence: rootEvidence };
  return {
    status: 'ok',
    value: {
      os: 'linux',
      family: rel.value.family,
      distribution: rel.value.id,
      version: rel.value.versionId,
      ...architecture,
    },
    evidence: [...rel.evidence, ...(arch.status === 'ok' ? arch.evidence : [])],
  };
}

export const linuxOsProvider: OsProvider = { os: 'linux', detect, assemble, describe };
