import {
  exists,
  type GuestDirentV2,
  type GuestPathError,
  type GuestTreeV2,
  isUnresolvable,
  joinPath,
  pathError,
  splitGuestPath,
} from '@imagecheck/access';
import picomatch from 'picomatch';

export interface GlobGuestOptions {
  /** Matches returned at most; one more is `guest/E2BIG`. Default 10 000. */
  readonly maxEntries?: number;
  /** Directory levels below the pattern's literal base a `**` may descend. Default 32. */
  readonly maxDepth?: number;
  /** Directories listed at most in one glob; one more is `guest/E2BIG`. Default 10 000. */
  readonly maxDirectories?: number;
  /** Let `*` and `**` match names starting with `.`; default false, as in a shell. */
  readonly dot?: boolean;
}

const DEFAULT_GLOB_MAX_ENTRIES = 10_000;
const DEFAULT_GLOB_MAX_DEPTH = 32;
const DEFAULT_GLOB_MAX_DIRECTORIES = 10_000;

/**
 * Expands an absolute glob pattern (picomatch syntax, one path segment at a time: a brace or
 * extglob may not span a `/`) against the guest tree, returning matching paths, sorted.
 *
 * Only directories the pattern can reach are listed: literal segments are looked up directly,
 * wildcard segments list one directory, and `**` walks down (not through symlinked directories,
 * like bash's globstar, so a link loop cannot trap it) at most `maxDepth` levels. Symlinks in
 * literal and wildcard segments are followed. A missing or unreadable branch matches nothing.
 * Exceeding `maxEntries` or `maxDirectories` throws `GuestPathError('guest/E2BIG')` (the shell's
 * "argument list too long") rather than silently returning part of the answer.
 */
export async function globGuest(
  tree: GuestTreeV2,
  pattern: string,
  options: GlobGuestOptions = {},
): Promise<string[]> {
  const segments = splitGuestPath(pattern).filter((s) => s !== '');
  const maxEntries = options.maxEntries ?? DEFAULT_GLOB_MAX_ENTRIES;
  const maxDepth = options.maxDepth ?? DEFAULT_GLOB_MAX_DEPTH;
  const maxDirectories = options.maxDirectories ?? DEFAULT_GLOB_MAX_DIRECTORIES;
  const pmOptions = { dot: options.dot ?? false, nocase: !tree.caseSensitive };
  const matchers = segments.map((s) =>
    s === '**' || !picomatch.scan(s).isGlob ? undefined : picomatch(s, pmOptions),
  );
  const results = new Set<string>();
  let directoriesListed = 0;

  function tooBig(what: string, limit: number): GuestPathError {
    return pathError('guest/E2BIG', `glob ${pattern} exceeds ${limit} ${what}`, pattern, { limit });
  }

  async function list(dir: string): Promise<GuestDirentV2[]> {
    if (++directoriesListed > maxDirectories) throw tooBig('directories listed', maxDirectories);
    try {
      return await tree.readdir(dir);
    } catch (err) {
      if (isUnresolvable(err)) return [];
      throw err;
    }
  }

  function add(path: string): void {
    results.add(path);
    if (results.size > maxEntries) throw tooBig('matches', maxEntries);
  }

  async function isDir(path: string): Promise<boolean> {
    try {
      return (await tree.stat(path)).type === 'dir';
    } catch (err) {
      if (isUnresolvable(err)) return false;
      throw err;
    }
  }

  // Visited (directory, segment) pairs: `**/**` or `a/**/b/**` would otherwise revisit a directory.
  const seen = new Set<string>();

  async function walk(dir: string, index: number, depth: number): Promise<void> {
    const key = `${index}\0${dir}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (index === segments.length) {
      add(dir);
      return;
    }
    const segment = segments[index] as string;
    const last = index === segments.length - 1;
    if (segment === '**') {
      // Zero directories, then each real (non-symlink) subdirectory, bounded by maxDepth.
      await walk(dir, index + 1, depth);
      if (depth >= maxDepth) return;
      for (const e of await list(dir)) {
        if (!pmOptions.dot && e.name.startsWith('.')) continue;
        if (e.type === 'dir') await walk(joinPath(dir, e.name), index, depth + 1);
        else if (last) add(joinPath(dir, e.name));
      }
      return;
    }
    if (segment === '.') return walk(dir, index + 1, depth);
    if (segment === '..') throw pathError('guest/EINVAL', 'glob pattern may not contain ..', pattern);
    const matcher = matchers[index];
    if (matcher === undefined) {
      // A literal segment: no listing; the path either resolves or does not.
      const child = joinPath(dir, segment.replace(/\\(.)/g, '$1'));
      if (last) {
        if (await exists(tree, child)) add(child);
      } else if (await isDir(child)) await walk(child, index + 1, depth);
      return;
    }
    for (const e of await list(dir)) {
      if (!matcher(e.name)) continue;
      const child = joinPath(dir, e.name);
      if (last) add(child);
      else if (e.type === 'dir' || (e.type === 'symlink' && (await isDir(child))))
        await walk(child, index + 1, depth);
    }
  }

  await walk('/', 0, 0);
  return [...results].sort();
}
