import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../src/node-version.js';
import { bin, repoRoot } from './helpers.js';

describe('nodeVersionProblem', () => {
  it.each([
    ['20.20.2', 'imagecheck needs Node.js 22.15 or newer; this is v20.20.2'],
    ['22.0.0', 'imagecheck needs Node.js 22.15 or newer; this is v22.0.0'],
    ['22.14.9', 'imagecheck needs Node.js 22.15 or newer; this is v22.14.9'],
    ['22.15.0', undefined],
    ['23.1.0', undefined],
    ['24.11.1', undefined],
  ])('%s', (version, expected) => {
    expect(nodeVersionProblem(version)).toBe(expected);
  });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  return new Promise((done) => {
    execFile(file, args, { cwd: repoRoot, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      done({ code, stdout, stderr });
    });
  });
}

/** A Node.js older than the floor on this machine (Debian's, which CI machines come with), if any. */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      const version = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      if (nodeVersionProblem(version) !== undefined) return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

const old = olderNode();
const scratch = mkdtempSync(join(tmpdir(), 'imagecheck-node-floor-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A PATH whose `node` is `node`, so that the sample script runs under it. */
function pathWith(node: string): string {
  const dir = mkdtempSync(join(scratch, 'bin-'));
  symlinkSync(node, join(dir, 'node'));
  return `${dir}:${process.env.PATH ?? ''}`;
}

// CI machines come with Debian's Node 20 beside the Node the tests run on; elsewhere an older
// Node may genuinely be absent.
describe.skipIf(old === undefined && process.env.CI !== 'true')('on a Node older than 22.15', () => {
  it('the command says which version it needs and exits 2', async () => {
    const result = await run(old as string, [bin, 'check', 'samples/sample-linux.qcow2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^imagecheck needs Node\.js 22\.15 or newer; this is v\d+\.\d+\.\d+\n$/);
    expect(result.stdout).toBe('');
  });

  it('npm run sample fails with that message', async () => {
    const result = await run('bash', ['scripts/sample.sh'], {
      ...process.env,
      PATH: pathWith(old as string),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('imagecheck needs Node.js 22.15 or newer');
  });
});

describe('the sample script', () => {
  it('on this Node prints the report and succeeds although items fail', async () => {
    const result = await run('bash', ['scripts/sample.sh'], {
      ...process.env,
      PATH: pathWith(process.execPath),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/GUESTOS\.Fstab/);
    expect(result.stdout).toMatch(/\(\d+ items\)\n?$/);
  });

  it('tells a crash from items that failed: a crash exits 1 too, and fails the script', async () => {
    // A module preloaded into the command that throws: the process dies with exit 1, as any
    // uncaught exception would, and writes no report.
    const crash = join(scratch, 'crash.cjs');
    writeFileSync(crash, "throw new Error('simulated crash');\n");
    const result = await run('bash', ['scripts/sample.sh'], {
      ...process.env,
      PATH: pathWith(process.execPath),
      NODE_OPTIONS: `--require ${crash}`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('simulated crash');
    expect(result.stderr).toContain('without a complete report');
  });
});
