/**
 * `imagecheck check` end to end on the Windows-shaped images (plugins/windows/test/fixtures), with
 * both built-in plugins loaded as a user gets them. Each failure-mode image must fail its item and
 * each good image must fail nothing; before that, the broken (or healthy) state each verdict rests
 * on is established with tools that are not ours: hivexregedit --export for registry values,
 * The Sleuth Kit (fls, icat) for files, sfdisk for the disk's identity, exiftool for PE versions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@imagecheck/test-kit';
import {
  buildWindowsImage,
  exifFileVersion,
  exported,
  exportedDword,
  exportedString,
  exportHive,
  fls,
  icat,
  sfdisk,
  toolsReady,
  WINDOWS_IMAGES,
  type WindowsImage,
  type WindowsImageName,
} from '@imagecheck/test-kit/windows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagecheck } from './helpers.js';

const ready = toolsReady();

interface Item {
  name: string;
  pack: string;
  status: string;
  riskLevel: string;
  value: string;
  message: string;
}
interface Report {
  image: { os?: string };
  items: Item[];
}

/** The image opened with the independent tools: partition sectors, file lists, hive exports. */
class Truth {
  private readonly files = new Map<string, Map<string, string>>();
  constructor(
    readonly img: WindowsImage,
    readonly tmp: string,
  ) {}
  sector(vol: 'C' | 'S'): number {
    const role = vol === 'C' ? 'windows' : this.img.boot === 'bios' ? 'system' : 'esp';
    const p = this.img.partitions.find((x) => x.role === role);
    if (!p) throw new Error(`no ${role} partition`);
    return p.start / 512;
  }
  async list(vol: 'C' | 'S'): Promise<Map<string, string>> {
    let m = this.files.get(vol);
    if (!m) {
      m = await fls(this.img.rawPath, this.sector(vol));
      this.files.set(vol, m);
    }
    return m;
  }
  async has(vol: 'C' | 'S', path: string): Promise<boolean> {
    return (await this.list(vol)).has(path.toLowerCase());
  }
  async extract(vol: 'C' | 'S', path: string): Promise<string> {
    const inode = (await this.list(vol)).get(path.toLowerCase());
    if (!inode) throw new Error(`${vol}:${path} not in fls`);
    return icat(
      this.img.rawPath,
      this.sector(vol),
      inode,
      this.tmp,
      `${this.img.spec.name}-${path.replace(/\//g, '_')}`,
    );
  }
  async hive(name: string, keys: string[]) {
    return exportHive(await this.extract('C', `Windows/System32/config/${name}`), keys);
  }
  async dword(hive: string, key: string, value: string): Promise<number | undefined> {
    return exportedDword(exported(await this.hive(hive, [key]), key, value));
  }
  async keyExists(hive: string, key: string): Promise<boolean> {
    return (await this.hive(hive, [key])).has(key.toLowerCase());
  }
}

const SVC = 'ControlSet001\\Services';
const CBS = 'Microsoft\\Windows\\CurrentVersion\\Component Based Servicing';

/**
 * Per image: the item it must fail, and the independent check that the image is broken that way
 * (or, for the passing images, healthy that way).
 */
const CASES: Partial<
  Record<WindowsImageName, { fails?: string; passes?: string; truth: (t: Truth) => Promise<void> }>
