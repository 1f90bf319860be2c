import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTools } from '@imagecheck/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, examplesPack, imagecheck, sampleImage } from './helpers.js';

const execFileP = promisify(execFile);

/**
 * The dashboard in a real terminal: tmux gives the command a pseudo-terminal of a fixed size, we
 * send keys as a person types them and read the screen as they see it (capture-pane). A private
 * tmux server (-L) per run, so nothing else on the machine is touched; it runs as root in CI
 * with no TTY of its own.
 */
const COLUMNS = 120;
const ROWS = 40;
const socket = `imagecheck-e2e-${process.pid}`;

async function tmux(...args: string[]): Promise<string> {
  const { stdout } = await execFileP('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  return stdout;
}

let tmp: string;
let session = 0;

/** Starts the command in a new session; the shell prints its exit code when it ends. */
async function start(args: readonly string[], env: readonly string[] = []): Promise<string> {
  const name = `s${++session}`;
  const quoted = [...env, process.execPath, bin, ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  await tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    String(COLUMNS),
    '-y',
    String(ROWS),
    '-c',
    tmp,
    // Colour and CI detection must not depend on the machine the test runs on.
    `env -u CI TERM=xterm-256color ${quoted}; echo "EXIT=$?"; sleep 3600`,
  );
  return name;
}

const screen = (name: string) => tmux('capture-pane', '-p', '-t', name);

/** Polls the screen until `check` holds; gives up after `tries` looks (0.2 s apart). */
async function waitScreen(
  name: string,
  check: (text: string) => boolean,
  what: string,
  tries = 300,
): Promise<string> {
  let text = '';
  for (let i = 0; i < tries; i++) {
    text = await screen(name);
    if (check(text)) return text;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the screen never showed ${what}:\n${text}`);
}

async function keys(name: string, what: string, ...k: string[]): Promise<string> {
  await tmux('send-keys', '-t', name, ...k);
  return waitScreen(name, (t) => t.includes(what), JSON.stringify(what));
}

/** The list rows on screen: `▸ ✗ failed  high    NAME ...`. */
function rows(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^[▸ ] [✓✗!‼~i–] (passed|failed|warning|error|waived|info|skipped) /.test(l));
}

const WORD: Record<string, string> = {
  pass: '✓ passed',
  fail: '✗ failed',
  warn: '! warning',
  error: '‼ error',
  info: 'i info',
  skipped: '– skipped',
  waived: '~ waived',
};

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'imagecheck-tmux-'));
});
afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
  await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!requireTools('tmux'))('imagecheck dashboard in a real terminal (tmux)', () => {
  it('shows every item with its status; keys move, open details, filter, repair, save and quit', async () => {
    // The same check without a terminal gives the expected items and exit code.
    const expected = await imagecheck(['check', sampleImage, '--pack', examplesPack, '--format', 'json']);
    const report = JSON.parse(expected.stdout) as { items: { name: string; status: string }[] };
    const items = report.items;
    expect(items.length).toBeGreaterThan(2);

    const s = await start(['dashboard', sampleImage, '--pack', examplesPack]);
    let text = await waitScreen(s, (t) => t.includes('STATUS    RISK    ITEM'), 'the results');
    expect(text).toContain('imagecheck');
    expect(text).toContain('sample-linux.qcow2');
    expect(text).toMatch(/format qcow2 · size 50 MiB · backend native/);

    // Every item, with the status the report gives it; failures first.
    const shown = rows(text);
    expect(shown).toHaveLength(items.length);
    for (const item of items) {
      const row = shown.find((r) => new RegExp(`\\s${item.name.replace(/\./g, '\\.')}\\s`).test(r));
      expect(row, item.name).toBeDefined();
      expect(row).toContain(WORD[item.status]);
    }
    expect(shown[0]).toMatch(/^▸ ✗ failed\s+high/);
    const failed = items.filter((i) => i.status === 'fail').length;
    expect(text).toContain(`✗ ${failed} failed`);
    expect(text).toMatch(
      /↑↓\/jk move\s+⏎ details\s+\/ filter\s+f failures\s+r repair\s+s save\s+esc back\s+q quit/,
    );

    // j / k and the arrows move the cursor.
    const second = (shown[1] ?? '').slice(2, 40);
    text = await keys(s, `▸ ${second}`, 'j');
    text = await keys(s, `▸ ${(shown[0] ?? '').slice(2, 40)}`, 'k');
    text = await keys(s, `▸ ${second}`, 'Down');
    text = await keys(s, `▸ ${(shown[0] ?? '').slice(2, 40)}`, 'Up');

    // Enter opens the details of the selected item; Esc goes back.
    const firstName = (shown[0] ?? '').split(/\s+/)[4] ?? '';
    text = await keys(s, '↑↓/jk scroll', 'Enter');
    expect(text).toContain('Message');
    expect(text).toContain(`high risk · ${firstName}`);
    expect(text).toContain('↑↓/jk scroll');
    text = await keys(s, 'STATUS    RISK', 'Escape');

    // f: failures only.
    text = await keys(s, 'failures only', 'f');
    expect(rows(text).every((r) => r.includes('✗ failed') || r.includes('‼ error'))).toBe(true);
    expect(rows(text).length).toBe(items.filter((i) => i.status === 'fail' || i.status === 'error').length);
    text = await keys(s, `1/${items.length}`, 'Escape');

    // /: filter by text.
    text = await keys(s, 'filter: PermitRoot', '/', 'PermitRoot');
    expect(rows(text)).toHaveLength(1);
    expect(rows(text)[0]).toMatch(/✗ failed\s+high\s+SSH\.PermitRootLogin/);
    text = await keys(s, '1/1 · “PermitRoot”', 'Enter');

    // r: the repair script of the selected item.
    text = await keys(s, 'Repair of SSH.PermitRootLogin', 'r');
    expect(text).toContain('#!/usr/bin/env bash');
    expect(text).toContain('prohibit-password');
    text = await keys(s, '1/1 · “PermitRoot”', 'Escape');

    // s: save the report as JSON, under the name offered.
    text = await keys(s, 'save report to: sample-linux.imagecheck.json', 's');
    text = await keys(s, 'Saved the report (JSON) to', 'Enter');
    const saved = JSON.parse(await readFile(join(tmp, 'sample-linux.imagecheck.json'), 'utf8'));
    expect(saved.items.map((i: { name: string }) => i.name)).toEqual(items.map((i) => i.name));

    // It follows the terminal's size.
    await tmux('resize-window', '-t', s, '-x', '80', '-y', '24');
    text = await waitScreen(
      s,
      (t) =>
        t.includes('STATUS    RISK') && t.trimEnd().split('\n').length <= 24 && t.includes('─'.repeat(79)),
      'the list at 80x24',
    );
    expect(text).toContain('✗ failed');

    // q quits with the check's exit code.
    text = await keys(s, 'EXIT=', 'q');
    expect(text).toContain(`EXIT=${expected.code}`);
  });

  it('shows a bug on its image, then reports it as a bug and exits 4 when the user quits', async () => {
    // The same planted bug as the command's own test: decoding os-release throws a TypeError.
    const plant = join(tmp, 'plant-bug.cjs');
    await writeFile(
      plant,
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
    const s = await start(
      ['dashboard', sampleImage, '--pack', examplesPack],
      [`NODE_OPTIONS=--require ${plant}`],
    );
    await waitScreen(s, (t) => t.includes('planted bug while reading os-release'), 'the bug on the image');
    const text = await keys(s, 'EXIT=', 'q');
    expect(text).toContain('imagecheck hit a bug: engine/collector-bug: ');
    expect(text).toContain('EXIT=4');
  });

  it('says in words that an image cannot be opened, and exits 2', async () => {
    const s = await start(['dashboard', join(tmp, 'missing.qcow2'), '--pack', examplesPack]);
    const text = await waitScreen(s, (t) => t.includes('Could not open missing.qcow2'), 'the open error');
    expect(text).toContain('No items were checked');
    expect(await keys(s, 'EXIT=', 'q')).toContain('EXIT=2');
  });
});
