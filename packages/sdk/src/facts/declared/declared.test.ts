import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isImagecheckError } from '@imagecheck/access';
import type { MemoryFiles } from '@imagecheck/access/testing';
import { describe, expect, it } from 'vitest';
import { inspectGuest } from '../../engine/run.js';
import { newAjv, schemasDir } from '../../rules/schemas.js';
import { createMemoryGuest } from '../../testing/memory-guest.js';
import type { CollectContext, FactResult } from '../types.js';
import { type DeclaredSourceHandler, declaredFacts } from './index.js';

/** Collects one declared fact against a memory guest whose root holds `files`. */
async function collect(declaration: Record<string, unknown>, files: MemoryFiles): Promise<FactResult> {
  const access = createMemoryGuest({ filesystems: [{ type: 'ext4', mount: '/', files }] });
  const { layout, roots, root, guest } = await inspectGuest(access);
  const ctx: CollectContext = {
    access,
    layout,
    roots,
    root,
    guest,
    fact: async () => ({ status: 'unavailable', reason: 'not in this test', evidence: [] }),
  };
  const { definitions, collectors } = declaredFacts('t', [{ description: 'test fact', ...declaration }]);
  const result = await (collectors[0]?.collect(ctx) ?? Promise.reject(new Error('no collector')));
  // Every ok value satisfies the JSON Schema its definition carries.
  if (result.status === 'ok') {
    const validate = newAjv({ strict: true }).compile(definitions[0]?.schema ?? {});
    expect(validate(result.value), JSON.stringify(validate.errors)).toBe(true);
  }
  return result;
}

function ok(result: FactResult): Record<string, unknown> {
  if (result.status !== 'ok') throw new Error(`expected ok, got unavailable: ${result.reason}`);
  return result.value as Record<string, unknown>;
}

const SSHD = `# sshd_config
Include /etc/ssh/sshd_config.d/*.conf
PermitRootLogin prohibit-password
permitrootlogin yes
PasswordAuthentication=no
X11Forwarding   =   yes

Match User backup
  PermitRootLogin yes
  ForceCommand /bin/false
`;

