import { GuestPathError, isUnresolvable, UsageError } from './errors.js';
import type { FsNode, NodeFileSystem } from './node-fs.js';
import type { GuestDirentV2, GuestFileTypeV2, GuestStatV2, GuestTreeV2, ReadFileOptionsV2 } from './v2.js';

/**
 * The guest path resolver every backend shares: `GuestTreeV2` over node-level filesystems.
 *
 * Filesystem readers (`NodeFileSystem`) only look names up in directories; this module owns
 * everything path-shaped, so that each backend confines paths the same way:
 *
 * - Paths are absolute and `/`-separated; a relative path or one containing NUL is `guest/EINVAL`.
 * - Components are walked one by one. `.` stays; `..` goes to the parent of the directory reached
 *   so far (the physical parent, as the kernel does after a symlink), `..` at the guest root stays
 *   at the root, and `..` from the root of a mounted filesystem goes to the directory above its
 *   mount point in the parent filesystem.
 * - Symlinks are followed in every component (`stat`, `readFile`, `readdir`, `realpath`) or every
 *   component but the last (`lstat`, `readlink`). An absolute target restarts at the GUEST root,
 *   never the host's. More than 40 symlinks in one resolution (Linux `MAXSYMLINKS`) is `guest/ELOOP`.
 * - Mounts: a mount at `/boot` shadows whatever `/boot` is in the parent filesystem. Mount points
 *   are matched against the canonical (symlink-free) path being walked, so along any path the
 *   deepest mount wins, which is the longest mountpoint prefix. Two mounts at one path: the later in
 *   the list wins, as the last `mount` on a Linux mount point is the visible one.
 * - A mount point that does not exist as a directory in the parent filesystem (nor its ancestors)
 *   still works here, unlike `mount(2)`: systemd creates missing mount point directories before
 *   mounting fstab entries, so on a booted guest they exist. Such directories appear as synthetic,
 *   empty, root-owned `0o40755` directories, and are listed by `readdir` of their parent.
 * - On a filesystem with `caseSensitive: false`, a name the exact lookup misses is searched with a
 *   `readdir` scan comparing upper-cased names (first match in directory order); `realpath`
 *   returns the stored spelling.
 */

/** One filesystem placed in the guest tree. `mountpoint` is an absolute guest path; `/` is the root. */
export interface GuestTreeMount {
  readonly mountpoint: string;
  readonly fs: NodeFileSystem;
}

export interface GuestTreeOptions {
  /**
   * `caseSensitive` of the tree as a whole (`GuestTreeV2.caseSensitive`); default: that of the
   * filesystem mounted at `/`. Each lookup still uses the case rule of the filesystem it is in.
   */
  readonly caseSensitive?: boolean;
  /** Default `maxBytes` of `readFile`; default 64 MiB. */
  readonly maxReadBytes?: number;
}

/** Linux `MAXSYMLINKS` (include/linux/namei.h): symlinks followed in one path resolution. */
export const MAX_SYMLINKS = 40;
/** Linux `PATH_MAX`: longest path (or symlink target) accepted, in UTF-16 code units. */
export const MAX_GUEST_PATH_LENGTH = 4096;
/** Default refusal size of `readFile` (the contract's 64 MiB). */
export const DEFAULT_MAX_READ_BYTES = 64 * 1024 * 1024;
/**
 * Components walked in one resolution. Every symlink adds at most PATH_MAX/2 components and at most
 * 40 are followed, so a walk is bounded anyway; this names the bound.
 */
const MAX_COMPONENTS_WALKED = (MAX_SYMLINKS + 1) * (MAX_GUEST_PATH_LENGTH / 2 + 1);

interface MountRecord {
  readonly path: string;
  readonly fs: NodeFileSystem;
}

/** Where a walk stands: a node of a mounted filesystem, or a synthetic directory above a mount point. */
type Location =
  | { readonly kind: 'node'; readonly mount: MountRecord; readonly node: FsNode }
  | { readonly kind: 'virtual' };

interface Step {
  /** Canonical name of this component (stored spelling); '' for the root. */
  readonly name: string;
  /** Canonical guest path up to and including this component. */
  readonly path: string;
  readonly loc: Location;
  /**
   * Found by a reader's own lookup on a case-insensitive filesystem, which may match another
   * spelling than the stored one; `realpath` looks the stored one up (only it needs it).
   */
  readonly unverified?: boolean;
}

