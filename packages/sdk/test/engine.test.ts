import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FilesystemInfoV2, GuestAccessV2, ImageLayoutV2 } from '@imagecheck/access';
import { GuestPathError, InternalError, isInternalError, UsageError } from '@imagecheck/access';
import { memoryFileSystem } from '@imagecheck/access/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/index.js';
import { evaluateRule, exitCodeFor, type ProgressEvent, runCheck, selectRules } from '../src/engine/index.js';
import { parseJson } from '../src/facts/declared/parsers.js';
import type { Collector, FactResult, Plugin } from '../src/facts/types.js';
import type { OsProvider } from '../src/guest/types.js';
import { createReport, summarize } from '../src/report/create.js';
import { renderJson } from '../src/report/renderers/json.js';
import type { Report, ReportItem } from '../src/report/types.js';
import { type LoadedPack, loadPack, SDK_VERSION } from '../src/rules/index.js';

const PACK = fileURLToPath(new URL('./fixtures/packs/linux-good', import.meta.url));
let pack: LoadedPack;
beforeAll(async () => {
  pack = await loadPack(PACK);
});
const rule = (id: string) => {
  const r = pack.rules.find((x) => x.id === id);
  if (!r) throw new Error(id);
  return r;
};
const ok = (value: unknown): FactResult => ({
  status: 'ok',
  value,
  evidence: [{ kind: 'file', path: '/etc/x' }],
});

const entries = [
  {
    line: 9,
    spec: 'UUID=root',
    specKind: 'uuid',
    specValue: 'root',
    mountpoint: '/',
    fstype: 'xfs',
    options: ['defaults'],
  },
  {
    line: 10,
    spec: "UUID=it's-gone",
    specKind: 'uuid',
    specValue: "it's-gone",
    mountpoint: '/data',
    fstype: 'ext4',
    options: ['defaults'],
  },
  {
    line: 11,
    spec: 'LABEL=old',
    specKind: 'label',
    specValue: 'old',
    mountpoint: '/',
    fstype: 'ext4',
    options: ['defaults'],
  },
];
const fstabFacts = {
  'linux.fstab': ok({ present: true, path: '/etc/fstab', entries }),
  'linux.blockdevices': ok({ uuids: ['root'], labels: [], partuuids: [], partlabels: [] }),
};

