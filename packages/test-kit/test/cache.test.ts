import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The children load the built kit, the module other packages' tests load.
const kit = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Runs one builder in its own Node process; resolves with its stdout (the built folder). */
function builder(cache: string, key: string, log: string, holdMs: number): Promise<string> {
  const script = `
    import { appendFileSync, writeFileSync } from 'node:fs';
    import { join } from 'node:path';
    const { cachedBuild } = await import(${JSON.stringify(kit)});
    const dir = await cachedBuild(${JSON.stringify(key)}, async (scratch) => {
      appendFileSync(${JSON.stringify(log)}, 'start ' + process.pid + '\\n');
      await new Promise((r) => setTimeout(r, ${holdMs}));
      writeFileSync(join(scratch, 'out.txt'), 'built by ' + process.pid);
      appendFileSync(${JSON.stringify(log)}, 'end ' + process.pid + '\\n');
    });
    process.stdout.write(dir);
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, IMAGECHECK_FIXTURE_CACHE: cache },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`builder exited ${code}: ${err}`)),
    );
  });
}

/** The pid of a process that has already exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve(child.pid as number));
  });
}

describe('cachedBuild across processes', () => {
  let cache: string;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'test-kit-cache-'));
  });
  afterEach(() => {
    rmSync(cache, { recursive: true, force: true });
  });

  it('two processes building the same key at once build it once, into one folder', async () => {
    const log = join(cache, 'builds.log');
    const [a, b] = await Promise.all([
      builder(cache, 'group/fixture-1', log, 1500),
      builder(cache, 'group/fixture-1', log, 1500),
    ]);
    expect(a).toBe(join(cache, 'group/fixture-1'));
    expect(b).toBe(a);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const pid = lines[0]?.split(' ')[1];
    expect(lines).toEqual([`start ${pid}`, `end ${pid}`]);
    expect(readFileSync(join(a, 'out.txt'), 'utf8')).toBe(`built by ${pid}`);
    // Nothing is left beside it: no lock, no scratch folder.
    expect(existsSync(join(cache, 'group/fixture-1.lock'))).toBe(false);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(cache, 'group'))).toEqual(['fixture-1']);
  });

  it('a second process finds the built fixture and does not build again', async () => {
    const log = join(cache, 'builds.log');
    const first = await builder(cache, 'k', log, 0);
    const second = await builder(cache, 'k', log, 0);
    expect(second).toBe(first);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('breaks a lock left by a process that has died, and builds', async () => {
    const log = join(cache, 'builds.log');
    const pid = await deadPid();
    writeFileSync(
      join(cache, 'k.lock'),
      JSON.stringify({ pid, host: (await import('node:os')).hostname(), token: 'x' }),
    );
    const dir = await builder(cache, 'k', log, 0);
    expect(dir).toBe(join(cache, 'k'));
    expect(readFileSync(log, 'utf8')).toMatch(/^start \d+\nend \d+\n$/);
    expect(existsSync(join(cache, 'k.lock'))).toBe(false);
  });

  it('waits while the holder of the lock is alive', async () => {
    const log = join(cache, 'builds.log');
    // This test process holds the lock: a builder must wait, and build once it is released.
    writeFileSync(
      join(cache, 'k.lock'),
      JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), token: 'y' }),
    );
    const pending = builder(cache, 'k', log, 0);
    await new Promise((r) => setTimeout(r, 1200));
    expect(existsSync(log)).toBe(false);
    rmSync(join(cache, 'k.lock'));
    await expect(pending).resolves.toBe(join(cache, 'k'));
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('a failed build leaves no fixture and no lock', async () => {
    const script = `
      const { cachedBuild } = await import(${JSON.stringify(kit)});
      await cachedBuild('bad', async () => { throw new Error('tool failed'); }).catch((e) => process.stdout.write(e.message));
    `;
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, IMAGECHECK_FIXTURE_CACHE: cache },
      });
      let s = '';
      child.stdout.on('data', (b: Buffer) => {
        s += b.toString();
      });
      child.on('close', () => resolve(s));
    });
    expect(out).toBe('tool failed');
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(cache)).toEqual([]);
  });
});
