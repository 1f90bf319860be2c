import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isImagecheckError, PackError } from '@imagecheck/access';
import { describe, expect, it } from 'vitest';
import { loadPack } from '../src/rules/index.js';

const PACKS = fileURLToPath(new URL('./fixtures/packs/', import.meta.url));
const at = (name: string) => join(PACKS, name);

async function loadError(dir: string, options?: Parameters<typeof loadPack>[1]): Promise<PackError> {
  try {
    await loadPack(dir, options);
  } catch (err) {
    expect(err).toBeInstanceOf(PackError);
    return err as PackError;
  }
  throw new Error(`${dir} loaded without error`);
}

describe('loadPack: a good pack', () => {
  it('loads the manifest and every rule with defaults applied', async () => {
    const pack = await loadPack(at('linux-good'));
    expect(pack).toMatchObject({
      name: '@imagecheck/pack-example',
      namespace: 'example',
      version: '1.0.0',
      dir: at('linux-good'),
      declaredFacts: [],
    });
    expect(pack.rules.map((r) => r.id)).toEqual(['GUESTOS.Fstab', 'GUESTOS.Platform', 'GUESTOS.Selinux']);
    const fstab = pack.rules[0];
    expect(fstab).toMatchObject({
      pack: 'example',
      file: join(at('linux-good'), 'rules', 'GUESTOS.Fstab.rule.yaml'),
      kind: 'check',
      riskLevel: 'high',
      tags: ['boot', 'storage', 'fstab'],
      facts: [
        { id: 'linux.fstab', required: true },
        { id: 'linux.blockdevices', required: true },
      ],
      params: { allowDeviceNames: false, requireNofailForNetworkFs: true },
    });
    expect(Object.keys(fstab?.messages ?? {})).toContain('unresolvableSource');
    expect(pack.rules[1]?.kind).toBe('info');
    expect(pack.rules[2]?.facts).toEqual([
      { id: 'linux.selinux', required: true },
      { id: 'linux.bootloader', required: false },
    ]);
  });

  it('accepts known facts from plugins', async () => {
    const known = new Set([
      'linux.fstab',
      'linux.blockdevices',
      'linux.selinux',
      'linux.bootloader',
      'linux.osRelease',
    ]);
    await expect(loadPack(at('linux-good'), { knownFacts: known })).resolves.toBeDefined();
  });

  it('loads JSON packs with line numbers too', async () => {
    const e = await loadError(at('json-rule'));
    expect(e.code).toBe('pack/invalid-logic');
    expect(e.data).toMatchObject({
      file: join(at('json-rule'), 'rules', 'T.rule.json'),
      line: 11,
      field: '/assertions/0/expect/regex_match/1',
    });
  });
});