const VIRTUAL_STAT: GuestStatV2 = { type: 'dir', size: 0, mode: 0o40755, uid: 0, gid: 0 };

export function pathError(
  code: string,
  message: string,
  path: string,
  extra: Record<string, unknown> = {},
): GuestPathError {
  return new GuestPathError(code, message, { data: { path, ...extra } });
}

/** Splits a guest path into components after validating it; throws `guest/EINVAL`. */
export function splitGuestPath(path: unknown): string[] {
  if (typeof path !== 'string') throw pathError('guest/EINVAL', 'guest path must be a string', String(path));
  if (!path.startsWith('/')) throw pathError('guest/EINVAL', `guest path must be absolute: ${path}`, path);
  if (path.includes('\0')) throw pathError('guest/EINVAL', 'guest path contains NUL', path);
  if (path.length > MAX_GUEST_PATH_LENGTH) {
    throw pathError('guest/EINVAL', `guest path longer than ${MAX_GUEST_PATH_LENGTH}`, path.slice(0, 256), {
      length: path.length,
    });
  }
  return path.split('/');
}

/** Lexically normalises a mount point (`/boot/efi/` → `/boot/efi`); it must be absolute, without `..`. */
function normaliseMountpoint(mountpoint: string): string {
  const parts = splitGuestPath(mountpoint).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new UsageError('guest/bad-mountpoint', `mount point may not contain '..': ${mountpoint}`, {
      data: { mountpoint },
    });
  }
  return `/${parts.join('/')}`;
}

/** Joins a guest directory path and one name. */
export function joinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

function fold(name: string): string {
  return name.toUpperCase();
}

function statOf(loc: Location): GuestStatV2 {
  if (loc.kind === 'virtual') return VIRTUAL_STAT;
  const n = loc.node;
  const ino = /^\d+$/.test(n.id) ? Number(n.id) : undefined;
  return {
    type: n.type,
    size: n.size,
    mode: n.mode,
    uid: n.uid,
    gid: n.gid,
    ...(n.mtimeMs === undefined ? {} : { mtimeMs: n.mtimeMs }),
    ...(ino === undefined || !Number.isSafeInteger(ino) ? {} : { ino }),
    ...(n.nlink === undefined ? {} : { nlink: n.nlink }),
  };
}

function typeOf(loc: Location): GuestFileTypeV2 {
  return loc.kind === 'virtual' ? 'dir' : loc.node.type;
}

function checkNonNegativeInteger(value: number | undefined, field: string, path: string): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    throw pathError('guest/EINVAL', `readFile ${field} must be a non-negative integer`, path, {
      [field]: value,
    });
  }
}

/**
 * Builds a read-only `GuestTreeV2` from filesystems mounted at guest paths (see the module comment
 * for the resolution rules). With no mount at `/`, the root is a synthetic empty directory.
 */
