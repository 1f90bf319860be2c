import { FormatError, type GuestTreeV2 } from '@imagecheck/sdk';
import { isAbsent } from './guest-files.js';

/**
 * Which services a guest starts at boot, read from the files an init system reads:
 *
 * - systemd (systemd.unit(5), "[Install] section"): `systemctl enable` creates a symlink
 *   `<target>.wants/<unit>` (or `.requires/`) under `/etc/systemd/system`; distributions also
 *   ship such links under `/usr/lib/systemd/system` (`/lib/...` before the /usr merge) for
 *   units that are always on. A unit whose file in `/etc/systemd/system` is a symlink to
 *   `/dev/null` is masked and never starts, whatever its links say. An alias
 *   (`/etc/systemd/system/network.service` → `wicked.service`) enables the unit it points to
 *   when the alias itself is wanted.
 * - SysV init: `/etc/rc<N>.d/S<NN><name>` (Debian) or `/etc/rc.d/rc<N>.d/S<NN><name>` (RHEL),
 *   runlevels 2 to 5.
 * - OpenRC (Alpine): `/etc/runlevels/<level>/<name>`.
 */

/** Unit search directories, in systemd's precedence order (etc first). */
export const SYSTEMD_UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
] as const;

/** `.wants`/`.requires` directories read per unit directory; a real system has a few tens. */
const MAX_WANTS_DIRS = 256;
/** Links read per `.wants` directory. */
const MAX_LINKS_PER_DIR = 4096;
const SYSV_DIRS = ['/etc/rc2.d', '/etc/rc3.d', '/etc/rc5.d', '/etc/rc.d/rc3.d', '/etc/rc.d/rc5.d'];
const OPENRC_LEVELS = ['/etc/runlevels/sysinit', '/etc/runlevels/boot', '/etc/runlevels/default'];

export interface ServiceState {
  /** The unit or script file exists somewhere the init system looks. */
  readonly present: boolean;
  readonly enabled: boolean;
  readonly masked: boolean;
  /** The link or file that enables it (or masks it); null when not enabled. */
  readonly via: string | null;
  /** The unit file (or init script) found, null when none. */
  readonly file: string | null;
}

interface Index {
  /** unit name → first wants/requires link path. */
  readonly wanted: Map<string, string>;
  /** Alias names found in unit dirs: alias → target unit name. */
  readonly aliases: Map<string, string>;
  /** Unit name → path in the first unit dir that has it. */
  readonly unitFiles: Map<string, string>;
  readonly masked: Map<string, string>;
  readonly sysv: Map<string, string>;
  readonly openrc: Map<string, string>;
}

async function list(tree: GuestTreeV2, dir: string): Promise<{ name: string; type: string }[]> {
  try {
    const entries = await tree.readdir(dir);
    if (entries.length > MAX_LINKS_PER_DIR) {
      throw new FormatError('linux/too-many-entries', `${dir} lists ${entries.length} entries`, {
        data: { path: dir, count: entries.length, cap: MAX_LINKS_PER_DIR },
      });
    }
    return entries;
  } catch (err) {
    if (isAbsent(err)) return [];
    throw err;
  }
}

async function linkTarget(tree: GuestTreeV2, path: string): Promise<string | undefined> {
  try {
    return await tree.readlink(path);
  } catch (err) {
    if (isAbsent(err) || (err as { code?: string }).code === 'guest/EINVAL') return undefined;
    throw err;
  }
}

const indexes = new WeakMap<GuestTreeV2, Promise<Index>>();

