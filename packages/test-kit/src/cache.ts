import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './tools.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The repository root: the nearest folder above this file (or above the current directory, when
 * the caller was bundled elsewhere, as the benchmarks are) holding `turbo.json`.
 */
function repoRoot(): string {
  for (const start of [here, process.cwd()]) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (existsSync(join(dir, 'turbo.json'))) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  return resolve(here, '../../..');
}

/** This package's folder (`packages/test-kit`), whether the kit runs from `src/` or bundled from `dist/`. */
export function testKitDir(): string {
  return join(repoRoot(), 'packages/test-kit');
}

/** The cache root: `$IMAGECHECK_FIXTURE_CACHE`, else `.fixtures-cache/` at the repository root (git-ignored). */
export function fixtureCacheRoot(): string {
  return process.env.IMAGECHECK_FIXTURE_CACHE ?? join(repoRoot(), '.fixtures-cache');
}

/** A folder under the fixture cache, created if needed. Never committed. */
export function fixtureCacheDir(...sub: string[]): string {
  const dir = join(fixtureCacheRoot(), ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A short content key: the first 16 hex digits of the SHA-256 of `value` as JSON. */
export function hashKey(value: unknown): string {
  return sha256(JSON.stringify(value)).slice(0, 16);
}

/** How often a waiter looks at the lock again. */
const POLL_MS = 200;
/** A lock file with no readable owner (its writer died between create and write) older than this is stale. */
const UNOWNED_STALE_MS = 60_000;
/** A lock held from another machine sharing the cache is judged by age alone. */
const FOREIGN_STALE_MS = 60 * 60 * 1000;

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

function readOwner(lock: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(lock, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string' && typeof owner.token === 'string') {
      return owner as LockOwner;
    }
  } catch {
    // Absent, or not yet written: the caller decides by age.
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the lock was left by a builder that is gone; `undefined` when the lock is already gone. */
function staleOwner(lock: string): { stale: boolean; token: string | undefined } | undefined {
  let age: number;
  try {
    age = Date.now() - statSync(lock).mtimeMs;
  } catch {
    return undefined;
  }
  const owner = readOwner(lock);
  if (owner === undefined) return { stale: age > UNOWNED_STALE_MS, token: undefined };
  if (owner.host !== hostname()) return { stale: age > FOREIGN_STALE_MS, token: owner.token };
  return { stale: !alive(owner.pid), token: owner.token };
}

/**
 * Removes a stale lock without removing a fresh one that another waiter took in the meantime: the
 * lock is first renamed aside (atomic, so only one waiter gets it), then checked to be the one
 * judged stale; a fresh one moved aside by mistake is linked back.
 */
function breakStaleLock(lock: string, token: string | undefined): void {
  const aside = `${lock}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = readOwner(aside);
  if (moved !== undefined && moved.token !== token) {
    try {
      linkSync(aside, lock);
    } catch {
      // A third builder took the lock meanwhile; the fresh owner builds into its own scratch path, so
      // the worst case is one fixture built twice, never two builds into one path.
    }
  }
  rmSync(aside, { force: true });
}

/** Takes the lock, or returns false when another live builder holds it. */
function tryLock(lock: string, token: string): boolean {
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), token } satisfies LockOwner));
  } finally {
    closeSync(fd);
  }
  return true;
}

function releaseLock(lock: string, token: string): void {
  if (readOwner(lock)?.token !== token) return; // broken by someone who judged us dead: not ours now
  try {
    unlinkSync(lock);
  } catch {
    // already gone
  }
}

/**
 * Builds a fixture once into the fixture cache and returns its folder,
 * `<cache root>/<key>` (`key` may hold `/`; put everything the build depends on into it, as a
 * version or a `hashKey`).
 *
 * `build` fills a fresh, empty scratch folder beside the final one; the scratch folder is renamed
 * into place only when `build` resolves, so a reader never sees a half-built fixture. Builders in
 * other vitest workers, other packages' test runs or other checkouts sharing the cache wait on the
 * lock file `<key>.lock`, which names its holder's pid: a lock whose holder has died is broken
 * and the build is taken over.
 */
export async function cachedBuild(key: string, build: (scratch: string) => Promise<void>): Promise<string> {
  const path = join(fixtureCacheRoot(), key);
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  const lock = `${path}.lock`;
  const token = randomBytes(8).toString('hex');
  for (;;) {
    if (tryLock(lock, token)) break;
    if (existsSync(path)) return path;
    const judged = staleOwner(lock);
    if (judged?.stale) {
      breakStaleLock(lock, judged.token);
      continue;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    if (existsSync(path)) return path;
    const scratch = `${path}.tmp-${process.pid}-${token}`;
    await mkdir(scratch, { recursive: true });
    try {
      await build(scratch);
      renameSync(scratch, path);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return path;
  } finally {
    releaseLock(lock, token);
  }
}