describe('declaredFacts: declarations', () => {
  it('qualifies ids with the namespace and carries a value schema per parser', () => {
    const { definitions, collectors } = declaredFacts('examples', [
      {
        id: 'sshd',
        description: 'sshd',
        file: { path: '/etc/ssh/sshd_config', parse: 'keyvalue', separator: [' ', '='] },
      },
      { id: 'shadow', description: 'shadow', stat: { path: '/etc/shadow' } },
      {
        id: 'viostor',
        description: 'viostor',
        registry: { key: 'HKLM\\SYSTEM\\ControlSet001\\Services\\viostor' },
      },
    ]);
    expect(definitions.map((d) => [d.id, d.version])).toEqual([
      ['examples.sshd', '1.0.0'],
      ['examples.shadow', '1.0.0'],
      ['examples.viostor', '1.0.0'],
    ]);
    expect(collectors.map((c) => c.fact)).toEqual(definitions.map((d) => d.id));
    expect(definitions[0]?.schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
    });
  });

  it('refuses invalid declarations with a PackError naming the field', () => {
    const bad = (d: unknown): unknown => {
      try {
        declaredFacts('examples', [d]);
      } catch (err) {
        if (isImagecheckError(err)) return { code: err.code, field: err.data.field };
        throw err;
      }
      return 'accepted';
    };
    expect(bad({ id: 'x', description: 'd' })).toMatchObject({ code: 'pack/invalid-declared-fact' });
    expect(bad({ id: 'x', description: 'd', file: { path: '/a', parse: 'xml' } })).toMatchObject({
      code: 'pack/invalid-declared-fact',
      field: '/facts/declare/0/file/parse',
    });
    expect(bad({ id: 'x', description: 'd', file: { path: 'relative', parse: 'lines' } })).toMatchObject({
      field: '/facts/declare/0/file/path',
    });
    expect(
      bad({ id: 'x', description: 'd', file: { path: '/a', paths: ['/b'], parse: 'lines' } }),
    ).toMatchObject({
      code: 'pack/invalid-declared-fact',
    });
    expect(bad({ id: 'x.y', description: 'd', stat: { path: '/a' } })).toMatchObject({
      field: '/facts/declare/0/id',
    });
    expect(
      bad({ id: 'x', description: 'd', file: { path: '/a', parse: 'json', separator: '=' } }),
    ).toMatchObject({
      field: '/facts/declare/0/file/separator',
    });
    expect(
      bad({ id: 'x', description: 'd', file: { path: '/a', parse: 'text', maxBytes: 2 ** 40 } }),
    ).toMatchObject({
      field: '/facts/declare/0/file/maxBytes',
    });
    expect(() =>
      declaredFacts('examples', [
        { id: 'x', description: 'd', stat: { path: '/a' } },
        { id: 'x', description: 'd', stat: { path: '/b' } },
      ]),
    ).toThrow(expect.objectContaining({ code: 'pack/duplicate-declared-fact' }));
    expect(() => declaredFacts('Bad-NS', [])).toThrow(
      expect.objectContaining({ code: 'pack/invalid-declared-fact' }),
    );
  });

  it('the published schema compiles under ajv strict mode and is what the pack schema references', () => {
    const schema = JSON.parse(
      readFileSync(join(schemasDir(), 'declared-fact.schema.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(() => newAjv({ strict: true }).compile(schema)).not.toThrow();
    const pack = readFileSync(join(schemasDir(), 'pack.schema.json'), 'utf8');
    expect(pack).toContain('declared-fact.schema.json');
  });
});

describe('declaredFacts: file parsers', () => {
  it('keyvalue: entries with path and line, last- and first-wins maps, Match blocks set apart', async () => {
    const v = ok(
      await collect(
        {
          id: 'sshd',
          file: {
            path: '/etc/ssh/sshd_config',
            parse: 'keyvalue',
            separator: [' ', '='],
            keyCase: 'lower',
            block: 'Match',
          },
        },
        { '/etc/ssh/sshd_config': SSHD },
      ),
    );
    expect(v.present).toBe(true);
    expect(v.files).toEqual([{ path: '/etc/ssh/sshd_config', present: true, size: SSHD.length }]);
    expect(v.firstValues).toMatchObject({
      permitrootlogin: 'prohibit-password',
      passwordauthentication: 'no',
      x11forwarding: 'yes',
    });
    expect(v.values).toMatchObject({ permitrootlogin: 'yes' });
    expect(v.firstEntries).toMatchObject({ permitrootlogin: { value: 'prohibit-password', line: 3 } });
    expect(v.lastEntries).toMatchObject({ permitrootlogin: { value: 'yes', line: 4 } });
    const entries = v.entries as { key: string; line: number; block?: string; value: string }[];
    expect(entries.filter((e) => e.key === 'permitrootlogin')).toEqual([
      { key: 'permitrootlogin', value: 'prohibit-password', path: '/etc/ssh/sshd_config', line: 3 },
      { key: 'permitrootlogin', value: 'yes', path: '/etc/ssh/sshd_config', line: 4 },
      {
        key: 'permitrootlogin',
        value: 'yes',
        path: '/etc/ssh/sshd_config',
        line: 9,
        block: 'Match User backup',
      },
    ]);
    expect(entries.find((e) => e.key === 'include')?.value).toBe('/etc/ssh/sshd_config.d/*.conf');
  });

  it('keyvalue over paths and globs keeps order, reports absent literals, and defaults to =', async () => {
    const v = ok(
      await collect(
        {
          id: 'sysctl',
          file: {
            paths: ['/usr/lib/sysctl.d/*.conf', '/etc/sysctl.conf', '/etc/sysctl.d/*.conf'],
            parse: 'keyvalue',
          },
        },
        {
          '/usr/lib/sysctl.d/50-default.conf': 'net.ipv4.ip_forward = 0\n; not a comment here\n',
          '/etc/sysctl.d/99-b.conf': 'net.ipv4.ip_forward=1\n',
          '/etc/sysctl.d/10-a.conf': '# comment\nkernel.panic = 10\n',
        },
      ),
    );
    expect((v.files as { path: string; present: boolean }[]).map((f) => [f.path, f.present])).toEqual([
      ['/usr/lib/sysctl.d/50-default.conf', true],
      ['/etc/sysctl.conf', false],
      ['/etc/sysctl.d/10-a.conf', true],
      ['/etc/sysctl.d/99-b.conf', true],
    ]);
    expect(v.values).toEqual({
      'net.ipv4.ip_forward': '1',
      '; not a comment here': '',
      'kernel.panic': '10',
    });
    expect(v.firstValues).toMatchObject({ 'net.ipv4.ip_forward': '0' });
  });

  it('a missing file is ok with present: false; a key named __proto__ stays data', async () => {
    const r = await collect({ id: 'x', file: { path: '/etc/nothing', parse: 'keyvalue' } }, {});
    expect(ok(r)).toMatchObject({
      present: false,
      entries: [],
      values: {},
      files: [{ path: '/etc/nothing', present: false }],
    });
    expect(r.evidence).toEqual([{ kind: 'file', path: '/etc/nothing', note: 'absent' }]);
    const p = ok(
      await collect({ id: 'x', file: { path: '/a', parse: 'keyvalue' } }, { '/a': '__proto__=polluted\n' }),
    );
    expect(Object.getPrototypeOf(p.values)).toBe(Object.prototype);
    expect(Object.keys(p.values as object)).toEqual(['__proto__']);
  });

  it('lines: trimmed, comments and blanks dropped, custom comment prefixes', async () => {
    const v = ok(
      await collect(
        { id: 'mods', file: { path: '/etc/modules', parse: 'lines', comment: ['#', ';'] } },
        { '/etc/modules': '# x\n\n virtio_blk \r\n;y\nnvme\n' },
      ),
    );
    expect(v.lines).toEqual([
      { text: 'virtio_blk', path: '/etc/modules', line: 3 },
      { text: 'nvme', path: '/etc/modules', line: 5 },
    ]);
  });

  it('ini: sections, global keys, ; and # comments, unquote', async () => {
    const v = ok(
      await collect(
        { id: 'repo', file: { glob: '/etc/yum.repos.d/*.repo', parse: 'ini', unquote: true } },
        {
          '/etc/yum.repos.d/a.repo': 'top=1\n[base]\nname = "Base"\n; c\nenabled=1\n[updates]\nenabled = 0\n',
        },
      ),
    );
    expect(v.sections).toEqual({
      '': { top: '1' },
      base: { name: 'Base', enabled: '1' },
      updates: { enabled: '0' },
    });
    expect((v.entries as { line: number }[]).map((e) => e.line)).toEqual([1, 3, 5, 7]);
    const bad = await collect({ id: 'r', file: { path: '/x.ini', parse: 'ini' } }, { '/x.ini': '[broken\n' });
    expect(bad).toMatchObject({ status: 'unavailable', code: 'declared/bad-ini-section' });
  });

  it('osrelease: quoting and escapes per os-release(5)', async () => {
    const v = ok(
      await collect(
        { id: 'os', file: { paths: ['/etc/os-release', '/usr/lib/os-release'], parse: 'osrelease' } },
        {
          '/etc/os-release': { symlink: '../usr/lib/os-release' },
          '/usr/lib/os-release':
            'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nPRETTY_NAME=\'Ubuntu 24.04 LTS\'\nX="a \\"q\\" \\$b"\nnot an assignment\n',
        },
      ),
    );
    expect(v.values).toEqual({
      NAME: 'Ubuntu',
      VERSION_ID: '24.04',
      ID: 'ubuntu',
      PRETTY_NAME: 'Ubuntu 24.04 LTS',
      X: 'a "q" $b',
    });
    // Both paths are read (the first is a symlink to the second); entries keep where each came from.
    expect((v.entries as { path: string }[]).filter((e) => e.path === '/etc/os-release')).toHaveLength(5);
  });

  it('yaml and json: the document, with the first file as data', async () => {
    const y = ok(
      await collect(
        { id: 'ci', file: { glob: '/etc/cloud/cloud.cfg.d/*.cfg', parse: 'yaml' } },
        {
          '/etc/cloud/cloud.cfg.d/90-x.cfg': 'datasource_list: [ NoCloud, None ]\n',
          '/etc/cloud/cloud.cfg.d/10-y.cfg': 'a: 1\n',
        },
      ),
    );
    expect(y.data).toEqual({ a: 1 });
    expect(y.documents).toEqual([
      { path: '/etc/cloud/cloud.cfg.d/10-y.cfg', data: { a: 1 } },
      { path: '/etc/cloud/cloud.cfg.d/90-x.cfg', data: { datasource_list: ['NoCloud', 'None'] } },
    ]);
    const j = ok(
      await collect(
        { id: 'j', file: { path: '/d.json', parse: 'json' } },
        { '/d.json': '{"a":[1,2,{"b":null}]}' },
      ),
    );
    expect(j.data).toEqual({ a: [1, 2, { b: null }] });
    const none = ok(await collect({ id: 'j', file: { path: '/none.json', parse: 'json' } }, {}));
    expect(none).toMatchObject({ present: false, data: null, documents: [] });
  });

  it('text: whole files', async () => {
    const v = ok(
      await collect(
        { id: 'h', file: { path: '/etc/hostname', parse: 'text' } },
        { '/etc/hostname': 'box\n' },
      ),
    );
    expect(v).toMatchObject({
      present: true,
      text: 'box\n',
      texts: [{ path: '/etc/hostname', text: 'box\n' }],
    });
  });
});

describe('declaredFacts: hostile and damaged files', () => {
  it('a file over maxBytes is unavailable with guest/EFBIG, not truncated', async () => {
    const r = await collect(
      { id: 'x', file: { path: '/big', parse: 'lines', maxBytes: 10 } },
      { '/big': 'a\n'.repeat(100) },
    );
    expect(r).toMatchObject({ status: 'unavailable', code: 'guest/EFBIG' });
    expect(r.status === 'unavailable' && r.reason).toContain('/big');
  });

  it('malformed JSON and YAML, YAML alias bombs and deep nesting are unavailable', async () => {
    expect(await collect({ id: 'j', file: { path: '/j', parse: 'json' } }, { '/j': '{"a":' })).toMatchObject({
      status: 'unavailable',
      code: 'declared/bad-json',
    });
    expect(
      await collect({ id: 'y', file: { path: '/y', parse: 'yaml' } }, { '/y': 'a: [1\n' }),
    ).toMatchObject({
      status: 'unavailable',
      code: 'declared/bad-yaml',
    });
    expect(
      await collect({ id: 'y', file: { path: '/y', parse: 'yaml' } }, { '/y': 'a: 1\n---\nb: 2\n' }),
    ).toMatchObject({
      status: 'unavailable',
      code: 'declared/bad-yaml',
    });
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 12; i++)
      bomb += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    expect(await collect({ id: 'y', file: { path: '/y', parse: 'yaml' } }, { '/y': bomb })).toMatchObject({
      status: 'unavailable',
      code: 'declared/bad-yaml',
    });
    expect(
      await collect(
        { id: 'j', file: { path: '/j', parse: 'json' } },
        { '/j': `${'['.repeat(100)}${']'.repeat(100)}` },
      ),
    ).toMatchObject({
      status: 'unavailable',
      code: 'declared/document-too-deep',
    });
  });

  it('too many lines, a truncated UTF-8 tail, and a symlink loop', async () => {
    const many = await collect(
      { id: 'l', file: { path: '/l', parse: 'lines', maxBytes: 1_000_000 } },
      { '/l': 'x\n'.repeat(100_001) },
    );
    expect(many).toMatchObject({ status: 'unavailable', code: 'declared/too-many-lines' });
    const cut = ok(
      await collect(
        { id: 't', file: { path: '/t', parse: 'lines' } },
        { '/t': new Uint8Array([0x61, 0x0a, 0xe2, 0x82]) },
      ),
    );
    expect(cut.lines).toEqual([
      { text: 'a', path: '/t', line: 1 },
      { text: '\ufffd', path: '/t', line: 2 },
    ]);
    const loop = ok(
      await collect(
        { id: 'l', file: { path: '/a', parse: 'text' } },
        { '/a': { symlink: 'b' }, '/b': { symlink: 'a' } },
      ),
    );
    expect(loop).toMatchObject({ present: false });
  });

  it('a glob reaching too many files is unavailable', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`/etc/conf.d/${i}.conf`] = 'a=1\n';
    expect(
      await collect({ id: 'g', file: { glob: '/etc/conf.d/*.conf', parse: 'keyvalue' } }, files),
    ).toMatchObject({
      status: 'unavailable',
      code: 'guest/E2BIG',
    });
  });
});