describe('loadPack: each kind of bad pack names file, line, field and expectation', () => {
  const rule = (pack: string, name = 'T.rule.yaml') => join(at(pack), 'rules', name);
  const cases: [pack: string, code: string, data: Record<string, unknown>, message: RegExp][] = [
    [
      'schema-enum',
      'pack/invalid-rule',
      { file: rule('schema-enum'), line: 5, field: '/riskLevel', expected: 'one of "high", "medium", "low"' },
      /riskLevel/,
    ],
    [
      'schema-unknown-property',
      'pack/invalid-rule',
      { line: 11, field: '/assertions/0/severity' },
      /unknown property "severity"/,
    ],
    [
      'schema-missing-required',
      'pack/invalid-rule',
      { line: 1, field: '/title', expected: 'required property "title"' },
      /missing required property "title"/,
    ],
    [
      'unknown-operator',
      'pack/invalid-logic',
      { line: 13, field: '/assertions/0/expect/and/1/exec' },
      /unknown operator "exec"/,
    ],
    [
      'non-literal-var',
      'pack/invalid-logic',
      { line: 10, field: '/assertions/0/expect/var' },
      /var path is not a literal string/,
    ],
    [
      'proto-var',
      'pack/invalid-logic',
      { line: 12, field: '/assertions/0/expect/var' },
      /forbidden segment "constructor"/,
    ],
    [
      'unknown-message',
      'pack/unknown-message',
      { line: 11, field: '/assertions/0/message', expected: 'one of: enforcing' },
      /message "enforcingg" is not defined/,
    ],
    [
      'undeclared-fact-path',
      'pack/undeclared-fact',
      { line: 10, field: '/assertions/0/expect' },
      /reads a fact the rule does not declare/,
    ],
    [
      'duplicate-ids',
      'pack/duplicate-rule',
      { file: rule('duplicate-ids', 'B.rule.yaml'), line: 2, field: '/id' },
      /already used by .*A\.rule\.yaml/,
    ],
    [
      'fix-escape',
      'pack/bad-fix-file',
      { line: 16, field: '/remediation/fix/file' },
      /leaves the pack folder/,
    ],
    [
      'bad-glob',
      'pack/bad-glob',
      { file: join(at('bad-glob'), 'pack.yaml'), line: 8, field: '/rules/1' },
      /leaves the pack folder/,
    ],
    ['glob-matches-nothing', 'pack/glob-matched-nothing', { line: 8, field: '/rules/1' }, /matches no file/],
    [
      'bad-manifest',
      'pack/invalid-manifest',
      { file: join(at('bad-manifest'), 'pack.yaml'), line: 3, field: '/namespace' },
      /namespace/,
    ],
  ];
  it.each(cases)('%s → %s', async (pack, code, data, message) => {
    const e = await loadError(at(pack));
    expect(e.code).toBe(code);
    expect(e.data).toMatchObject(data);
    expect(typeof e.data.expected).toBe('string');
    expect(e.message).toMatch(message);
    expect(isImagecheckError(e)).toBe(true);
  });

  it('YAML syntax errors (written at run time: a broken file would trip the repository formatter)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imagecheck-pack-'));
    await cp(join(at('unknown-message'), 'pack.yaml'), join(dir, 'pack.yaml'));
    await mkdir(join(dir, 'rules'));
    const text = (await readFile(rule('unknown-message'), 'utf8')).replace(
      '    message: enforcingg',
      '   message: m',
    );
    await writeFile(join(dir, 'rules', 'T.rule.yaml'), text);
    const e = await loadError(dir);
    expect(e.code).toBe('pack/rule-syntax');
    expect(e.data).toMatchObject({ file: join(dir, 'rules', 'T.rule.yaml'), line: 11 });
    expect(e.message).toMatch(/T\.rule\.yaml:11:/);
  });

  it('unknown fact ids, when the plugin registry is known', async () => {
    const e = await loadError(at('unknown-fact'), { knownFacts: new Set(['linux.selinux']) });
    expect(e.code).toBe('pack/unknown-fact');
    expect(e.data).toMatchObject({ line: 8, field: '/facts/1' });
    // Without a registry the same pack loads: fact availability is then the engine's business.
    await expect(loadPack(at('unknown-fact'))).resolves.toBeDefined();
  });

  it('a pack that needs another SDK version', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imagecheck-pack-'));
    await cp(at('unknown-fact'), dir, { recursive: true });
    const manifest = await readFile(join(dir, 'pack.yaml'), 'utf8');
    await writeFile(
      join(dir, 'pack.yaml'),
      manifest.replace('rules:\n', 'engine:\n  sdk: ">=99.0.0"\nrules:\n'),
    );
    const e = await loadError(dir);
    expect(e.code).toBe('pack/incompatible-sdk');
    expect(e.data).toMatchObject({
      line: 7,
      field: '/engine/sdk',
      expected: 'an SDK version satisfying >=99.0.0',
    });
  });

  it('a folder without a manifest', async () => {
    const e = await loadError(at('linux-good/rules'));
    expect(e.code).toBe('pack/no-manifest');
  });
});

describe('loadPack: corrupted input throws a typed error, does not hang', () => {
  async function packWith(ruleText: string | Buffer): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'imagecheck-pack-'));
    await cp(join(at('linux-good'), 'pack.yaml'), join(dir, 'pack.yaml'));
    await mkdir(join(dir, 'rules'));
    await writeFile(join(dir, 'rules', 'X.rule.yaml'), ruleText);
    return dir;
  }
  const good = async () => readFile(join(at('linux-good'), 'rules', 'GUESTOS.Fstab.rule.yaml'));

  it('truncated at every 97th byte', async () => {
    const bytes = await good();
    let rejected = 0;
    let total = 0;
    for (let n = 0; n < bytes.length; n += 97) {
      total++;
      const dir = await packWith(bytes.subarray(0, n));
      try {
        await loadPack(dir);
      } catch (err) {
        expect(err).toBeInstanceOf(PackError);
        rejected++;
      }
    }
    // A cut that happens to fall after a complete rule (before the optional remediation) still loads.
    expect(rejected).toBeGreaterThan(total * 0.8);
  });

  it('bytes flipped', async () => {
    const bytes = await good();
    for (let n = 40; n < bytes.length; n += 131) {
      const copy = Buffer.from(bytes);
      copy[n] = (copy[n] ?? 0) ^ 0x5a;
      const dir = await packWith(copy);
      try {
        await loadPack(dir);
      } catch (err) {
        expect(isImagecheckError(err)).toBe(true);
      }
    }
  });

  it('YAML alias bomb (inflate)', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const e = await loadError(await packWith(lines.join('\n')));
    expect(e.code).toBe('pack/rule-syntax');
  });

  it('a rule file over the size cap', async () => {
    const e = await loadError(await packWith(`# ${'x'.repeat(1 << 20)}\n`));
    expect(e.code).toBe('pack/rule-too-large');
  });

  it('a condition nested far too deep (loop of negations)', async () => {
    let logic = 'true';
    for (let i = 0; i < 200; i++) logic = `{ "!": [${logic}] }`;
    const text = (await good()).toString('utf8').replace(/expect:\n\s+or:/, `expect: ${logic}\n    x_or:`);
    const e = await loadError(await packWith(text));
    expect(e.code).toMatch(/^pack\//);
  });
});