describe('evaluateRule', () => {
  it('makes one finding per failing element, with location, values and a stable fingerprint', () => {
    const item = evaluateRule(rule('GUESTOS.Fstab'), fstabFacts);
    expect(item.status).toBe('fail');
    expect(item.value).toBe('/etc/fstab');
    expect(item.findings?.map((f) => [f.assertion, f.evidence[0]])).toEqual([
      ['source-resolvable', { kind: 'file', path: '/etc/fstab', line: 10 }],
      ['source-resolvable', { kind: 'file', path: '/etc/fstab', line: 11 }],
    ]);
    expect(item.findings?.[0]?.values).toEqual({
      'entry.spec': "UUID=it's-gone",
      'entry.mountpoint': '/data',
    });
    expect(item.message).toBe(
      "/etc/fstab line 10: UUID=it's-gone (mount point /data) matches no uuid in the image. (and 1 more)",
    );
    expect(item.evidence).toEqual([
      { kind: 'file', path: '/etc/fstab', line: 10 },
      { kind: 'file', path: '/etc/fstab', line: 11 },
    ]);
    // Same finding, moved to another line: same fingerprint (fingerprints exclude line numbers).
    const moved = evaluateRule(rule('GUESTOS.Fstab'), {
      ...fstabFacts,
      'linux.fstab': ok({ present: true, path: '/etc/fstab', entries: [{ ...entries[1], line: 30 }] }),
    });
    expect(moved.findings?.[0]?.fingerprint).toBe(item.findings?.[0]?.fingerprint);
    expect(item.findings?.[0]?.fingerprint).not.toBe(item.findings?.[1]?.fingerprint);
  });

  it('renders the per-finding fix with shell-quoted values and skips findings matched by skipIf', () => {
    const item = evaluateRule(rule('GUESTOS.Fstab'), fstabFacts);
    const script = item.repair?.script;
    expect(script?.language).toBe('bash');
    expect(script?.runIn).toBe('guest-chroot');
    // Line 11 mounts "/", which skipIf protects; line 10's spec has a quote, escaped for sh.
    expect(script?.content).toContain("line='10'\nspec='UUID=it'\\''s-gone'");
    expect(script?.content).not.toContain("line='11'");
    expect(script?.content.startsWith('# source-resolvable /etc/fstab:10\n(\n')).toBe(true);
    expect(item.repair?.text).toMatch(/^Replace device names/);
  });

  it('params: defaults, overrides, and invalid overrides', () => {
    const facts = {
      'linux.fstab': ok({
        present: true,
        path: '/etc/fstab',
        entries: [
          {
            line: 3,
            spec: '/dev/sdb2',
            specKind: 'device',
            specValue: '/dev/sdb2',
            mountpoint: 'none',
            fstype: 'swap',
            options: [],
          },
        ],
      }),
      'linux.blockdevices': ok({ uuids: [], labels: [], partuuids: [], partlabels: [] }),
    };
    expect(evaluateRule(rule('GUESTOS.Fstab'), facts).status).toBe('warn');
    expect(evaluateRule(rule('GUESTOS.Fstab'), facts, { params: { allowDeviceNames: true } }).status).toBe(
      'pass',
    );
    const bad = evaluateRule(rule('GUESTOS.Fstab'), facts, { params: { allowDeviceNames: 'yes' } });
    expect(bad.status).toBe('error');
    expect(bad.message).toMatch(/Invalid params for GUESTOS.Fstab: \/allowDeviceNames must be boolean/);
  });

  it('a config risk level replaces the rule and assertion levels', () => {
    const item = evaluateRule(rule('GUESTOS.Fstab'), fstabFacts, { riskLevel: 'low' });
    expect(item.riskLevel).toBe('low');
    expect(item.findings?.every((f) => f.riskLevel === 'low')).toBe(true);
  });

  it('a fact missing from the record is unavailable: error, never pass', () => {
    const item = evaluateRule(rule('GUESTOS.Fstab'), { 'linux.fstab': fstabFacts['linux.fstab'] });
    expect(item.status).toBe('error');
    expect(item.message).toBe(
      'Could not be checked: required fact unavailable: linux.blockdevices (not collected).',
    );
  });

  it('an unavailable fact names its code and reason, and its evidence', () => {
    const item = evaluateRule(rule('GUESTOS.Selinux'), {
      'linux.selinux': {
        status: 'unavailable',
        reason: 'no such file',
        code: 'guest/ENOENT',
        evidence: [{ kind: 'file', path: '/etc/selinux/config' }],
      },
    });
    expect(item).toMatchObject({
      status: 'error',
      evidence: [{ kind: 'file', path: '/etc/selinux/config' }],
    });
    expect(item.message).toContain('linux.selinux (guest/ENOENT: no such file)');
  });

  it('a condition that throws at run time makes the item error', () => {
    const item = evaluateRule(rule('GUESTOS.Platform'), {
      'linux.osRelease': ok({ id: 'centos', versionId: null, prettyName: 'CentOS' }),
    });
    expect(item.status).toBe('error');
    expect(item.message).toMatch(/version\/not-a-string/);
  });

  it('info items: value and pass message; a passing image gets no finding', () => {
    const item = evaluateRule(rule('GUESTOS.Platform'), {
      'linux.osRelease': ok({ id: 'alinux', versionId: '3', prettyName: 'Alibaba Cloud Linux 3' }),
    });
    expect(item).toMatchObject({
      status: 'info',
      value: 'alinux 3',
      message: 'Alibaba Cloud Linux 3',
      findings: [],
    });
    expect(item.evidence).toEqual([{ kind: 'file', path: '/etc/x' }]);
  });

  it('the pass message interpolates facts', () => {
    const item = evaluateRule(rule('GUESTOS.Fstab'), {
      ...fstabFacts,
      'linux.fstab': ok({ present: true, path: '/etc/fstab', entries: [entries[0]] }),
    });
    expect(item).toMatchObject({ status: 'pass', message: 'All 1 entries of /etc/fstab resolve.' });
    expect(item.repair).toBeUndefined();
  });

  it("a rule without platforms inherits its pack's", () => {
    const item = evaluateRule(rule('GUESTOS.Platform'), { 'guest.os': ok({ os: 'windows' }) });
    expect(item).toMatchObject({
      status: 'skipped',
      message: 'Not applicable: guest is windows, rule is for linux.',
    });
  });

  it('platforms match guest.os; unknown attributes do not exclude', () => {
    const selinux = ok({ present: true, mode: 'enforcing', modeLine: 7, policyType: 'targeted' });
    expect(
      evaluateRule(rule('GUESTOS.Selinux'), { 'guest.os': ok({ os: 'windows' }), 'linux.selinux': selinux }),
    ).toMatchObject({
      status: 'skipped',
      message: 'Not applicable: guest is windows, rule is for linux.',
    });
    expect(
      evaluateRule(rule('GUESTOS.Selinux'), { 'guest.os': ok({ os: 'linux' }), 'linux.selinux': selinux })
        .status,
    ).toBe('fail');
    expect(
      evaluateRule(rule('GUESTOS.Selinux'), {
        'guest.os': ok({ os: 'linux', family: 'rhel' }),
        'linux.selinux': selinux,
      }).status,
    ).toBe('fail');
  });
});