export function createGuestTree(
  mounts: readonly GuestTreeMount[],
  options: GuestTreeOptions = {},
): GuestTreeV2 {
  const byPath = new Map<string, MountRecord>();
  // Mount point → canonical names of the directories above it, for synthetic directories and readdir.
  const ancestors = new Set<string>();
  const childrenOf = new Map<string, Set<string>>();
  for (const m of mounts) {
    const path = normaliseMountpoint(m.mountpoint);
    byPath.set(path, { path, fs: m.fs });
    const parts = path.split('/').filter((p) => p !== '');
    let cur = '/';
    for (const part of parts) {
      let kids = childrenOf.get(cur);
      if (kids === undefined) {
        kids = new Set();
        childrenOf.set(cur, kids);
      }
      kids.add(part);
      cur = joinPath(cur, part);
      ancestors.add(cur);
    }
  }
  // Mount points folded, for lookups made through a case-insensitive parent filesystem.
  const byFoldedPath = new Map<string, MountRecord>();
  for (const [path, rec] of byPath) byFoldedPath.set(fold(path), rec);

  const rootMount = byPath.get('/');
  const caseSensitive = options.caseSensitive ?? rootMount?.fs.caseSensitive ?? true;
  const maxReadBytes = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;

  async function mountLocation(rec: MountRecord): Promise<Location> {
    return { kind: 'node', mount: rec, node: await rec.fs.root() };
  }

  async function rootStep(): Promise<Step> {
    return {
      name: '',
      path: '/',
      loc: rootMount === undefined ? { kind: 'virtual' } : await mountLocation(rootMount),
    };
  }

  function pathOf(stack: readonly Step[]): string {
    return (stack[stack.length - 1] as Step).path;
  }

  /** Looks one name up in a directory location, honouring mounts and case rules; undefined when absent. */
  async function lookupChild(dir: Location, dirPath: string, name: string): Promise<Step | undefined> {
    const childPath = joinPath(dirPath, name);
    const parentInsensitive = dir.kind === 'node' && !dir.mount.fs.caseSensitive;
    const mounted =
      byPath.get(childPath) ?? (parentInsensitive ? byFoldedPath.get(fold(childPath)) : undefined);
    if (mounted !== undefined) {
      return {
        name: mounted.path.slice(mounted.path.lastIndexOf('/') + 1),
        path: mounted.path,
        loc: await mountLocation(mounted),
      };
    }
    if (dir.kind === 'node') {
      const { fs } = dir.mount;
      const exact = await fs.lookup(dir.node, name);
      if (exact !== undefined) {
        return {
          name,
          path: childPath,
          loc: { kind: 'node', mount: dir.mount, node: exact },
          ...(fs.caseSensitive ? {} : { unverified: true }),
        };
      }
      if (!fs.caseSensitive) {
        const wanted = fold(name);
        for (const entry of await fs.readdir(dir.node)) {
          if (fold(entry.name) !== wanted) continue;
          const node = await fs.lookup(dir.node, entry.name);
          if (node !== undefined) {
            return {
              name: entry.name,
              path: joinPath(dirPath, entry.name),
              loc: { kind: 'node', mount: dir.mount, node },
            };
          }
        }
      }
    }
    if (ancestors.has(childPath)) return { name, path: childPath, loc: { kind: 'virtual' } };
    return undefined;
  }

  /**
   * Resolves `path` to the stack of canonical steps from the root. `followLast` follows a symlink in
   * the final component; a trailing `/` or `/.` always does, as in POSIX.
   */
  async function resolve(path: string, followLast: boolean): Promise<Step[]> {
    const pending = splitGuestPath(path).reverse();
    const stack: Step[] = [await rootStep()];
    let links = 0;
    let walked = 0;
    while (pending.length > 0) {
      const comp = pending.pop() as string;
      if (++walked > MAX_COMPONENTS_WALKED) {
        throw pathError('guest/ELOOP', 'too many path components in one resolution', path, { walked });
      }
      const cur = stack[stack.length - 1] as Step;
      if (typeOf(cur.loc) !== 'dir') {
        throw pathError('guest/ENOTDIR', `not a directory: ${pathOf(stack)}`, path, {
          component: pathOf(stack),
        });
      }
      if (comp === '' || comp === '.') continue;
      if (comp === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const child = await lookupChild(cur.loc, pathOf(stack), comp);
      if (child === undefined) {
        throw pathError('guest/ENOENT', `no such file or directory: ${joinPath(pathOf(stack), comp)}`, path, {
          component: joinPath(pathOf(stack), comp),
        });
      }
      const isLast = pending.length === 0;
      if (child.loc.kind === 'node' && child.loc.node.type === 'symlink' && (!isLast || followLast)) {
        if (++links > MAX_SYMLINKS) {
          throw pathError('guest/ELOOP', `more than ${MAX_SYMLINKS} symbolic links in one resolution`, path, {
            links,
          });
        }
        const target = await child.loc.mount.fs.readlink(child.loc.node);
        if (target === '')
          throw pathError('guest/ENOENT', 'empty symlink target', path, {
            link: joinPath(pathOf(stack), comp),
          });
        if (target.includes('\0') || target.length > MAX_GUEST_PATH_LENGTH) {
          throw pathError('guest/EINVAL', 'symlink target contains NUL or is too long', path, {
            link: joinPath(pathOf(stack), comp),
            length: target.length,
          });
        }
        // An absolute target restarts at the guest root; a relative one continues from the link's directory.
        if (target.startsWith('/')) stack.splice(1);
        const parts = target.split('/');
        for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i] as string);
        continue;
      }
      stack.push(child);
    }
    return stack;
  }

  async function resolveLoc(path: string, followLast: boolean): Promise<Location> {
    const stack = await resolve(path, followLast);
    return (stack[stack.length - 1] as Step).loc;
  }

  return {
    caseSensitive,

    async stat(path) {
      return statOf(await resolveLoc(path, true));
    },

    async lstat(path) {
      return statOf(await resolveLoc(path, false));
    },

    async readdir(path) {
      const stack = await resolve(path, true);
      const loc = (stack[stack.length - 1] as Step).loc;
      if (typeOf(loc) !== 'dir') throw pathError('guest/ENOTDIR', `not a directory: ${path}`, path);
      const dirPath = pathOf(stack);
      const out: GuestDirentV2[] = [];
      const index = new Map<string, number>();
      if (loc.kind === 'node') {
        for (const e of await loc.mount.fs.readdir(loc.node)) {
          index.set(e.name, out.length);
          out.push({ name: e.name, type: e.type });
        }
      }
      // Mount points below this directory shadow (or add) entries, always as directories.
      for (const name of childrenOf.get(dirPath) ?? []) {
        const at = index.get(name);
        if (at === undefined) out.push({ name, type: 'dir' });
        else out[at] = { name, type: 'dir' };
      }
      return out;
    },

    async readFile(path, opts: ReadFileOptionsV2 = {}) {
      checkNonNegativeInteger(opts.offset, 'offset', path);
      checkNonNegativeInteger(opts.length, 'length', path);
      checkNonNegativeInteger(opts.maxBytes, 'maxBytes', path);
      const loc = await resolveLoc(path, true);
      const type = typeOf(loc);
      if (type === 'dir') throw pathError('guest/EISDIR', `is a directory: ${path}`, path);
      if (loc.kind !== 'node' || type !== 'file') {
        throw pathError('guest/EINVAL', `not a regular file: ${path}`, path, { type });
      }
      const size = loc.node.size;
      const offset = opts.offset ?? 0;
      const available = Math.max(0, size - offset);
      const want = Math.min(opts.length ?? available, available);
      const cap = opts.maxBytes ?? maxReadBytes;
      if (want > cap) {
        throw pathError('guest/EFBIG', `read of ${want} bytes exceeds the ${cap}-byte cap: ${path}`, path, {
          size,
          requested: want,
          maxBytes: cap,
        });
      }
      if (want === 0) return new Uint8Array(0);
      const data = await loc.mount.fs.read(loc.node, offset, want);
      return data.length > want ? data.subarray(0, want) : data;
    },

    async readlink(path) {
      const loc = await resolveLoc(path, false);
      if (loc.kind !== 'node' || loc.node.type !== 'symlink') {
        throw pathError('guest/EINVAL', `not a symbolic link: ${path}`, path);
      }
      return loc.mount.fs.readlink(loc.node);
    },

    async realpath(path) {
      const stack = await resolve(path, true);
      if (!stack.some((step) => step.unverified === true)) return pathOf(stack);
      // Readers of case-insensitive filesystems (FAT's short names, NTFS) may find a name under
      // another spelling: the canonical path has the one the directory stores.
      let out = '/';
      for (let i = 1; i < stack.length; i++) {
        const step = stack[i] as Step;
        const parent = (stack[i - 1] as Step).loc;
        let name = step.name;
        if (step.unverified === true && parent.kind === 'node') {
          const entries = await parent.mount.fs.readdir(parent.node);
          if (!entries.some((e) => e.name === name)) {
            name = entries.find((e) => fold(e.name) === fold(name))?.name ?? name;
          }
        }
        out = joinPath(out, name);
      }
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers for plugins and declared facts.

/** Reads a guest file as UTF-8 text (invalid sequences become U+FFFD); `maxBytes` as in `readFile`. */
export async function readText(
  tree: GuestTreeV2,
  path: string,
  options: { maxBytes?: number } = {},
): Promise<string> {
  const bytes = await tree.readFile(
    path,
    options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes },
  );
  return new TextDecoder('utf-8').decode(bytes);
}

/** Whether `path` resolves (following symlinks). Damaged filesystem structures still throw. */
export async function exists(tree: GuestTreeV2, path: string): Promise<boolean> {
  try {
    await tree.stat(path);
    return true;
  } catch (err) {
    if (isUnresolvable(err)) return false;
    throw err;
  }
}
