/**
 * The full Linux check (native backend, this plugin, the built-in pack) over real disk images of
 * the families built by families.ts: each image gets the verdicts its layout gets as a memory
 * guest, now read through real partition tables, LVM, XFS, ext4, btrfs and FAT.
 */
import type { Evidence, Report, ReportItem } from '@imagecheck/sdk';
import { requireTools } from '@imagecheck/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '../images/check.js';
import {
  buildFamilyImages,
  canBuildFamilies,
  FAMILY_NAMES,
  FAULT_NAMES,
  type FamilyImages,
  type FamilyName,
  type FaultName,
  GHOST_UUID,
  type ImageName,
} from './families.js';

interface Expected {
  readonly platform: string;
  readonly osVersion: string;
  readonly kernel: (images: FamilyImages) => string;
  readonly bootMode: 'bios' | 'uefi-and-bios';
  /** The OS root as SystemImage names it. */
  readonly root: string;
  readonly grubCfg: string;
  /** Files the Grub item must name besides grub.cfg (BLS entry, grubenv). */
  readonly grubEvidence?: (images: FamilyImages) => readonly string[];
  readonly dhcp: { readonly value: string; readonly path: string; readonly line?: number };
  readonly selinux: { readonly status: 'pass' | 'warn' | 'fail'; readonly value: string };
  /** The initramfs Virtio must cite, when the drivers are modules loaded from it. */
  readonly initramfs?: (images: FamilyImages) => string;
  readonly fstabMounted: number;
}

const ROCKY_KVER = (i: FamilyImages) => i.dracut?.kver ?? '5.14.0-362.8.1.el9_3.x86_64';

const EXPECTED: Record<FamilyName, Expected> = {
  centos7: {
    platform: 'Linux centos (CentOS Linux)',
    osVersion: 'CentOS Linux 7 (Core) (7.9.2009)',
    kernel: () => '3.10.0-1160.el7.x86_64',
    bootMode: 'bios',
    root: 'lvm/centos/root',
    grubCfg: '/boot/grub2/grub.cfg',
    dhcp: { value: 'eth0: dhcp (ifcfg-rh)', path: '/etc/sysconfig/network-scripts/ifcfg-eth0', line: 2 },
    selinux: { status: 'warn', value: 'permissive' },
    initramfs: () => '/boot/initramfs-3.10.0-1160.el7.x86_64.img',
    fstabMounted: 2,
  },
  rocky9: {
    platform: 'Linux rocky (Rocky Linux)',
    osVersion: 'Rocky Linux 9.4 (Blue Onyx) (9.4)',
    kernel: ROCKY_KVER,
    bootMode: 'uefi-and-bios',
    root: 'lvm/rl/root',
    grubCfg: '/boot/grub2/grub.cfg',
    grubEvidence: (i) => [
      `/boot/loader/entries/2f6c9f1c4b7a4b1e8d7e6e6c5f0a9b3d-${ROCKY_KVER(i)}.conf`,
      '/boot/grub2/grubenv',
      '/boot/efi/EFI/rocky/grub.cfg',
    ],
    dhcp: {
      value: 'eth0: dhcp (networkmanager)',
      path: '/etc/NetworkManager/system-connections/eth0.nmconnection',
      line: 10,
    },
    selinux: { status: 'fail', value: 'enforcing' },
    initramfs: (i) => `/boot/initramfs-${ROCKY_KVER(i)}.img`,
    fstabMounted: 3,
  },
  alinux3: {
    platform: 'Linux alinux (Alibaba Cloud Linux)',
    osVersion: 'Alibaba Cloud Linux 3 (Soaring Falcon) (3)',
    kernel: () => '5.10.134-16.al8.x86_64',
    bootMode: 'bios',
    root: 'p2',
    grubCfg: '/boot/grub2/grub.cfg',
    grubEvidence: () => [
      '/boot/loader/entries/2f6c9f1c4b7a4b1e8d7e6e6c5f0a9b3d-5.10.134-16.al8.x86_64.conf',
      '/boot/grub2/grubenv',
    ],
    dhcp: { value: 'eth0: dhcp (ifcfg-rh)', path: '/etc/sysconfig/network-scripts/ifcfg-eth0', line: 2 },
    selinux: { status: 'pass', value: 'disabled' },
    fstabMounted: 1,
  },
  opensuse15: {
    platform: 'Linux opensuse-leap (openSUSE Leap)',
    osVersion: 'openSUSE Leap 15.6 (15.6)',
    kernel: () => '6.4.0-150600.23.25-default',
    bootMode: 'bios',
    root: 'p2',
    grubCfg: '/boot/grub2/grub.cfg',
    dhcp: { value: 'eth0: dhcp (ifcfg-suse)', path: '/etc/sysconfig/network/ifcfg-eth0', line: 1 },
    selinux: { status: 'pass', value: 'disabled' },
    initramfs: () => '/boot/initrd-6.4.0-150600.23.25-default',
    fstabMounted: 1,
  },
  ubuntu2404: {
    platform: 'Linux ubuntu (Ubuntu)',
    osVersion: 'Ubuntu 24.04.1 LTS (24.04)',
    kernel: () => '6.8.0-31-generic',
    bootMode: 'uefi-and-bios',
    root: 'p3',
    grubCfg: '/boot/grub/grub.cfg',
    grubEvidence: () => ['/boot/efi/EFI/ubuntu/grub.cfg'],
    dhcp: { value: 'ens3: dhcp (netplan)', path: '/etc/netplan/01-netcfg.yaml', line: 6 },
    selinux: { status: 'pass', value: 'disabled' },
    fstabMounted: 2,
  },
  alpine320: {
    platform: 'Linux alpine (Alpine Linux)',
    osVersion: 'Alpine Linux v3.20 (3.20.3)',
    kernel: () => '6.6.31-0-virt',
    bootMode: 'bios',
    root: 'p1',
    grubCfg: '/boot/grub/grub.cfg',
    dhcp: { value: 'eth0: dhcp (ifupdown)', path: '/etc/network/interfaces', line: 5 },
    selinux: { status: 'pass', value: 'disabled' },
    initramfs: () => '/boot/initramfs-virt',
    fstabMounted: 1,
  },
};