// ---------------------------------------------------------------------------------------------
// runCheck over a minimal access object: one filesystem whose files live in a map, found as the
// root by the test plugin's OS provider.

/**
 * An image with one ext4 filesystem holding `files`. With `openRootFails`, the layout also has a
 * second filesystem whose opening fails, as a damaged one would, when the guest assembly mounts it.
 */
function makeAccess(
  files: Record<string, string>,
  options: { openRootFails?: boolean; inspectFails?: boolean } = {},
): GuestAccessV2 {
  const fs = (type: string, id: string, partition: number): FilesystemInfoV2 => ({
    id,
    type,
    size: 1 << 29,
    location: { kind: 'partition', partition },
    readable: true,
  });
  const layout: ImageLayoutV2 = {
    disk: {
      format: 'raw',
      virtualSize: 1 << 30,
      sectorSize: 512,
      partitionTable: 'gpt',
      partitions: [],
      boot: { mbrBootCode: { known: false, reason: 'test' }, espPartitions: [] },
    },
    volumes: [],
    filesystems: options.openRootFails ? [fs('ext4', 'p1', 1), fs('xfs', 'p2', 2)] : [fs('ext4', 'p1', 1)],
    warnings: [],
  };
  const root = memoryFileSystem(files);
  return {
    specificationVersion: 'v2' as const,
    backend: 'memory',
    capabilities: {
      layout: true,
      bootFacts: false,
      filesystemTree: true,
      readableFilesystems: ['ext4', 'xfs'],
      posixMetadata: true,
    },
    imagePath: '/images/test.raw',
    inspect: async () => {
      if (options.inspectFails) throw new GuestPathError('raw/unreadable', 'cannot read the image');
      return layout;
    },
    openFilesystem: async (id) => {
      if (id === 'p2') throw new GuestPathError('guest/ELOOP', 'fstab mount loop');
      return root;
    },
    listSubvolumes: async () => [],
    close: async () => {},
  };
}

/** The test plugin's OS provider: a root holds /etc/os-release; every other filesystem is mounted at /data. */
const testProvider: OsProvider = {
  os: 'linux',
  async detect({ tree }) {
    try {
      await tree.stat('/etc/os-release');
      return { evidence: ['/etc/os-release'], score: 1 };
    } catch {
      return undefined;
    }
  },
  async assemble({ layout, root, rootFs, open }) {
    const table = [{ mountpoint: '/', fs: rootFs }];
    for (const f of layout.filesystems) {
      if (f.id === root.filesystem) continue;
      const other = await open(f.id);
      if (other !== undefined) table.push({ mountpoint: '/data', fs: other });
    }
    return { table, mounts: [{ mountpoint: '/', filesystem: root.filesystem }] };
  },
};

