import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../..');
export const bin = resolve(here, '../dist/bin.js');
export const sampleImage = join(repoRoot, 'samples/sample-linux.qcow2');
export const examplesPack = join(repoRoot, 'rules/examples');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built command as a user would, in a child process. */
export function imagecheck(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        cwd: options.cwd ?? repoRoot,
        maxBuffer: 256 * 1024 * 1024,
        encoding: 'buffer',
        ...(options.env ? { env: options.env } : {}),
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolvePromise({ code, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') });
      },
    );
  });
}

export { run, which } from '@imagecheck/test-kit';