describe('declaredFacts: stat and registry', () => {
  it('stat: type, mode bits as booleans and ls string, owner, symlink target', async () => {
    const v = ok(
      await collect(
        {
          id: 's',
          stat: { paths: ['/etc/shadow', '/etc/gshadow', '/usr/bin/passwd', '/etc/mtab', '/tmp', '/gone'] },
        },
        {
          '/etc/shadow': { content: 'root:*:1::::::\n', mode: 0o640, gid: 42 },
          '/etc/gshadow': { content: '', mode: 0o644 },
          '/usr/bin/passwd': { content: 'ELF', mode: 0o4755 },
          '/etc/mtab': { symlink: '../proc/self/mounts' },
          '/tmp': { dir: true, mode: 0o1777 },
        },
      ),
    );
    const entries = v.entries as Record<string, unknown>[];
    expect(v.present).toBe(true);
    expect(entries[0]).toMatchObject({
      path: '/etc/shadow',
      exists: true,
      type: 'file',
      mode: 0o640,
      modeOctal: '0640',
      permissions: 'rw-r-----',
      uid: 0,
      gid: 42,
      worldReadable: false,
      groupReadable: true,
    });
    expect(entries[1]).toMatchObject({ worldReadable: true, permissions: 'rw-r--r--' });
    expect(entries[2]).toMatchObject({ setuid: true, permissions: 'rwsr-xr-x', modeOctal: '4755' });
    expect(entries[3]).toEqual({ path: '/etc/mtab', exists: false, target: '../proc/self/mounts' });
    expect(entries[4]).toMatchObject({ type: 'dir', permissions: 'rwxrwxrwt', worldWritable: true });
    expect(entries[5]).toEqual({ path: '/gone', exists: false });
  });

  it('stat with follow: false reports the link itself', async () => {
    const v = ok(
      await collect(
        { id: 's', stat: { path: '/bin', follow: false } },
        { '/bin': { symlink: 'usr/bin' }, '/usr/bin/x': '' },
      ),
    );
    expect((v.entries as unknown[])[0]).toMatchObject({ type: 'symlink', target: 'usr/bin', exists: true });
  });

  it('registry values are unavailable until the Windows plugin lands, and say so', async () => {
    const r = await collect(
      { id: 'r', registry: { key: 'HKLM\\SYSTEM\\ControlSet001\\Services\\viostor', value: 'Start' } },
      {},
    );
    expect(r).toMatchObject({ status: 'unavailable', code: 'declared/registry-unavailable' });
    expect(r.status === 'unavailable' && r.reason).toMatch(/Windows plugin.*not available yet/);
  });

  it('registry facts go to the registry handler a plugin contributes, with the declaration as given', async () => {
    const seen: unknown[] = [];
    const handler: DeclaredSourceHandler = {
      source: 'registry',
      collect: async (fact, source) => {
        seen.push({ fact, source });
        return { status: 'ok', value: { present: false }, evidence: [] };
      },
    };
    const registry = { key: 'HKLM\\SYSTEM\\CurrentControlSet\\Services', subkeys: true } as const;
    const { collectors, definitions } = declaredFacts(
      't',
      [{ id: 'r', description: 'd', registry }],
      [handler],
    );
    const access = createMemoryGuest({});
    const r = await collectors[0]?.collect({
      access,
      layout: await access.inspect(),
      roots: [],
      root: undefined,
      guest: undefined,
      fact: async () => ({ status: 'unavailable', reason: '', evidence: [] }),
    });
    expect(r).toEqual({ status: 'ok', value: { present: false }, evidence: [] });
    expect(seen).toEqual([{ fact: 't.r', source: registry }]);
    expect(definitions[0]?.schema).toMatchObject({
      required: expect.arrayContaining(['subkeys', 'keyPresent']),
    });
  });

  it('registry declarations: one of value / values / subkeys, a machine hive or a hive path', () => {
    const decl = (registry: unknown) => () => declaredFacts('t', [{ id: 'r', description: 'd', registry }]);
    const key = 'HKLM\\SYSTEM\\Select';
    expect(decl({ key, value: 'Current', values: true })).toThrow(
      expect.objectContaining({ code: 'pack/invalid-declared-fact' }),
    );
    expect(decl({ key, values: true, subkeys: true })).toThrow(
      expect.objectContaining({ code: 'pack/invalid-declared-fact' }),
    );
    expect(decl({ key, values: false })).toThrow(
      expect.objectContaining({ code: 'pack/invalid-declared-fact' }),
    );
    expect(decl({ key: 'HKLM\\HARDWARE\\x', values: true })).toThrow(
      expect.objectContaining({
        code: 'pack/invalid-declared-fact',
        data: expect.objectContaining({ field: '/facts/declare/0/registry/key' }),
      }),
    );
    expect(decl({ key: 'Software\\Microsoft', values: true })).toThrow(
      expect.objectContaining({ code: 'pack/invalid-declared-fact' }),
    );
    expect(decl({ key: 'HKLM\\software\\Microsoft', subkeys: true })).not.toThrow();
    expect(decl({ key, value: 'Current' })).not.toThrow();
    expect(
      decl({ key: 'Software\\Microsoft', hive: '/Users/Default/NTUSER.DAT', subkeys: true }),
    ).not.toThrow();
    expect(decl({ key: 'HKLM\\SYSTEM\\Select', hive: '/Users/Default/NTUSER.DAT' })).toThrow(
      expect.objectContaining({ code: 'pack/invalid-declared-fact' }),
    );
  });

  it('without a guest tree, file facts are unavailable', async () => {
    const access = createMemoryGuest({});
    const { collectors } = declaredFacts('t', [
      { id: 'x', description: 'd', file: { path: '/a', parse: 'text' } },
    ]);
    const r = await collectors[0]?.collect({
      access,
      layout: await access.inspect(),
      roots: [],
      root: undefined,
      guest: undefined,
      fact: async () => ({ status: 'unavailable', reason: '', evidence: [] }),
    });
    expect(r).toMatchObject({ status: 'unavailable', code: 'declared/no-guest' });
  });
});