/** A plugin whose collectors read real text from the guest, counting calls. */
function makePlugin(calls: Record<string, number>): Plugin {
  const counted = (fact: string, collect: Collector['collect']): Collector => ({
    fact,
    collect: async (ctx) => {
      calls[fact] = (calls[fact] ?? 0) + 1;
      return collect(ctx);
    },
  });
  const text = async (ctx: Parameters<Collector['collect']>[0], path: string) => {
    if (!ctx.guest) throw new UsageError('test/no-guest', 'no guest');
    return new TextDecoder().decode(await ctx.guest.readFile(path));
  };
  const def = (id: string) => ({ id, version: '1.0.0', description: id, schema: { type: 'object' } });
  return {
    name: 'test-plugin',
    version: '1.0.0',
    osProviders: [testProvider],
    facts: [
      'linux.fstab',
      'linux.blockdevices',
      'linux.selinux',
      'linux.bootloader',
      'linux.osRelease',
      'linux.unused',
    ].map(def),
    collectors: [
      counted('linux.selinux', async (ctx) => {
        const lines = (await text(ctx, '/etc/selinux/config')).split('\n');
        const i = lines.findIndex((l) => l.startsWith('SELINUX='));
        const mode = lines[i]?.slice('SELINUX='.length);
        return {
          status: 'ok',
          value: { present: true, mode, modeLine: i + 1, policyType: 'targeted' },
          evidence: [{ kind: 'file', path: '/etc/selinux/config', line: i + 1 }],
        };
      }),
      counted('linux.bootloader', async () => {
        throw new GuestPathError('guest/ENOENT', 'grub.cfg: no such file');
      }),
      counted('linux.osRelease', async (ctx) => {
        const kv = Object.fromEntries(
          (await text(ctx, '/etc/os-release'))
            .split('\n')
            .filter(Boolean)
            .map((l) => l.split('=').map((s) => s.replace(/"/g, ''))),
        );
        // The selinux fact is read through the context to prove memoisation across collectors.
        await ctx.fact('linux.selinux');
        return {
          status: 'ok',
          value: { id: kv.ID, versionId: kv.VERSION_ID, prettyName: kv.PRETTY_NAME },
          evidence: [{ kind: 'file', path: '/etc/os-release' }],
        };
      }),
      counted('linux.fstab', async () => ({
        status: 'ok',
        value: { present: true, path: '/etc/fstab', entries },
        evidence: [{ kind: 'file', path: '/etc/fstab' }],
      })),
      counted('linux.blockdevices', async () => ({
        status: 'ok',
        value: { uuids: ['root'], labels: ['old'], partuuids: [], partlabels: [] },
        evidence: [],
      })),
      counted('linux.unused', async () => ({ status: 'ok', value: {}, evidence: [] })),
    ],
  };
}

const FILES = {
  '/etc/selinux/config': '# comment\n\nSELINUX=enforcing\nSELINUXTYPE=targeted\n',
  '/etc/os-release': 'ID=rocky\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n',
};
const byName = (r: Report, name: string): ReportItem => {
  const i = r.items.find((x) => x.name === name);
  if (!i) throw new Error(name);
  return i;
};

describe('runCheck', () => {
  it("leaves out the rules for another OS than the root's, also when the image has one root", async () => {
    const platform = rule('GUESTOS.Platform');
    const windowsRule = {
      ...platform,
      pack: 'windows-test',
      source: { ...platform.source, applicability: { platforms: [{ os: 'windows' as const }] } },
    };
    const windowsPack: LoadedPack = {
      ...pack,
      name: 'windows-test',
      namespace: 'windows',
      rules: [windowsRule],
    };
    // A Windows rule reading a fact no Linux rule reads: on a Linux root it is never collected.
    const windowsOnly = {
      ...windowsRule,
      id: 'WINDOWS.Only',
      facts: [{ id: 'linux.unused', required: true }],
    };
    const calls: Record<string, number> = {};
    const report = await runCheck({
      access: makeAccess(FILES),
      packs: [pack, { ...windowsPack, rules: [windowsRule, windowsOnly] }],
      plugins: [makePlugin(calls)],
    });
    expect(calls['linux.unused']).toBeUndefined();
    expect(calls['linux.osRelease']).toBe(1);
    expect(report.roots).toEqual([expect.objectContaining({ os: 'linux' })]);
    const platforms = report.items.filter((i) => i.name === 'GUESTOS.Platform');
    expect(platforms).toHaveLength(1);
    expect(platforms[0]).toMatchObject({ status: 'info', value: 'rocky 9.3' });
    expect(report.items.some((i) => i.status === 'skipped')).toBe(false);
    expect(report.summary.total).toBe(3);
  });

  it('collects only the facts the selected rules need, each at most once, and reports', async () => {
    const calls: Record<string, number> = {};
    const events: ProgressEvent[] = [];
    const report = await runCheck({
      access: makeAccess(FILES),
      packs: [pack],
      plugins: [makePlugin(calls)],
      onProgress: (e) => events.push(e),
      now: new Date('2026-01-02T03:04:05Z'),
    });
    expect(calls['linux.unused']).toBeUndefined();
    expect(calls['linux.selinux']).toBe(1);
    expect(calls['linux.osRelease']).toBe(1);
    expect(report).toMatchObject({
      schemaVersion: 'imagecheck.report/v1',
      backend: 'memory',
      generatedAt: '2026-01-02T03:04:05.000Z',
      image: { path: '/images/test.raw', format: 'raw', os: 'linux' },
    });
    expect(byName(report, 'GUESTOS.Selinux')).toMatchObject({
      status: 'fail',
      riskLevel: 'medium',
      evidence: [{ kind: 'file', path: '/etc/selinux/config', line: 3 }],
    });
    expect(byName(report, 'GUESTOS.Platform')).toMatchObject({ status: 'info', value: 'rocky 9.3' });
    expect(byName(report, 'GUESTOS.Fstab').status).toBe('fail');
    expect(report.summary).toMatchObject({ total: 3, passed: false, counts: { fail: 2, info: 1 } });
    expect(report.tags).toEqual([]);
    const stages = events.filter((e) => e.type === 'stage').map((e) => (e as { stage: string }).stage);
    expect(stages).toEqual(['open', 'layout', 'guest', 'facts', 'rules', 'done']);
    expect(events.filter((e) => e.type === 'item-finish')).toHaveLength(3);
    const firstItemStart = events.findIndex((e) => e.type === 'item-start');
    expect(events.slice(firstItemStart).some((e) => e.type === 'fact-start')).toBe(false);
  });

  it('a collector that throws yields an unavailable fact with its code; optional facts read as absent', async () => {
    const calls: Record<string, number> = {};
    const events: ProgressEvent[] = [];
    await runCheck({
      access: makeAccess(FILES),
      packs: [pack],
      plugins: [makePlugin(calls)],
      onProgress: (e) => events.push(e),
    });
    const finish = events.find((e) => e.type === 'fact-finish' && e.id === 'linux.bootloader');
    expect(finish).toMatchObject({
      result: { status: 'unavailable', code: 'guest/ENOENT', reason: 'grub.cfg: no such file' },
    });
  });

  it('config: off, risk level and params overrides; waivers (whole, by match, expired); image tags', async () => {
    const config = resolveConfig({
      rules: {
        'example/GUESTOS.Fstab': { riskLevel: 'low', params: { allowDeviceNames: true } },
        'GUESTOS.Plat*': 'off',
      },
      waivers: [
        { rule: 'GUESTOS.Selinux', justification: 'relabelled and tested', expires: '2026-12-31' },
        {
          rule: 'GUESTOS.Fstab',
          match: { path: '/etc/fstab', line: 10 },
          justification: 'data disk attached later',
        },
      ],
    });
    const report = await runCheck({
      access: makeAccess(FILES),
      packs: [pack],
      plugins: [makePlugin({})],
      config,
      now: new Date('2026-06-01T00:00:00Z'),
    });
    expect(report.items.map((i) => i.name)).toEqual(['GUESTOS.Fstab', 'GUESTOS.Selinux']);
    expect(byName(report, 'GUESTOS.Selinux')).toMatchObject({
      status: 'waived',
      waiver: { rule: 'GUESTOS.Selinux', justification: 'relabelled and tested', expires: '2026-12-31' },
    });
    // Line 10 is waived; line 11 (LABEL=old) now resolves because blockdevices has it: nothing remains.
    expect(byName(report, 'GUESTOS.Fstab')).toMatchObject({ status: 'waived', riskLevel: 'low' });
    expect(report.summary.passed).toBe(true);

    // The same waiver after its expiry day no longer applies, and the item says so.
    const later = await runCheck({
      access: makeAccess(FILES),
      packs: [pack],
      plugins: [makePlugin({})],
      config,
      now: new Date('2027-01-01T00:00:00Z'),
    });
    expect(byName(later, 'GUESTOS.Selinux').status).toBe('fail');
    expect(byName(later, 'GUESTOS.Selinux').message).toMatch(
      /\(waiver expired on 2026-12-31: relabelled and tested\)$/,
    );
  });

  it('a waiver matching some findings leaves the rest failing', async () => {
    const config = resolveConfig({
      waivers: [
        { rule: 'GUESTOS.*', match: { values: { 'entry.mountpoint': '/data' } }, justification: 'data disk' },
      ],
    });
    const plugin = makePlugin({});
    const report = await runCheck({
      access: makeAccess(FILES),
      packs: [pack],
      plugins: [
        {
          ...plugin,
          collectors: plugin.collectors.map((c) =>
            c.fact === 'linux.blockdevices'
              ? {
                  fact: c.fact,
                  collect: async () => ok({ uuids: ['root'], labels: [], partuuids: [], partlabels: [] }),
                }
              : c,
          ),
        },
      ],
      config,
      select: { only: ['GUESTOS.Fstab'] },
    });
    const item = byName(report, 'GUESTOS.Fstab');
    expect(item.status).toBe('fail');
    expect(item.waiver?.justification).toBe('data disk');
    expect(item.message).toMatch(/line 11: LABEL=old .* \(1 waived: data disk\)$/);
  });

  it('image tags when the image passes', async () => {
    const report = await runCheck({
      access: makeAccess(FILES),
      packs: [pack],
      plugins: [makePlugin({})],
      select: { only: ['GUESTOS.Platform'] },
    });
    expect(report.summary.passed).toBe(true);
    expect(report.tags).toEqual([{ key: 'acs:ecs:image:osVersion', value: 'rocky 9.3' }]);
  });

  it('a guest that cannot be assembled makes guest facts unavailable with the reason', async () => {
    const access = makeAccess(FILES, { openRootFails: true });
    const report = await runCheck({
      access,
      packs: [pack],
      plugins: [makePlugin({})],
      select: { only: ['GUESTOS.Selinux'] },
    });
    const item = byName(report, 'GUESTOS.Selinux');
    expect(item.status).toBe('error');
    expect(item.message).toMatch(/guest not available: guest\/ELOOP: fstab mount loop/);
  });

  it('an image that cannot be inspected gives a report with error and no items', async () => {
    const report = await runCheck({
      access: makeAccess(FILES, { inspectFails: true }),
      packs: [pack],
      plugins: [makePlugin({})],
    });
    expect(report).toMatchObject({ items: [], error: { code: 'raw/unreadable' } });
    expect(exitCodeFor([report], 'low')).toBe(3);
  });

  it('names the tool and the time in every report, the one that could not be opened too', async () => {
    const now = new Date('2026-03-04T05:06:07Z');
    const tool = { name: 'imagecheck', version: '9.8.7' };
    const opened = await runCheck({
      access: makeAccess(FILES),
      packs: [pack],
      plugins: [makePlugin({})],
      now,
      tool,
    });
    const unopened = await runCheck({
      access: makeAccess(FILES, { inspectFails: true }),
      packs: [pack],
      plugins: [makePlugin({})],
      now,
      tool,
    });
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    (addFormats as unknown as (a: Ajv2020) => Ajv2020)(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(new URL('../schemas/report.schema.json', import.meta.url), 'utf8')) as object,
    );
    for (const report of [opened, unopened]) {
      expect(report).toMatchObject({ tool, generatedAt: '2026-03-04T05:06:07.000Z' });
      expect(validate(JSON.parse(renderJson(report))), JSON.stringify(validate.errors)).toBe(true);
    }
    expect(unopened.summary).toMatchObject({ total: 0, passed: false });
    // Without a tool, the SDK names itself rather than leaving the field out.
    const bare = await runCheck({ access: makeAccess(FILES, { inspectFails: true }), packs: [pack] });
    expect(bare.tool).toEqual({ name: '@imagecheck/sdk', version: SDK_VERSION });
    expect(Date.parse(bare.generatedAt)).not.toBeNaN();
  });

  it('no plugin for a fact: the rule is error with the reason', async () => {
    const report = await runCheck({
      access: makeAccess(FILES),
      packs: [pack],
      select: { only: ['GUESTOS.Platform'] },
    });
    expect(byName(report, 'GUESTOS.Platform').message).toMatch(
      /linux.osRelease \(engine\/unknown-fact: no plugin provides the fact linux.osRelease/,
    );
  });

  describe('a bug is not a result', () => {
    /** The test plugin with one collector replaced. */
    const withCollector = (fact: string, collect: Collector['collect']): Plugin => {
      const base = makePlugin({});
      return { ...base, collectors: [...base.collectors.filter((c) => c.fact !== fact), { fact, collect }] };
    };
    const guestText = async (ctx: Parameters<Collector['collect']>[0], path: string): Promise<string> => {
      if (!ctx.guest) throw new UsageError('test/no-guest', 'no guest');
      return new TextDecoder().decode(await ctx.guest.readFile(path));
    };
    /** Reads the real config, then uses a line it never checked is there: a TypeError on these bytes. */
    const buggySelinux = withCollector('linux.selinux', async (ctx) => {
      const lines = (await guestText(ctx, '/etc/selinux/config')).split('\n');
      const policy = lines.find((l) => l.startsWith('SELINUXPOLICY=')) as string;
      return { status: 'ok', value: { present: true, mode: policy.slice(14) }, evidence: [] };
    });

    it('a collector that throws a TypeError makes runCheck reject, the TypeError as the cause', async () => {
      const run = runCheck({
        access: makeAccess(FILES),
        packs: [pack],
        plugins: [buggySelinux],
        select: { only: ['GUESTOS.Selinux'] },
      });
      const err = await run.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InternalError);
      expect(isInternalError(err)).toBe(true);
      const bug = err as InternalError;
      expect(bug.code).toBe('engine/collector-bug');
      expect(bug.data).toEqual({ fact: 'linux.selinux' });
      expect(bug.cause).toBeInstanceOf(TypeError);
      expect(bug.message).toBe(`the collector of linux.selinux threw: ${(bug.cause as TypeError).message}`);
      // The stack of the original throw is kept: it names the collector's file.
      expect((bug.cause as TypeError).stack).toContain('engine.test.ts');
    });

    it('a bug in a fact another collector reads also rejects, wrapped once', async () => {
      // linux.osRelease reads linux.selinux through the context; GUESTOS.Platform needs osRelease.
      const err = await runCheck({
        access: makeAccess(FILES),
        packs: [pack],
        plugins: [buggySelinux],
        select: { only: ['GUESTOS.Platform'] },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'engine/collector-bug', data: { fact: 'linux.selinux' } });
      expect((err as Error).cause).toBeInstanceOf(TypeError);
    });

    it('an InternalError from a collector propagates as it is', async () => {
      const misuse = new InternalError('ext/bad-node-id', 'not an ext node id: 7x', { data: { id: '7x' } });
      await expect(
        runCheck({
          access: makeAccess(FILES),
          packs: [pack],
          plugins: [
            withCollector('linux.selinux', async () => {
              throw misuse;
            }),
          ],
          select: { only: ['GUESTOS.Selinux'] },
        }),
      ).rejects.toBe(misuse);
    });

    it('a FormatError about the image still gives an unavailable fact and an error item', async () => {
      const events: ProgressEvent[] = [];
      const report = await runCheck({
        access: makeAccess(FILES),
        packs: [pack],
        // The config file is not JSON: the real parser rejects its bytes with a FormatError.
        plugins: [
          withCollector('linux.selinux', async (ctx) => ({
            status: 'ok',
            value: parseJson(await guestText(ctx, '/etc/selinux/config'), '/etc/selinux/config'),
            evidence: [],
          })),
        ],
        select: { only: ['GUESTOS.Selinux'] },
        onProgress: (e) => events.push(e),
      });
      const finish = events.find((e) => e.type === 'fact-finish' && e.id === 'linux.selinux');
      expect(finish).toMatchObject({ result: { status: 'unavailable', code: 'declared/bad-json' } });
      expect((finish as { result: { reason: string } }).result.reason).toMatch(/^\/etc\/selinux\/config: /);
      const item = byName(report, 'GUESTOS.Selinux');
      expect(item.status).toBe('error');
      expect(item.message).toContain('linux.selinux (declared/bad-json: /etc/selinux/config: ');
    });
  });

  it('an aborted signal rejects', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(
      runCheck({ access: makeAccess(FILES), packs: [pack], plugins: [makePlugin({})], signal: ac.signal }),
    ).rejects.toThrow('stop');
  });
});

describe('selectRules', () => {
  it('by id, glob, qualified id, tag, risk level, pack, and config', () => {
    const ids = (sel: Parameters<typeof selectRules>[1], cfg?: Parameters<typeof selectRules>[2]) =>
      selectRules([pack], sel, cfg).map((r) => r.id);
    expect(ids({})).toEqual(['GUESTOS.Fstab', 'GUESTOS.Platform', 'GUESTOS.Selinux']);
    expect(ids({ only: ['GUESTOS.Selinux'] })).toEqual(['GUESTOS.Selinux']);
    expect(ids({ only: ['example/GUESTOS.F*'] })).toEqual(['GUESTOS.Fstab']);
    expect(ids({ skip: ['*.Fstab'] })).toEqual(['GUESTOS.Platform', 'GUESTOS.Selinux']);
    expect(ids({ tags: ['security', 'platform'] })).toEqual(['GUESTOS.Platform', 'GUESTOS.Selinux']);
    expect(ids({ riskLevels: ['medium'] })).toEqual(['GUESTOS.Selinux']);
    expect(
      ids({ riskLevels: ['low'] }, resolveConfig({ rules: { 'GUESTOS.Fstab': { riskLevel: 'low' } } })),
    ).toEqual(['GUESTOS.Fstab']);
    expect(ids({ packs: ['other'] })).toEqual([]);
    expect(ids({ packs: ['@imagecheck/pack-*'] })).toHaveLength(3);
    expect(ids({}, resolveConfig({ rules: { 'GUESTOS.*': 'off', 'GUESTOS.Selinux': 'on' } }))).toEqual([
      'GUESTOS.Selinux',
    ]);
  });
  it('an unknown plain id is a usage error', () => {
    expect(() => selectRules([pack], { only: ['GUESTOS.Fstabb'] })).toThrow(
      expect.objectContaining({ code: 'usage/unknown-rule' }),
    );
  });
});

describe('summarize and exitCodeFor', () => {
  const item = (status: ReportItem['status'], riskLevel: ReportItem['riskLevel'] = 'high'): ReportItem => ({
    name: 'X',
    status,
    riskLevel,
    value: '',
    message: '',
    evidence: [],
  });
  const report = (...items: ReportItem[]): Report =>
    createReport({ image: { path: 'x' }, backend: 'memory', tool: { name: 'test', version: '0' }, items });
  it('counts every status; waived failures do not fail', () => {
    const s = summarize([item('pass'), item('waived'), item('warn'), item('info')]);
    expect(s).toMatchObject({
      total: 4,
      passed: true,
      counts: { pass: 1, waived: 1, warn: 1, info: 1, fail: 0 },
    });
    expect(summarize([item('error')]).passed).toBe(false);
  });
  it('1 for a fail at or above failOn; 3 for error; fail wins over error; warn never counts', () => {
    expect(exitCodeFor([report(item('pass'), item('warn'))], 'low')).toBe(0);
    expect(exitCodeFor([report(item('fail', 'medium'))], 'high')).toBe(0);
    expect(exitCodeFor([report(item('fail', 'medium'))], 'medium')).toBe(1);
    expect(exitCodeFor([report(item('fail', 'low'))], 'none')).toBe(0);
    expect(exitCodeFor([report(item('error'))], 'low')).toBe(3);
    expect(exitCodeFor([report(item('error')), report(item('fail'))], 'low')).toBe(1);
    expect(exitCodeFor([report(item('waived'))], 'low')).toBe(0);
  });
});

describe('evaluateRule on a rule object built by hand', () => {
  it('compiles from its source on first use, and rejects an invalid one with a PackError', () => {
    const copy = { ...rule('GUESTOS.Selinux') };
    const item = evaluateRule(copy, {
      'linux.selinux': ok({ present: true, mode: 'disabled', modeLine: 1, policyType: 'targeted' }),
    });
    expect(item).toMatchObject({ status: 'pass', message: 'SELinux mode is disabled.' });
    const broken = {
      ...copy,
      source: { ...copy.source, assertions: [{ id: 'a', expect: { eval: 1 }, message: 'enforcing' }] },
    };
    expect(() => evaluateRule(broken, {})).toThrow(expect.objectContaining({ code: 'pack/invalid-logic' }));
  });
});