async function buildIndex(tree: GuestTreeV2): Promise<Index> {
  const wanted = new Map<string, string>();
  const aliases = new Map<string, string>();
  const unitFiles = new Map<string, string>();
  const masked = new Map<string, string>();
  const seenDirs = new Set<string>();
  let wantsDirs = 0;
  for (const dir of SYSTEMD_UNIT_DIRS) {
    // /lib is a symlink to /usr/lib on merged-/usr systems: read each real directory once.
    let real: string;
    try {
      real = await tree.realpath(dir);
    } catch (err) {
      if (isAbsent(err)) continue;
      throw err;
    }
    if (seenDirs.has(real)) continue;
    seenDirs.add(real);
    for (const e of await list(tree, dir)) {
      const path = `${dir}/${e.name}`;
      if (e.type === 'dir' && /\.(wants|requires)$/.test(e.name)) {
        if (++wantsDirs > MAX_WANTS_DIRS) {
          throw new FormatError(
            'linux/too-many-wants-dirs',
            `more than ${MAX_WANTS_DIRS} .wants directories`,
            {
              data: { path: dir, cap: MAX_WANTS_DIRS },
            },
          );
        }
        for (const l of await list(tree, path))
          if (!wanted.has(l.name)) wanted.set(l.name, `${path}/${l.name}`);
        continue;
      }
      if (!/\.(service|socket|target|timer|path|mount)$/.test(e.name)) continue;
      // Masks and the aliases `systemctl enable` makes live in /etc (and /run); a distribution's
      // own aliases under /usr/lib are only read when nothing else names the unit, which saves a
      // readlink per link on a directory of hundreds.
      if (e.type === 'symlink' && (dir.startsWith('/etc/') || dir.startsWith('/run/'))) {
        const t = await linkTarget(tree, path);
        if (t === '/dev/null') {
          if (!masked.has(e.name) && !unitFiles.has(e.name)) masked.set(e.name, path);
          continue;
        }
        const base = t?.split('/').pop();
        if (base !== undefined && base !== e.name && !aliases.has(e.name)) aliases.set(e.name, base);
      }
      if (!unitFiles.has(e.name) && !masked.has(e.name)) unitFiles.set(e.name, path);
    }
  }
  const sysv = new Map<string, string>();
  for (const dir of SYSV_DIRS) {
    for (const e of await list(tree, dir)) {
      const m = /^S\d\d(.+)$/.exec(e.name);
      if (m?.[1] !== undefined && !sysv.has(m[1])) sysv.set(m[1], `${dir}/${e.name}`);
    }
  }
  const openrc = new Map<string, string>();
  for (const dir of OPENRC_LEVELS) {
    for (const e of await list(tree, dir)) if (!openrc.has(e.name)) openrc.set(e.name, `${dir}/${e.name}`);
  }
  return { wanted, aliases, unitFiles, masked, sysv, openrc };
}

function indexOf(tree: GuestTreeV2): Promise<Index> {
  let p = indexes.get(tree);
  if (p === undefined) {
    p = buildIndex(tree);
    indexes.set(tree, p);
  }
  return p;
}

/**
 * Whether a systemd unit (`networking.service`) is enabled, falling back to a SysV or OpenRC
 * script of `initName` (default: the unit name without its suffix).
 */
export async function serviceState(
  tree: GuestTreeV2,
  unit: string,
  initName?: string,
): Promise<ServiceState> {
  const idx = await indexOf(tree);
  const mask = idx.masked.get(unit);
  const file = idx.unitFiles.get(unit) ?? null;
  if (mask !== undefined) return { present: file !== null, enabled: false, masked: true, via: mask, file };
  let via = idx.wanted.get(unit);
  if (via === undefined) {
    for (const [alias, target] of idx.aliases) {
      if (target === unit && idx.wanted.has(alias)) {
        via = idx.unitFiles.get(alias);
        break;
      }
    }
  }
  if (via !== undefined) return { present: true, enabled: true, masked: false, via, file };
  const name = initName ?? unit.replace(/\.[a-z]+$/, '');
  const rc = idx.sysv.get(name) ?? idx.openrc.get(name);
  if (rc !== undefined) return { present: true, enabled: true, masked: false, via: rc, file: file ?? rc };
  return { present: file !== null, enabled: false, masked: false, via: null, file };
}

/** Whether the guest boots with systemd (a unit directory with units in it). */
export async function hasSystemd(tree: GuestTreeV2): Promise<boolean> {
  const idx = await indexOf(tree);
  return idx.unitFiles.size > 0 || idx.wanted.size > 0;
}

/**
 * Whether the guest says anything about what starts at boot: systemd units, SysV rc links or
 * OpenRC runlevels. A stripped tree (a container export, a minimal sample) says nothing, and then
 * configuration that is present has to be assumed in use.
 */
export async function hasInitSystem(tree: GuestTreeV2): Promise<boolean> {
  const idx = await indexOf(tree);
  return idx.unitFiles.size > 0 || idx.wanted.size > 0 || idx.sysv.size > 0 || idx.openrc.size > 0;
}