interface Fault {
  readonly twin: FamilyName;
  readonly item: string;
  readonly status: 'fail' | 'warn';
  readonly path: string;
  /** The line of `path` the evidence must name, when the item names one. */
  readonly line?: number;
}

/** Each fault image differs from its good twin in exactly this item, with this evidence. */
const FAULTS: Record<FaultName, Fault> = {
  'centos7-static-ip': {
    twin: 'centos7',
    item: 'GUESTOS.Dhcp',
    status: 'fail',
    path: '/etc/sysconfig/network-scripts/ifcfg-eth0',
    line: 2,
  },
  'rocky9-fstab-ghost': {
    twin: 'rocky9',
    item: 'GUESTOS.Fstab',
    status: 'fail',
    path: '/etc/fstab',
    line: 4,
  },
  'alinux3-selinux-enforcing': {
    twin: 'alinux3',
    item: 'GUESTOS.Selinux',
    status: 'fail',
    path: '/etc/selinux/config',
    line: 1,
  },
  'opensuse15-rtc-local': {
    twin: 'opensuse15',
    item: 'GUESTOS.RtcTimeMode',
    status: 'fail',
    path: '/etc/adjtime',
    line: 3,
  },
  'ubuntu2404-netplan-static': {
    twin: 'ubuntu2404',
    item: 'GUESTOS.Dhcp',
    status: 'fail',
    path: '/etc/netplan/01-netcfg.yaml',
  },
  'alpine320-initramfs-novirtio': {
    twin: 'alpine320',
    item: 'GUESTOS.Virtio',
    status: 'fail',
    path: '/boot/initramfs-virt',
  },
};

/** High-risk and cloud items every family image passes (CentOS 7's cloud-init: see below). */
const MUST_PASS = [
  'GUESTOS.SystemImage',
  'GUESTOS.Fstab',
  'GUESTOS.Grub',
  'GUESTOS.Virtio',
  'GUESTOS.Nvme',
  'GUESTOS.Dhcp',
  'GUESTOS.RtcTimeMode',
  'GUESTOS.SupportMocInstanceTypes',
] as const;

function item(report: Report, name: string): ReportItem {
  const found = report.items.find((i) => i.name === name);
  if (found === undefined) throw new Error(`the report has no ${name}`);
  return found;
}
const describeItem = (i: ReportItem) => `${i.name}: ${i.status} (${i.value}) ${i.message}`;
const files = (i: ReportItem): Evidence[] => i.evidence.filter((e) => e.kind === 'file');

