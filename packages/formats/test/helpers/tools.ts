import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