> = {
  'arch-mismatch': {
    fails: 'GUESTOS.Architecture',
    truth: async (t) => {
      const env = 'ControlSet001\\Control\\Session Manager\\Environment';
      expect(exportedString(exported(await t.hive('SYSTEM', [env]), env, 'PROCESSOR_ARCHITECTURE'))).toBe(
        'x86',
      );
      const out = await run('exiftool', [
        '-s3',
        '-MachineType',
        await t.extract('C', 'Windows/System32/ntoskrnl.exe'),
      ]);
      expect(out).toMatch(/AMD64/);
    },
  },
  'virtio-none': {
    fails: 'GUESTOS.Virtio',
    truth: async (t) => {
      for (const s of ['viostor', 'vioscsi', 'netkvm'])
        expect(await t.keyExists('SYSTEM', `${SVC}\\${s}`)).toBe(false);
      expect(await t.has('C', 'Windows/System32/drivers/viostor.sys')).toBe(false);
    },
  },
  'virtio-not-boot-start': {
    fails: 'GUESTOS.Virtio',
    truth: async (t) => {
      expect(await t.dword('SYSTEM', `${SVC}\\viostor`, 'Start')).toBe(3);
      expect(await t.dword('SYSTEM', `${SVC}\\vioscsi`, 'Start')).toBe(3);
    },
  },
  'virtio-driver-file-missing': {
    fails: 'GUESTOS.Virtio',
    truth: async (t) => {
      expect(await t.dword('SYSTEM', `${SVC}\\viostor`, 'Start')).toBe(0);
      expect(await t.has('C', 'Windows/System32/drivers/viostor.sys')).toBe(false);
      expect(await t.has('C', 'Windows/System32/drivers/vioscsi.sys')).toBe(false);
    },
  },
  'virtio-no-netkvm': {
    fails: 'GUESTOS.Virtio',
    truth: async (t) => {
      expect(await t.keyExists('SYSTEM', `${SVC}\\netkvm`)).toBe(false);
      expect(await t.has('C', 'Windows/System32/drivers/netkvm.sys')).toBe(false);
    },
  },
  'bcd-missing-bios': {
    fails: 'GUESTOS.BCD',
    truth: async (t) => {
      expect(await t.has('S', 'bootmgr')).toBe(true);
      expect(await t.has('S', 'Boot/BCD')).toBe(false);
    },
  },
  'bcd-missing-uefi': {
    fails: 'GUESTOS.BCD',
    truth: async (t) => {
      expect(await t.has('S', 'EFI/Microsoft/Boot/bootmgfw.efi')).toBe(true);
      expect(await t.has('S', 'EFI/Microsoft/Boot/BCD')).toBe(false);
    },
  },
  'bcd-truncated': {
    fails: 'GUESTOS.BCD',
    truth: async (t) => {
      const bcd = await t.extract('S', 'EFI/Microsoft/Boot/BCD');
      await expect(run('hivexregedit', ['--export', bcd, '\\'])).rejects.toThrow();
    },
  },
  'bcd-no-default-object': {
    fails: 'GUESTOS.BCD',
    truth: async (t) => {
      const bcd = await exportHive(await t.extract('S', 'Boot/BCD'), ['Objects']);
      const def = exportedString(
        exported(bcd, 'Objects\\{9dea862c-5cdd-4e70-acc1-f32b344d4795}\\Elements\\23000003', 'Element'),
      );
      expect(def).toMatch(/^\{[0-9a-f-]+\}$/);
      expect(bcd.has(`objects\\${def}`)).toBe(false);
    },
  },
  'bcd-other-disk-bios': {
    fails: 'GUESTOS.BCD',
    truth: async (t) => {
      const table = await sfdisk(t.img.rawPath);
      const bcd = await exportHive(await t.extract('S', 'Boot/BCD'), ['Objects']);
      const def = exportedString(
        exported(bcd, 'Objects\\{9dea862c-5cdd-4e70-acc1-f32b344d4795}\\Elements\\23000003', 'Element'),
      );
      const dev = exported(bcd, `Objects\\${def}\\Elements\\11000001`, 'Element')?.bytes as Uint8Array;
      // +0x38: the MBR disk signature the device element names; not this disk's (sfdisk).
      const sig = new DataView(dev.buffer, dev.byteOffset).getUint32(0x38, true);
      expect(sig).not.toBe(Number.parseInt(table.id, 16));
    },
  },
  'bcd-other-disk-uefi': {
    fails: 'GUESTOS.BCD',
    truth: async (t) => {
      const table = await sfdisk(t.img.rawPath);
      const bcd = await exportHive(await t.extract('S', 'EFI/Microsoft/Boot/BCD'), ['Objects']);
      const def = exportedString(
        exported(bcd, 'Objects\\{9dea862c-5cdd-4e70-acc1-f32b344d4795}\\Elements\\23000003', 'Element'),
      );
      const dev = exported(bcd, `Objects\\${def}\\Elements\\11000001`, 'Element')?.bytes as Uint8Array;
      const diskGuid = Buffer.from(dev.subarray(0x38, 0x48)).toString('hex');
      const sfdiskGuid = Buffer.from(table.id.replace(/-/g, ''), 'hex');
      const stored = Buffer.concat([
        Buffer.from(sfdiskGuid.subarray(0, 4)).reverse(),
        Buffer.from(sfdiskGuid.subarray(4, 6)).reverse(),
        Buffer.from(sfdiskGuid.subarray(6, 8)).reverse(),
        sfdiskGuid.subarray(8),
      ]).toString('hex');
      expect(diskGuid).not.toBe(stored);
    },
  },
  'bcd-winload-missing': {
    fails: 'GUESTOS.BCD',
    truth: async (t) => {
      expect(await t.has('C', 'Windows/System32/winload.exe')).toBe(false);
    },
  },
  'bcd-winload-efi-missing': {
    fails: 'GUESTOS.BCD',
    truth: async (t) => {
      expect(await t.has('C', 'Windows/System32/winload.efi')).toBe(false);
    },
  },
  'registry-sam-missing': {
    fails: 'GUESTOS.Registry',
    truth: async (t) => {
      expect(await t.has('C', 'Windows/System32/config/SAM')).toBe(false);
    },
  },
  'registry-security-corrupt': {
    fails: 'GUESTOS.Registry',
    truth: async (t) => {
      const sec = await t.extract('C', 'Windows/System32/config/SECURITY');
      await expect(run('hivexregedit', ['--export', sec, '\\'])).rejects.toThrow();
    },
  },
  'registry-system-dirty': {
    fails: 'GUESTOS.Registry',
    truth: async (t) => {
      const sys = await t.extract('C', 'Windows/System32/config/SYSTEM');
      // Primary and secondary sequence numbers (base block +4, +8) as od prints them.
      const out = await run('od', ['-A', 'n', '-t', 'u4', '-j', '4', '-N', '8', sys]);
      const [a, b] = out.trim().split(/\s+/).map(Number);
      expect(a).not.toBe(b);
      expect(await t.has('C', 'Windows/System32/config/SYSTEM.LOG1')).toBe(false);
    },
  },
  'registry-ccs-unresolvable': {
    fails: 'GUESTOS.Registry',
    truth: async (t) => {
      expect(await t.dword('SYSTEM', 'Select', 'Current')).toBe(9);
      expect(await t.keyExists('SYSTEM', 'ControlSet009')).toBe(false);
    },
  },
  'sysprep-generalize-pending': {
    fails: 'GUESTOS.Sysprep',
    truth: async (t) => {
      expect(await t.dword('SYSTEM', 'Setup\\Status\\SysprepStatus', 'GeneralizationState')).toBe(4);
    },
  },
  'sysprep-setup-in-progress': {
    fails: 'GUESTOS.Sysprep',
    truth: async (t) => {
      expect(await t.dword('SYSTEM', 'Setup', 'SystemSetupInProgress')).toBe(1);
    },
  },
  'sysprep-setuperr': {
    fails: 'GUESTOS.Sysprep',
    truth: async (t) => {
      const log = await run('cat', [await t.extract('C', 'Windows/System32/Sysprep/Panther/setuperr.log')]);
      expect(log).toMatch(/, Error +SYSPRP/);
    },
  },
  'xen-active': {
    fails: 'GUESTOS.Xen',
    truth: async (t) => {
      expect(await t.dword('SYSTEM', `${SVC}\\xenbus`, 'Start')).toBe(0);
    },
  },
  'xen-inactive': {
    passes: 'GUESTOS.Xen',
    truth: async (t) => {
      expect(await t.dword('SYSTEM', `${SVC}\\xenbus`, 'Start')).toBe(4);
    },
  },
  'no-cloud-assistant': {
    fails: 'GUESTOS.CloudAssistant',
    truth: async (t) => {
      expect(await t.keyExists('SYSTEM', `${SVC}\\AliyunService`)).toBe(false);
    },
  },
  'hotfix-cbs-reboot-pending': {
    fails: 'GUESTOS.Hotfix',
    truth: async (t) => {
      expect(await t.keyExists('SOFTWARE', `${CBS}\\RebootPending`)).toBe(true);
    },
  },
  'hotfix-packages-pending': {
    fails: 'GUESTOS.Hotfix',
    truth: async (t) => {
      expect(await t.keyExists('SOFTWARE', `${CBS}\\PackagesPending`)).toBe(true);
    },
  },
  'hotfix-pending-xml': {
    fails: 'GUESTOS.Hotfix',
    truth: async (t) => {
      expect(await t.has('C', 'Windows/WinSxS/pending.xml')).toBe(true);
    },
  },
  'hotfix-win7-no-sha2': {
    fails: 'GUESTOS.Hotfix',
    truth: async (t) => {
      const cv = 'Microsoft\\Windows NT\\CurrentVersion';
      expect(exportedString(exported(await t.hive('SOFTWARE', [cv]), cv, 'CurrentVersion'))).toBe('6.1');
      const pk = await t.hive('SOFTWARE', [`${CBS}\\Packages`]);
      expect([...pk.keys()].some((k) => k.includes('kb4474419'))).toBe(false);
    },
  },
  'win7-bios-sha2': {
    passes: 'GUESTOS.Hotfix',
    truth: async (t) => {
      const key = `${CBS}\\Packages\\Package_for_KB4474419~31bf3856ad364e35~x86~~6.1.3.2`;
      expect(await t.dword('SOFTWARE', key, 'CurrentState')).toBe(0x70);
    },
  },
  'update-reboot-required': {
    fails: 'GUESTOS.Update',
    truth: async (t) => {
      expect(
        await t.keyExists(
          'SOFTWARE',
          'Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired',
        ),
      ).toBe(true);
    },
  },
  'update-pending-renames': {
    fails: 'GUESTOS.Update',
    truth: async (t) => {
      const sm = 'ControlSet001\\Control\\Session Manager';
      expect(exported(await t.hive('SYSTEM', [sm]), sm, 'PendingFileRenameOperations')?.type).toBe(7);
    },
  },
  'server-device-install-disabled': {
    fails: 'GUESTOS.Server',
    truth: async (t) => {
      expect(await t.dword('SYSTEM', `${SVC}\\DeviceInstall\\Parameters`, 'DeviceInstallDisabled')).toBe(1);
    },
  },
  'server-device-install-policy': {
    fails: 'GUESTOS.Server',
    truth: async (t) => {
      expect(
        await t.dword(
          'SOFTWARE',
          'Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions',
          'DenyUnspecified',
        ),
      ).toBe(1);
    },
  },
  'server-plugplay-disabled': {
    fails: 'GUESTOS.Server',
    truth: async (t) => {
      expect(await t.dword('SYSTEM', `${SVC}\\PlugPlay`, 'Start')).toBe(4);
    },
  },
  'no-desktop-ini': {
    fails: 'GUESTOS.DesktopConfig',
    truth: async (t) => {
      expect(await t.has('C', 'Users/Public/Desktop/desktop.ini')).toBe(false);
    },
  },
  'disk-residual-filter': {
    fails: 'GUESTOS.Disk',
    truth: async (t) => {
      const cls = 'ControlSet001\\Control\\Class\\{4d36e967-e325-11ce-bfc1-08002be10318}';
      const v = exported(await t.hive('SYSTEM', [cls]), cls, 'UpperFilters');
      expect(Buffer.from(v?.bytes ?? []).toString('utf16le')).toContain('avfilter');
      expect(await t.keyExists('SYSTEM', `${SVC}\\avfilter`)).toBe(false);
    },
  },
  'disk-boot-driver-file-missing': {
    fails: 'GUESTOS.Disk',
    truth: async (t) => {
      expect(await t.dword('SYSTEM', `${SVC}\\oldstor`, 'Start')).toBe(0);
      expect(await t.has('C', 'Windows/System32/drivers/oldstor.sys')).toBe(false);
    },
  },
  'bootmgr-missing-bios': {
    fails: 'GUESTOS.BootMgr',
    truth: async (t) => {
      expect(await t.has('S', 'bootmgr')).toBe(false);
    },
  },
  'bootmgfw-missing-uefi': {
    fails: 'GUESTOS.BootMgr',
    truth: async (t) => {
      expect(await t.has('S', 'EFI/Microsoft/Boot/bootmgfw.efi')).toBe(false);
    },
  },
};

