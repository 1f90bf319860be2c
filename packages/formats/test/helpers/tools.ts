import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of a system tool, or undefined when it is not installed. */
export function which(tool: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...PATH_DIRS];
  for (const d of dirs) {
    const p = join(d, tool);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Whether the tools are installed. Outside CI a missing tool skips the suite that needs it; under
 * `CI=true` it throws, so that a CI machine without the tool fails instead of going green.
 */
export function hasTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => which(t) === undefined);
  if (missing.length > 0 && process.env.CI === 'true') {
    throw new Error(
      `CI needs ${missing.join(', ')} (Debian: libwin-hivex-perl for hivexregedit, libhivex-bin for hivexsh, xz-utils)`,
    );
  }
  return missing.length === 0;
}

/** Runs a tool and returns its stdout as bytes; throws with stderr on failure. */
export async function runBytes(tool: string, args: readonly string[]): Promise<Buffer> {
  const { stdout } = await execFileP(which(tool) ?? tool, [...args], {
    encoding: 'buffer',
    maxBuffer: 512 * 1024 * 1024,
  });
  return stdout;
}

/** Runs a tool and returns stdout; throws with stderr on failure. */
export async function run(
  tool: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const { stdout } = await execFileP(which(tool) ?? tool, [...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

export const corpusDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'corpus');

/** A corpus file's bytes, `.xz` ones decompressed with the xz tool. */
export function corpusBytes(name: string): Uint8Array {
  const path = join(corpusDir, name);
  if (name.endsWith('.xz'))
    return new Uint8Array(execFileSync(which('xz') ?? 'xz', ['-dc', path], { maxBuffer: 512 << 20 }));
  return new Uint8Array(readFileSync(path));
}

/** Every registry hive in the corpus: the file name and the name without `.xz`. */
export const CORPUS_HIVES = [
  'EricZimmerman-Registry__BCD',
  'aiowinreg__nt4_software.reg',
  'aiowinreg__nt4_system.reg',
  'regipy__BCD.xz',
  'regipy__SYSTEM.xz',
  'regipy__SYSTEM_WIN_10_1709.xz',
  'windeploy-linux__BCD',
  'windeploy-linux__BCD-efi',
  'yarp__BigDataHive',
  'yarp__ExtendedASCIIHive',
  'yarp__ManySubkeysHive',
  'yarp__UnicodeHive',
] as const;

/** The four BCD stores among them. */
export const CORPUS_BCD = [
  'EricZimmerman-Registry__BCD',
  'regipy__BCD.xz',
  'windeploy-linux__BCD',
  'windeploy-linux__BCD-efi',
] as const;

const here = dirname(fileURLToPath(import.meta.url));

function repoRoot(): string {
  for (const start of [here, process.cwd()]) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (existsSync(join(dir, 'turbo.json'))) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  return resolve(here, '../../../..');
}

/** `$IMAGECHECK_FIXTURE_CACHE/<sub>` (else `.fixtures-cache/` at the repository root). Never committed. */
export function fixtureCacheDir(...sub: string[]): string {
  const base = process.env.IMAGECHECK_FIXTURE_CACHE ?? join(repoRoot(), '.fixtures-cache');
  const dir = join(base, ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A lock older than this is taken to be left by a killed build. */
const STALE_LOCK_MS = 10 * 60 * 1000;

/**
 * Builds `<dir>/<name>` once: the result is cached by name (callers put a content key in it), and
 * concurrent builders (vitest workers, other checkouts sharing the cache) wait on a lock directory
 * instead of building twice into the same path. The build writes into a private scratch folder,
 * which is renamed into place only when complete.
 */
export async function cachedBuild(
  dir: string,
  name: string,
  build: (scratch: string) => Promise<void>,
): Promise<string> {
  const path = join(dir, name);
  if (existsSync(path)) return path;
  const lock = `${path}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'owner'), `${process.pid}\n`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (existsSync(path)) return path;
      if (lockIsStale(lock)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (existsSync(path)) return path;
    const scratch = `${path}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(scratch, { recursive: true });
    try {
      await build(scratch);
      renameSync(scratch, path);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return path;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockIsStale(lock: string): boolean {
  try {
    const owner = Number(readFileSync(join(lock, 'owner'), 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0) {
      try {
        process.kill(owner, 0);
      } catch {
        return true; // the builder is gone
      }
    }
    return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
  } catch {
    // No owner file yet: the builder is between mkdir and write, unless it died there long ago.
    try {
      return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
    } catch {
      return false;
    }
  }
}
