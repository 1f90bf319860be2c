import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PackError } from '@imagecheck/access';
import { describe, expect, it } from 'vitest';
import { findConfig, loadConfig, resolveConfig, ruleSettings } from './index.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

describe('loadConfig', () => {
  it('reads YAML, resolves pack folders against the file, keeps rule entries in order', async () => {
    const cfg = await loadConfig(join(FIX, 'config', 'imagecheck.config.yaml'));
    expect(cfg.file).toBe(join(FIX, 'config', 'imagecheck.config.yaml'));
    expect(cfg.packs).toEqual([join(FIX, 'packs', 'linux-good')]);
    expect(cfg.failOn).toBe('medium');
    expect(cfg.rules.map(([p]) => p)).toEqual(['GUESTOS.*', 'example/GUESTOS.Platform', 'GUESTOS.Fstab']);
    expect(cfg.waivers[0]).toMatchObject({ rule: 'GUESTOS.Selinux', expires: '2026-12-31' });
    const fstab = { id: 'GUESTOS.Fstab', pack: 'example' } as Parameters<typeof ruleSettings>[0];
    expect(ruleSettings(fstab, cfg)).toEqual({
      enabled: true,
      riskLevel: 'low',
      params: { allowDeviceNames: true },
    });
    expect(ruleSettings({ id: 'GUESTOS.Platform', pack: 'example' } as typeof fstab, cfg).enabled).toBe(
      false,
    );
  });

  it('reports file, line, field and expectation on a bad value', async () => {
    const file = join(FIX, 'config-bad', 'imagecheck.config.yml');
    const err = (await loadConfig(file).catch((e: unknown) => e)) as PackError;
    expect(err).toBeInstanceOf(PackError);
    expect(err.code).toBe('config/invalid');
    expect(err.data).toMatchObject({ file, line: 2 });
    expect(String(err.data.field)).toMatch(/^\/rules\/GUESTOS.Fstab/);
  });

  it('reports a missing required field of a waiver', async () => {
    const file = join(FIX, 'config-bad', 'waiver.config.json');
    const err = (await loadConfig(file).catch((e: unknown) => e)) as PackError;
    expect(err.data).toMatchObject({
      file,
      line: 2,
      field: '/waivers/0/justification',
      expected: 'required property "justification"',
    });
  });

  it('rejects an impossible expiry date', () => {
    expect(() =>
      resolveConfig({ waivers: [{ rule: 'X', justification: 'j', expires: '2026-02-30' }] }),
    ).toThrow(expect.objectContaining({ code: 'config/invalid' }));
  });
});

describe('findConfig', () => {
  it('finds the nearest config upwards, or nothing', () => {
    expect(findConfig(join(FIX, 'config', 'nested', 'deeper'))).toBe(
      join(FIX, 'config', 'imagecheck.config.yaml'),
    );
    expect(findConfig('/')).toBeUndefined();
  });
});

describe('loadConfig: corrupted input throws a typed error, does not hang', () => {
  it('truncated and flipped', async () => {
    const { mkdtemp, readFile, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const bytes = await readFile(join(FIX, 'config', 'imagecheck.config.yaml'));
    const dir = await mkdtemp(join(tmpdir(), 'imagecheck-config-'));
    const file = join(dir, 'imagecheck.config.yaml');
    for (let n = 0; n < bytes.length; n += 23) {
      const copy = Buffer.from(bytes.subarray(0, n));
      if (n > 0) copy[n - 1] = (copy[n - 1] ?? 0) ^ 0x21;
      await writeFile(file, copy);
      try {
        await loadConfig(file);
      } catch (err) {
        expect(err).toBeInstanceOf(PackError);
        expect((err as PackError).code).toMatch(/^config\//);
      }
    }
  });
});
