import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '@imagecheck/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplesPack, imagecheck, run, sampleImage } from './helpers.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'imagecheck-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('imagecheck (usage)', () => {
  it('prints help listing every subcommand and exits 0', async () => {
    const r = await imagecheck(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['check', 'facts', 'ls', 'cat', 'rules', 'dashboard']) expect(r.stdout).toContain(c);
  });

  it('rejects an unknown flag with exit 2', async () => {
    const r = await imagecheck(['check', sampleImage, '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option');
  });

  it('rejects a bad --format value with exit 2', async () => {
    const r = await imagecheck(['check', sampleImage, '--format', 'yaml', '--pack', examplesPack]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/yaml.*(invalid|choices)|choices.*yaml/i);
  });

  it('says clearly that the guestfs backend is not available, exit 2, no stack trace', async () => {
    const r = await imagecheck(['facts', sampleImage, '--backend', 'guestfs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('guestfs backend is not available');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a missing image file with exit 2 and no stack trace', async () => {
    const missing = join(tmp, 'nope.qcow2');
    const r = await imagecheck(['check', missing, '--pack', examplesPack, '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const report = JSON.parse(r.stdout);
    expect(report.error.code).toMatch(/ENOENT/);
    expect(report.items).toEqual([]);
  });

  it('loads the built-in Linux pack by default', async () => {
    const r = await imagecheck(['rules', 'list', '--json']);
    expect(r.code).toBe(0);
    const ids = (JSON.parse(r.stdout) as { id: string; pack: string }[]).map((x) => `${x.pack}/${x.id}`);
    for (const item of ['Platform', 'Fstab', 'Grub', 'Virtio', 'Dhcp', 'CloudInit']) {
      expect(ids).toContain(`linux/GUESTOS.${item}`);
    }
  });

  it('loads the built-in Windows pack beside the Linux one', async () => {
    const r = await imagecheck(['rules', 'list', '--json']);
    expect(r.code).toBe(0);
    const ids = (JSON.parse(r.stdout) as { id: string; pack: string }[]).map((x) => `${x.pack}/${x.id}`);
    for (const item of [
      'Platform',
      'OSVersion',
      'Architecture',
      'KernelVersion',
      'BootMode',
      'RtcTimeMode',
    ]) {
      expect(ids).toContain(`windows/GUESTOS.${item}`);
      expect(ids).toContain(`linux/GUESTOS.${item}`);
    }
    for (const item of ['Virtio', 'BCD', 'Registry', 'BootMgr', 'Sysprep', 'Xen', 'CloudAssistant']) {
      expect(ids).toContain(`windows/GUESTOS.${item}`);
    }
  });

  it('reports a bad pack with its file, line and field, exit 2', async () => {
    const dir = join(tmp, 'badpack');
    await run('mkdir', ['-p', join(dir, 'rules')]);
    await writeFile(
      join(dir, 'pack.yaml'),
      'schemaVersion: imagecheck.pack/v1\nname: bad\nnamespace: bad\nversion: 1.0.0\ntitle: Bad\nrules: ["rules/*.rule.yaml"]\n',
    );
    await writeFile(
      join(dir, 'rules', 'x.rule.yaml'),
      'schemaVersion: imagecheck.rule/v1\nid: X.One\ntitle: t\ndescription: d\nriskLevel: extreme\n',
    );
    const r = await imagecheck(['rules', 'list', '--pack', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('x.rule.yaml');
    expect(r.stderr).toMatch(/line \d+|:\d+/);
  });
});

describe('imagecheck rules', () => {
  it('lists the example pack as JSON', async () => {
    const r = await imagecheck(['rules', 'list', '--pack', examplesPack, '--json']);
    expect(r.code).toBe(0);
    const rules = JSON.parse(r.stdout) as { id: string; riskLevel: string }[];
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(['high', 'medium', 'low']).toContain(rule.riskLevel);
  });

  it('shows one rule and rejects an unknown id', async () => {
    const list = JSON.parse(
      (await imagecheck(['rules', 'list', '--pack', examplesPack, '--json'])).stdout,
    ) as { id: string; title: string }[];
    const first = list[0];
    if (first === undefined) throw new Error('example pack has no rules');
    const shown = await imagecheck(['rules', 'show', first.id, '--pack', examplesPack]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(first.title);
    const unknown = await imagecheck(['rules', 'show', 'No.Such.Rule', '--pack', examplesPack]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No.Such.Rule');
  });
});

describe.skipIf(!requireTools('qemu-img', 'sfdisk', 'blkid'))(
  'imagecheck on the bundled sample image',
  () => {
    let raw: string;
    beforeAll(async () => {
      raw = join(tmp, 'sample.raw');
      await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', sampleImage, raw]);
    });

    it('facts --json agrees with sfdisk and blkid on the same bytes', async () => {
      const r = await imagecheck(['facts', sampleImage, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const facts = JSON.parse(r.stdout);
      const sf = JSON.parse(await run('sfdisk', ['--json', raw])).partitiontable;
      expect(facts.disk.format).toBe('qcow2');
      expect(facts.disk.virtualSize).toBe((await readFile(raw)).length);
      expect(facts.disk.partitionTable).toBe(sf.label);
      expect(facts.disk.diskId.toLowerCase()).toBe(sf.id.toLowerCase());
      expect(facts.disk.partitions).toHaveLength(sf.partitions.length);
      sf.partitions.forEach(
        (p: { start: number; size: number; type: string; uuid: string; name: string }, i: number) => {
          const ours = facts.disk.partitions[i];
          expect(ours.number).toBe(i + 1);
          expect(ours.start).toBe(p.start * sf.sectorsize);
          expect(ours.size).toBe(p.size * sf.sectorsize);
          expect(ours.type.toLowerCase()).toBe(p.type.toLowerCase());
          expect(ours.uuid.toLowerCase()).toBe(p.uuid.toLowerCase());
          expect(ours.label).toBe(p.name);
        },
      );
      for (const [i, p] of sf.partitions.entries()) {
        const blkid = await run('blkid', ['-p', '-o', 'export', '-O', String(p.start * sf.sectorsize), raw]);
        const kv = Object.fromEntries(
          blkid
            .trim()
            .split('\n')
            .map((l) => l.split('=', 2) as [string, string]),
        );
        const fs = facts.filesystems.find(
          (f: { location: { partition?: number } }) => f.location.partition === i + 1,
        );
        expect(fs.type).toBe(kv.TYPE);
        expect(fs.uuid).toBe(kv.UUID);
        expect(fs.label).toBe(kv.LABEL);
      }
      expect(facts.roots.filter((x: { primary: boolean }) => x.primary)).toHaveLength(1);
      const mounts = Object.fromEntries(facts.mounts.map((m: { mountpoint: string }) => [m.mountpoint, m]));
      expect(mounts['/boot/efi'].filesystem).toBe('p1');
      expect(mounts['/data'].filesystem).toBeUndefined();
      expect(mounts['/data'].reason).toContain('sdb');
    });

    it('cat reads across the /boot/efi mount point and through /etc/os-release symlink', async () => {
      const grub = await imagecheck(['cat', sampleImage, '/boot/efi/EFI/debian/grub.cfg']);
      expect(grub.code).toBe(0);
      expect(grub.stdout).toContain('configfile');
      const os = await imagecheck(['cat', sampleImage, '/etc/os-release']);
      expect(os.code).toBe(0);
      expect(os.stdout).toContain('ID=debian');
    });

    it('ls --filesystem picks one filesystem; --json --hash lists entries', async () => {
      const r = await imagecheck(['ls', sampleImage, '/', '-R', '--json', '--hash', '--filesystem', '1']);
      expect(r.code).toBe(0);
      const entries = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const cfg = entries.find((e: { path: string }) => e.path.toLowerCase() === '/efi/debian/grub.cfg');
      expect(cfg.type).toBe('file');
      expect(cfg.sha256).toMatch(/^[0-9a-f]{64}$/);
      const shadow = (await imagecheck(['ls', sampleImage, '/etc/shadow', '--json'])).stdout;
      expect(JSON.parse(shadow)).toMatchObject({
        path: '/etc/shadow',
        type: 'file',
        mode: 0o100640,
        uid: 0,
        gid: 42,
      });
    });

    it('check with the example pack reports failures with evidence and exits 1', async () => {
      const r = await imagecheck(['check', sampleImage, '--pack', examplesPack, '--format', 'json']);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout);
      expect(report.schemaVersion).toBe('imagecheck.report/v1');
      expect(report.image.format).toBe('qcow2');
      const failed = report.items.filter((i: { status: string }) => i.status === 'fail');
      expect(failed.length).toBeGreaterThan(0);
      const evidence = failed.flatMap((i: { evidence: { path?: string; line?: number }[] }) => i.evidence);
      expect(evidence).toContainEqual(expect.objectContaining({ path: '/etc/ssh/sshd_config', line: 5 }));
    });

    it('--fail-on none exits 0 even with failures; --output writes the file', async () => {
      const out = join(tmp, 'report.sarif');
      const r = await imagecheck([
        'check',
        sampleImage,
        '--pack',
        examplesPack,
        '--only',
        'SSH.*,FILES.*',
        '--fail-on',
        'none',
        '--format',
        'sarif',
        '--output',
        out,
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      const sarif = JSON.parse(await readFile(out, 'utf8'));
      expect(sarif.version).toBe('2.1.0');
    });

    it('check with the built-in pack finds the fstab entry naming another disk, at its line', async () => {
      const r = await imagecheck([
        'check',
        sampleImage,
        '--format',
        'json',
        '--only',
        'GUESTOS.Fstab,GUESTOS.Platform',
      ]);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout);
      expect(report.items.map((i: { name: string }) => i.name).sort()).toEqual([
        'GUESTOS.Fstab',
        'GUESTOS.Platform',
      ]);
      const fstab = report.items.find((i: { name: string }) => i.name === 'GUESTOS.Fstab');
      expect(fstab).toMatchObject({ status: 'fail', riskLevel: 'high' });
      expect(fstab.evidence).toContainEqual(expect.objectContaining({ path: '/etc/fstab', line: 5 }));
      const platform = report.items.find((i: { name: string }) => i.name === 'GUESTOS.Platform');
      expect(platform.status).toBe('info');
      expect(platform.value).toContain('debian');
    });

    it('checks several images into an array of reports', async () => {
      const r = await imagecheck([
        'check',
        sampleImage,
        sampleImage,
        '--pack',
        examplesPack,
        '--only',
        'SSH.*',
        '--format',
        'json',
        '--fail-on',
        'none',
      ]);
      expect(r.code).toBe(0);
      const reports = JSON.parse(r.stdout);
      expect(Array.isArray(reports)).toBe(true);
      expect(reports).toHaveLength(2);
    });

    it('decides Virtio from the module metadata of the kernel grub.cfg names, whose initramfs is absent', async () => {
      // The sample holds Debian's real modules.builtin/modules.dep but no kernel image or initramfs:
      // virtio_blk is a module there, so without an initramfs carrying it the root disk is not found.
      const r = await imagecheck([
        'check',
        sampleImage,
        '--only',
        'GUESTOS.Virtio',
        '--format',
        'json',
        '--fail-on',
        'none',
      ]);
      expect(r.code).toBe(0);
      const item = JSON.parse(r.stdout).items[0];
      expect(item).toMatchObject({ name: 'GUESTOS.Virtio', status: 'fail', riskLevel: 'high' });
      expect(item.value).toContain('virtio_blk=module');
    });
  },
);

describe.skipIf(!requireTools('mke2fs'))('imagecheck on a root with no kernel at all', () => {
  it('exits 3 when items could not be decided and nothing failed at or above --fail-on', async () => {
    // A bare ext4 root with only os-release: no boot entry, no /boot, no /lib/modules, so the
    // driver check has no default kernel to look at and cannot be decided.
    const tree = join(tmp, 'nokernel');
    await mkdir(join(tree, 'etc'), { recursive: true });
    await writeFile(join(tree, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\n');
    const image = join(tmp, 'nokernel.img');
    await run('mke2fs', ['-q', '-t', 'ext4', '-d', tree, image, '8M']);
    const r = await imagecheck([
      'check',
      image,
      '--only',
      'GUESTOS.Virtio',
      '--format',
      'json',
      '--fail-on',
      'none',
    ]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).items[0]).toMatchObject({ name: 'GUESTOS.Virtio', status: 'error' });
  });
});
