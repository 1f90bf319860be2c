import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplesPack, imagecheck, sampleImage } from './helpers.js';

// Under vitest the command's stdin and stdout are pipes: the dashboard must fall back to the
// text report, exactly as `imagecheck check` prints it, with the same exit code.
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'imagecheck-dashboard-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('imagecheck dashboard without a terminal', () => {
  it('prints the text report of check and exits with its code', async () => {
    const [dash, check] = await Promise.all([
      imagecheck(['dashboard', sampleImage, '--pack', examplesPack]),
      imagecheck(['check', sampleImage, '--pack', examplesPack]),
    ]);
    expect(check.stdout).toContain('SSH.PermitRootLogin');
    expect(dash.stdout).toBe(check.stdout);
    expect(dash.code).toBe(check.code);
    expect(dash.code).toBe(1);
    expect(dash.stdout).not.toContain('\u001b[');
  });

  it('check --tui does the same', async () => {
    const args = ['check', sampleImage, '--pack', examplesPack, '--fail-on', 'none'];
    const [tui, plain] = await Promise.all([imagecheck([...args, '--tui']), imagecheck(args)]);
    expect(tui.stdout).toContain('SSH.PermitRootLogin');
    expect(tui.stdout).toBe(plain.stdout);
    expect(tui.code).toBe(plain.code);
    expect(tui.stderr).not.toContain('not part of this version');
  });

  it('an image that cannot be opened exits 2 with the reason', async () => {
    const missing = join(tmp, 'nope.qcow2');
    const r = await imagecheck(['dashboard', missing, '--pack', examplesPack]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
