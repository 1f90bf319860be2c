import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The absolute path of a system tool, or undefined when it is not installed. */
export function which(tool: string): string | undefined {
  for (const d of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...DIRS]) {
    const p = join(d, tool);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * True when every tool is installed. Under `CI=true` a missing tool is a failure, not a skip: the
 * CI image must have them all.
 */
export function hasTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => which(t) === undefined);
  if (missing.length > 0 && process.env.CI === 'true') {
    throw new Error(`CI is missing ${missing.join(', ')}`);
  }
  return missing.length === 0;
}

/** Runs `tool` with `input` on stdin and returns its stdout. */
export function pipe(tool: string, args: readonly string[], input: Uint8Array): Uint8Array {
  return new Uint8Array(
    execFileSync(which(tool) ?? tool, [...args], { input, maxBuffer: 512 * 1024 * 1024 }),
  );
}