const GOOD: WindowsImageName[] = [
  'good-bios',
  'good-uefi',
  'good-bios-qcow2',
  'good-uefi-vhdx',
  'good-uefi-vmdk',
  'good-server-bios',
  'good-win10-22h2-uefi',
];

async function check(img: WindowsImage): Promise<Report> {
  const r = await imagecheck(['check', img.path, '--format', 'json']);
  if (r.code !== 0 && r.code !== 1) throw new Error(`imagecheck exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}
const item = (report: Report, name: string): Item => {
  const i = report.items.find((x) => x.name === name && x.pack === 'windows');
  if (!i) throw new Error(`no ${name} in the report`);
  return i;
};

describe.skipIf(!ready)('imagecheck check on the Windows-shaped images', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'imagecheck-win-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  for (const name of GOOD) {
    it(`${name}: a Windows root, only Windows items, none failing`, async () => {
      const img = await buildWindowsImage(WINDOWS_IMAGES[name]);
      const report = await check(img);
      expect(report.image.os).toBe('windows');
      // `facts` shows the Windows root and C: from MountedDevices, on the partition fls finds config\SYSTEM in.
      const truth = new Truth(img, tmp);
      expect(await truth.has('C', 'Windows/System32/config/SYSTEM')).toBe(true);
      const cPart =
        (await sfdisk(img.rawPath)).partitions.findIndex((p) => p.start === truth.sector('C')) + 1;
      const f = await imagecheck(['facts', img.path, '--json']);
      expect(f.code).toBe(0);
      const facts = JSON.parse(f.stdout) as { roots: unknown[]; mounts: unknown[] };
      expect(facts.roots).toEqual([
        expect.objectContaining({ filesystem: `p${cPart}`, os: 'windows', primary: true }),
      ]);
      expect(facts.mounts).toEqual([{ mountpoint: '/', filesystem: `p${cPart}`, spec: '\\DosDevices\\C:' }]);
      expect(report.items.length).toBeGreaterThanOrEqual(13);
      expect(report.items.every((i) => i.pack === 'windows')).toBe(true);
      const bad = report.items.filter((i) => !['pass', 'info'].includes(i.status));
      expect(bad).toEqual([]);
      // The values of the info items, against hivexregedit and exiftool.
      const cv = 'Microsoft\\Windows NT\\CurrentVersion';
      const sw = await truth.hive('SOFTWARE', [cv]);
      const str = (n: string) => exportedString(exported(sw, cv, n));
      const major = exportedDword(exported(sw, cv, 'CurrentMajorVersionNumber'));
      const minor = exportedDword(exported(sw, cv, 'CurrentMinorVersionNumber'));
      const ubr = exportedDword(exported(sw, cv, 'UBR'));
      expect(item(report, 'GUESTOS.OSVersion').value).toBe(
        `${str('ProductName')} ${major}.${minor}.${str('CurrentBuildNumber')}.${ubr}`,
      );
      expect(item(report, 'GUESTOS.OSVersion').message).toContain(
        `feature update ${str('DisplayVersion') ?? str('ReleaseId')}`,
      );
      expect(item(report, 'GUESTOS.KernelVersion').value).toBe(
        await exifFileVersion(await truth.extract('C', 'Windows/System32/ntoskrnl.exe')),
      );
      expect(item(report, 'GUESTOS.Architecture').value).toBe('x86_64');
      expect(item(report, 'GUESTOS.BootMode').value).toBe(img.boot);
    });
  }

  it('good-server-bios: OSVersion is the product name and build.UBR', async () => {
    const report = await check(await buildWindowsImage(WINDOWS_IMAGES['good-server-bios']));
    expect(item(report, 'GUESTOS.OSVersion').value).toBe('Windows Server 2019 Datacenter 10.0.17763.5458');
    expect(item(report, 'GUESTOS.Platform').message).toContain('installation type Server');
  });

  it('win7-bios-sha2: a 32-bit Windows 7 is i386 and fails nothing high', async () => {
    const img = await buildWindowsImage(WINDOWS_IMAGES['win7-bios-sha2']);
    const report = await check(img);
    expect(item(report, 'GUESTOS.Architecture').value).toBe('i386');
    const out = await run('exiftool', [
      '-s3',
      '-MachineType',
      await new Truth(img, tmp).extract('C', 'Windows/System32/ntoskrnl.exe'),
    ]);
    expect(out).toMatch(/386/);
    expect(report.items.filter((i) => i.status === 'fail' && i.riskLevel === 'high')).toEqual([]);
  });

  for (const [name, c] of Object.entries(CASES) as [
    WindowsImageName,
    NonNullable<(typeof CASES)[WindowsImageName]>,
  ][]) {
    const target = c.fails ?? c.passes;
    it(`${name}: ${target} ${c.fails ? 'fails' : 'passes'}`, async () => {
      const img = await buildWindowsImage(WINDOWS_IMAGES[name]);
      await c.truth(new Truth(img, tmp));
      const report = await check(img);
      expect(report.items.every((i) => i.pack === 'windows')).toBe(true);
      const got = item(report, target as string);
      expect(got.status, got.message).toBe(c.fails ? 'fail' : 'pass');
    });
  }
});

describe.skipIf(!ready)('imagecheck on a Linux image runs no Windows item', () => {
  it('the sample Linux image', async () => {
    const { sampleImage } = await import('./helpers.js');
    const r = await imagecheck(['check', sampleImage, '--format', 'json']);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.image.os).toBe('linux');
    expect(report.items.length).toBeGreaterThan(0);
    expect(report.items.filter((i) => i.pack === 'windows')).toEqual([]);
    expect(
      report.items.filter((i) => i.status === 'skipped' && /rule is for windows/.test(i.message)),
    ).toEqual([]);
  });
});
