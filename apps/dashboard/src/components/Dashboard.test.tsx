import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderReport } from '@imagecheck/sdk';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, plain, type RecordedCheck, recordSampleCheck, until } from '../../test/helpers.js';
import { applyEvent, failImage, finishImage, startImage, withHeader } from '../model.js';
import { DashboardStore } from '../store.js';
import { Dashboard } from './Dashboard.js';

let rec: RecordedCheck;
let tmp: string;
beforeAll(async () => {
  rec = await recordSampleCheck();
  tmp = await mkdtemp(join(tmpdir(), 'imagecheck-dashboard-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const size = { columns: 100, rows: 30 };

function mount(images: string[] = [rec.report.image.path]) {
  const store = new DashboardStore(images);
  const saved: string[] = [];
  const app = render(
    <Dashboard
      store={store}
      plan={rec.plan}
      size={size}
      defaultSaveName="sample.imagecheck.json"
      save={async (name) => {
        const path = join(tmp, name);
        const { writeFile } = await import('node:fs/promises');
        await writeFile(path, renderReport(rec.report, 'json'));
        saved.push(path);
        return path;
      }}
    />,
  );
  // The live region: the run log written through <Static> comes first in a test frame.
  const frame = () => {
    const lines = plain(app.lastFrame()).split('\n');
    let at = 0;
    lines.forEach((l, i) => {
      if (l.startsWith('imagecheck ')) at = i;
    });
    return lines.slice(at).join('\n');
  };
  const waitFor = (text: string) => until(() => frame().includes(text), `"${text}" in\n${frame()}`);
  const type = async (keys: string, expect: string) => {
    app.stdin.write(keys);
    await waitFor(expect);
  };
  return { app, store, frame, waitFor, type, saved };
}

/** Replays the recorded check into image 0, one event per frame. */
async function replay(m: ReturnType<typeof mount>, index = 0, r: RecordedCheck = rec) {
  m.store.update(index, (s) => withHeader(startImage(s), r.header));
  for (const e of r.events) {
    m.store.update(index, (s) => applyEvent(s, e));
    await until(() => true, 'a render');
  }
  m.store.update(index, (s) => finishImage(s, r.report));
}

describe('Dashboard (ink-testing-library, events of a real check of the sample image)', () => {
  it('shows the header, the stages, a spinner per item in flight, and finished items as they come', async () => {
    const m = mount();
    m.store.update(0, startImage);
    await m.waitFor('· open');
    expect(m.frame()).toContain('sample-linux.qcow2');
    for (const p of rec.plan)
      expect(m.frame()).toMatch(
        new RegExp(`${p.name.replace(/\./g, '\\.')}\\s+reading facts 0/${p.facts.length}`),
      );
    expect(m.frame()).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] FILES\.ShadowPermissions/);

    m.store.update(0, (s) => withHeader(s, rec.header));
    await m.waitFor('format qcow2 · size 50 MiB · backend native');

    let finished = 0;
    for (const e of rec.events) {
      m.store.update(0, (s) => applyEvent(s, e));
      if (e.type === 'stage' && e.stage === 'facts') await m.waitFor('✓ filesystems');
      if (e.type === 'item-finish') {
        finished++;
        const word = e.item.status === 'pass' ? '✓ passed' : '✗ failed';
        await until(
          () =>
            plain(m.app.lastFrame())
              .split('\n')
              .some((l) => l.includes(word) && l.includes(e.item.name)),
          `${e.item.name} as a finished row`,
        );
        await m.waitFor(`${finished}/${rec.plan.length} items`);
      }
    }
    m.app.unmount();
  });

  it('lists every item with its status, failures first, counts in the footer, and the keys', async () => {
    const m = mount();
    await replay(m);
    await m.waitFor('STATUS    RISK    ITEM');
    const lines = m.frame().split('\n');
    const rows = lines.filter((l) =>
      /^[▸ ] [✓✗!‼~i–] (passed|failed|warning|error|waived|info|skipped) /.test(l),
    );
    expect(rows).toHaveLength(rec.report.items.length);
    expect(rows[0]).toMatch(/^▸ ✗ failed\s+high\s+SSH\.PermitRootLogin\s+\/etc\/ssh\/sshd_config line 5/);
    expect(rows.slice(1).every((r) => r.includes('✓ passed'))).toBe(true);
    // Columns line up: the risk starts at the same place on every row.
    expect(new Set(rows.map((r) => r.search(/(high|medium|low)/))).size).toBe(1);
    expect(m.frame()).toContain('✗ 1 failed   ✓ 2 passed');
    expect(m.frame()).toContain('1/3');
    expect(m.frame()).toMatch(
      /↑↓\/jk move\s+⏎ details\s+\/ filter\s+f failures\s+r repair\s+s save\s+esc back\s+q quit/,
    );
    // The preview under the list: message, evidence with file:line, the repair.
    expect(m.frame()).toContain('/etc/ssh/sshd_config:5');
    expect(m.frame()).toContain('(bash script: press r)');
    m.app.unmount();
  });

  it('moves with j/k and the arrows, opens details with Enter, the script with r, back with Esc', async () => {
    const m = mount();
    await replay(m);
    await m.waitFor('▸ ✗ failed');
    await m.type('j', '▸ ✓ passed  medium  FILES.ShadowPermissions');
    await m.type(KEYS.down, '▸ ✓ passed  medium  SSH.HostKeys');
    await m.type('k', '▸ ✓ passed  medium  FILES.ShadowPermissions');
    await m.type(KEYS.up, '▸ ✗ failed');
    await m.type(KEYS.enter, 'Description');
    expect(m.frame()).toContain('✗ failed · high risk · SSH.PermitRootLogin (examples)');
    expect(m.frame()).toContain('↑↓/jk scroll');
    await m.type('r', 'Repair of SSH.PermitRootLogin');
    expect(m.frame()).toContain('#!/usr/bin/env bash  # run in guest-chroot');
    expect(m.frame()).toContain('PermitRootLogin');
    await m.type(KEYS.escape, 'Description');
    await m.type(KEYS.escape, 'STATUS    RISK');
    m.app.unmount();
  });

  it('filters by text with /, shows failures only with f, and Esc clears both', async () => {
    const m = mount();
    await replay(m);
    await m.waitFor('▸ ✗ failed');
    await m.type('/host', 'filter: host');
    await m.waitFor('1/1 · “host”');
    expect(m.frame()).toContain('SSH.HostKeys');
    expect(m.frame()).not.toContain('SSH.PermitRootLogin');
    await m.type(KEYS.enter, '↑↓/jk move');
    await m.type(KEYS.escape, '1/3');
    await m.type('f', '1/1 · failures only');
    expect(m.frame()).not.toContain('FILES.ShadowPermissions');
    await m.type('/zzz', 'No item matches the filter');
    await m.type(KEYS.escape, '1/1 · failures only');
    await m.type(KEYS.escape, '1/3');
    m.app.unmount();
  });

  it('saves the report as JSON with s, to the name typed', async () => {
    const m = mount();
    await replay(m);
    await m.waitFor('▸ ✗ failed');
    await m.type('s', 'save report to: sample.imagecheck.json');
    await m.type(`${KEYS.backspace.repeat(5)}.out.json`, 'save report to: sample.imagecheck.out.json');
    await m.type(KEYS.enter, 'Saved the report (JSON) to');
    expect(m.saved).toEqual([join(tmp, 'sample.imagecheck.out.json')]);
    const json = JSON.parse(await readFile(join(tmp, 'sample.imagecheck.out.json'), 'utf8'));
    expect(json.items.map((i: { name: string }) => i.name)).toEqual(rec.report.items.map((i) => i.name));
    m.app.unmount();
  });

  it('says in words that an image could not be opened', async () => {
    const m = mount(['/no/such/disk.qcow2']);
    m.store.update(0, (s) =>
      failImage(startImage(s), { code: 'host/ENOENT', message: 'cannot open /no/such/disk.qcow2: ENOENT' }),
    );
    await m.waitFor('‼ Could not open disk.qcow2');
    expect(m.frame()).toContain('cannot open /no/such/disk.qcow2: ENOENT');
    expect(m.frame()).toContain('No items were checked (code host/ENOENT)');
    m.app.unmount();
  });

  it('lists several images with their counts; Enter opens one, Esc goes back', async () => {
    const m = mount([rec.report.image.path, '/no/such/disk.qcow2']);
    await replay(m, 0);
    m.store.update(1, (s) => failImage(startImage(s), { code: 'host/ENOENT', message: 'cannot open' }));
    await m.waitFor('2 images');
    expect(m.frame()).toMatch(/▸ ✗ sample-linux\.qcow2\s+qcow2 50 MiB\s+✗ 1 {2}✓ 2/);
    expect(m.frame()).toMatch(/ {2}‼ disk\.qcow2\s+—\s+could not be checked: cannot open/);
    await m.type(KEYS.enter, 'STATUS    RISK');
    await m.type(KEYS.escape, '2 images');
    await m.type('j', '▸ ‼ disk.qcow2');
    await m.type(KEYS.enter, 'Could not open disk.qcow2');
    m.app.unmount();
  });

  it('escapes control characters an image puts in a value', async () => {
    const m = mount(['/x.qcow2']);
    const item = {
      ...rec.report.items[0],
      value: 'evil\u001b[2Jline\nforged',
    } as (typeof rec.report.items)[0];
    m.store.update(0, (s) =>
      finishImage(startImage(s), { ...rec.report, items: [item], image: { path: '/x.qcow2' } }),
    );
    await m.waitFor('evil\\x1b[2Jline\\x0aforged');
    expect(m.app.lastFrame()).not.toContain('\u001b[2J');
    m.app.unmount();
  });
});