describe.skipIf(!canBuildFamilies())('family images through the whole stack', () => {
  let images: FamilyImages;
  const reports = new Map<ImageName, Report>();
  const report = async (name: ImageName): Promise<Report> => {
    let r = reports.get(name);
    if (r === undefined) {
      r = (await checkImage(images.paths[name])).report;
      reports.set(name, r);
    }
    return r;
  };

  beforeAll(async () => {
    images = await buildFamilyImages();
  }, 300_000);

  describe.each(FAMILY_NAMES)('%s', (name) => {
    const e = EXPECTED[name];

    it('decides every item (no errors) and passes the boot, storage and network items', async () => {
      const r = await report(name);
      expect(r.items.filter((i) => i.status === 'error').map(describeItem)).toEqual([]);
      for (const id of MUST_PASS) expect(item(r, id).status, describeItem(item(r, id))).toBe('pass');
    });

    it('reports platform, version, architecture, kernel and boot mode', async () => {
      const r = await report(name);
      expect(item(r, 'GUESTOS.Platform')).toMatchObject({ status: 'info', value: e.platform });
      expect(item(r, 'GUESTOS.OSVersion')).toMatchObject({ status: 'info', value: e.osVersion });
      expect(item(r, 'GUESTOS.Architecture')).toMatchObject({ status: 'info', value: 'x86_64' });
      expect(item(r, 'GUESTOS.KernelVersion')).toMatchObject({ status: 'info', value: e.kernel(images) });
      expect(item(r, 'GUESTOS.BootMode')).toMatchObject({ status: 'info', value: e.bootMode });
      expect(item(r, 'GUESTOS.SystemImage').message).toContain(`OS root ${e.root},`);
    });

    it('Grub resolves the default entry from the real configuration files', async () => {
      const g = item(await report(name), 'GUESTOS.Grub');
      expect(g.value).toBe(`grub2 ${e.grubCfg}`);
      expect(g.message).toContain(`loads /${name === 'centos7' || name === 'rocky9' ? '' : 'boot/'}`);
      expect(g.message).toContain(e.kernel(images) === '6.6.31-0-virt' ? 'vmlinuz-virt' : e.kernel(images));
      const paths = files(g).map((f) => f.path);
      expect(paths).toContain(e.grubCfg);
      for (const p of e.grubEvidence?.(images) ?? []) expect(paths).toContain(p);
    });

    it('Dhcp reads the family’s own network configuration', async () => {
      const d = item(await report(name), 'GUESTOS.Dhcp');
      expect(d).toMatchObject({ status: 'pass', value: e.dhcp.value });
      const at = files(d).find((f) => f.path === e.dhcp.path);
      expect(at, JSON.stringify(d.evidence)).toBeDefined();
      if (e.dhcp.line !== undefined) expect(at?.line).toBe(e.dhcp.line);
    });

    it('Selinux follows /etc/selinux/config', async () => {
      const s = item(await report(name), 'GUESTOS.Selinux');
      expect(s, describeItem(s)).toMatchObject(e.selinux);
      if (e.selinux.value !== 'disabled' || name === 'alinux3')
        expect(files(s).map((f) => [f.path, f.line])).toContainEqual(['/etc/selinux/config', 1]);
    });

    it('Fstab resolves every entry against the image’s filesystems', async () => {
      expect(item(await report(name), 'GUESTOS.Fstab').value).toBe(
        `mounted at boot: ${e.fstabMounted}, with problems: 0`,
      );
    });

    // Alibaba Cloud Linux and Ubuntu build virtio into the kernel: no initramfs evidence to check.
    if (e.initramfs !== undefined)
      it('Virtio finds the drivers in the initramfs', async () => {
        const v = item(await report(name), 'GUESTOS.Virtio');
        expect(v.value).toMatch(/virtio_blk=module\(initramfs\)/);
        expect(files(v).map((f) => f.path)).toContain(e.initramfs?.(images));
      });

    // CentOS 7 ships cloud-init for Python 2.7 (/usr/lib/python2.7/site-packages/cloudinit).
    it('CloudInit and OnlineResizeFS pass', async () => {
      const r = await report(name);
      expect(item(r, 'GUESTOS.CloudInit').status, describeItem(item(r, 'GUESTOS.CloudInit'))).toBe('pass');
      expect(item(r, 'GUESTOS.OnlineResizeFS').status).toBe('pass');
    });
  });

  it.skipIf(!requireTools('dracut'))('the Rocky 9 initramfs is a real dracut image', async () => {
    const kver = images.dracut?.kver;
    expect(kver).toBeDefined();
    const v = item(await report('rocky9'), 'GUESTOS.Virtio');
    expect(v.value).toContain(`${kver}: virtio_blk=module(initramfs)`);
  });

  describe.each(FAULT_NAMES)('%s', (name) => {
    const f = FAULTS[name];

    it(`differs from ${f.twin} in exactly ${f.item}`, async () => {
      const good = await report(f.twin);
      const bad = await report(name);
      const changed = Object.fromEntries(
        bad.items
          .filter((i) => good.items.find((g) => g.name === i.name)?.status !== i.status)
          .map((i) => [i.name, i.status]),
      );
      expect(changed).toEqual({ [f.item]: f.status });
    });

    it(`${f.item} names the faulty file${f.line === undefined ? '' : ' and line'} and carries a repair`, async () => {
      const i = item(await report(name), f.item);
      expect(i.repair?.text ?? '').not.toBe('');
      const at = files(i).filter((e) => e.path === f.path);
      expect(at.length, JSON.stringify(i.evidence)).toBeGreaterThan(0);
      if (f.line !== undefined) expect(at.map((e) => e.line)).toContain(f.line);
      if (name === 'rocky9-fstab-ghost')
        expect(`${i.message} ${JSON.stringify(i.findings ?? [])}`).toContain(GHOST_UUID);
    });
  });
});
