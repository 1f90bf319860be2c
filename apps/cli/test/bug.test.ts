import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalError, UsageError } from '@imagecheck/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/io.js';
import { debugText, reportError } from '../src/program.js';
import { imagecheck, sampleImage } from './helpers.js';

let tmp: string;
let preload: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'imagecheck-bug-'));
  // A bug planted in the process: decoding the guest's os-release throws a TypeError, as a
  // collector that used a value it never checked would. Everything else runs as shipped.
  preload = join(tmp, 'plant-bug.cjs');
  await writeFile(
    preload,
    [
      'const decode = TextDecoder.prototype.decode;',
      'TextDecoder.prototype.decode = function (input, options) {',
      '  const text = decode.call(this, input, options);',
      "  if (text.includes('VERSION_ID=')) throw new TypeError('planted bug while reading os-release');",
      '  return text;',
      '};',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const withBug = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_OPTIONS: `--require ${preload}` });
const STACK_LINE = /\n\s+at /;

describe('imagecheck on a bug', () => {
  it('prints one short line, no stack, and exits 4', async () => {
    const r = await imagecheck(['check', sampleImage, '--format', 'json'], { env: withBug() });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^imagecheck hit a bug: [\w/-]+: .*planted bug while reading os-release; run again with --debug for the stack, and report it\n$/,
    );
    expect(r.stderr).not.toMatch(STACK_LINE);
    // No report: a bug says nothing about the image.
    expect(r.stdout).toBe('');
  });

  it('--debug adds the stack and its causes, the planted throw included', async () => {
    const r = await imagecheck(['--debug', 'check', sampleImage], { env: withBug() });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^imagecheck hit a bug: /);
    expect(r.stderr).toMatch(STACK_LINE);
    expect(r.stderr).toContain('TypeError: planted bug while reading os-release');
    expect(r.stderr).toContain(preload);
  });

  it('--debug after the command name works too', async () => {
    const r = await imagecheck(['facts', sampleImage, '--debug'], { env: withBug() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${preload}:`);
  });

  it('the same image without the planted bug does not exit 4', async () => {
    const r = await imagecheck(['check', sampleImage, '--format', 'json']);
    expect([0, 1, 3]).toContain(r.code);
    expect(JSON.parse(r.stdout).items.length).toBeGreaterThan(0);
  });
});

describe('reportError', () => {
  const capture = (): { io: CliIo; err: () => string } => {
    let text = '';
    const io: CliIo = {
      stdout: () => {},
      stdoutBytes: () => {},
      stderr: (t) => {
        text += t;
      },
      stdoutIsTTY: false,
      stderrIsTTY: false,
      cwd: tmp,
    };
    return { io, err: () => text };
  };

  it('a user error is one line and exit 2, even with --debug', () => {
    const { io, err } = capture();
    expect(reportError(io, new UsageError('cli/bad', 'no such pack'), { debug: true })).toBe(2);
    expect(err()).toBe('imagecheck: no such pack\n');
  });

  it('an InternalError names its code; --debug prints each cause and the data', () => {
    const cause = new RangeError('offset 9 outside 0..8');
    const bug = new InternalError('ext/bad-read', 'bad read range 9+1', { data: { offset: 9 }, cause });
    const quiet = capture();
    expect(reportError(quiet.io, bug)).toBe(4);
    expect(quiet.err()).toBe(
      'imagecheck hit a bug: ext/bad-read: bad read range 9+1; run again with --debug for the stack, and report it\n',
    );
    const loud = capture();
    expect(reportError(loud.io, bug, { debug: true })).toBe(4);
    expect(loud.err()).toContain('InternalError: bad read range 9+1\n    at ');
    expect(loud.err()).toContain('  code: ext/bad-read, data: {"offset":9}');
    expect(loud.err()).toContain('Caused by: RangeError: offset 9 outside 0..8\n    at ');
  });

  it('a cycle of causes ends', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(debugText(a).split('Caused by: ')).toHaveLength(9);
  });
});
