import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of a system tool, or undefined when it is not installed (tests then skip). */
export function which(tool: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...PATH_DIRS];
  for (const d of dirs) {
    const p = join(d, tool);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function hasTools(...tools: string[]): boolean {
  return tools.every((t) => which(t) !== undefined);
}

/** Runs a tool, resolving sbin paths, and returns stdout; throws with stderr on failure. */
export async function run(
  tool: string,
  args: readonly string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const bin = which(tool) ?? tool;
  const child = execFileP(bin, [...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input);
  }
  const { stdout } = await child;
  return stdout;
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The repository root: the nearest folder above this file (or above the current directory, when
 * this file was bundled elsewhere, as the benchmarks are) holding `turbo.json`.
 */
function repoRoot(): string {
  for (const start of [here, process.cwd()]) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (existsSync(join(dir, 'turbo.json'))) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  return resolve(here, '../../../..');
}

/**
 * Where built fixture images are cached between runs: `$IMAGECHECK_FIXTURE_CACHE`, else
 * `.fixtures-cache/` at the repository root (git-ignored). Never committed.
 */
export function fixtureCacheDir(...sub: string[]): string {
  const base = process.env.IMAGECHECK_FIXTURE_CACHE ?? join(repoRoot(), '.fixtures-cache');
  const dir = join(base, ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
