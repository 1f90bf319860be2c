import { fileURLToPath } from 'node:url';
import { loadPack, type ReportItem, runCheck } from '@imagecheck/sdk';
import { createMemoryGuest, type MemoryGuestDescription } from '@imagecheck/sdk/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { areas } from '../storage/helpers.js';

/**
 * The storage, network and cloud collectors with the built-in pack's rules for them, over whole
 * guests laid out as the distributions lay them out: the verdicts a user of `imagecheck check` sees.
 */

const PACK_DIR = fileURLToPath(new URL('../../../../rules/linux', import.meta.url));
const MINE = [
  'GUESTOS.Fstab',
  'GUESTOS.Dhcp',
  'GUESTOS.OnlineResizeFS',
  'GUESTOS.CloudInit',
  'GUESTOS.CloudAssistant',
  'GUESTOS.SecurityCenterAgent',
];
let pack: Awaited<ReturnType<typeof loadPack>>;
beforeAll(async () => {
  pack = await loadPack(PACK_DIR);
});

async function check(d: MemoryGuestDescription): Promise<Record<string, ReportItem>> {
  const report = await runCheck({
    access: createMemoryGuest(d),
    packs: [pack],
    plugins: [areas],
    select: { only: MINE },
  });
  return Object.fromEntries(report.items.map((i) => [i.name, i]));
}

const link = (target: string) => ({ symlink: target });
const ROOT = '3f9a6c52-61f4-4b8e-9d0c-1f6a2b7c8d90';
const ESP = '7A1B-2C3D';

function debian12(files: Record<string, unknown> = {}): MemoryGuestDescription {
  return {
    partitions: [{ type: 'EF00' }, { type: '8300' }],
    filesystems: [
      { id: 'p1', type: 'vfat', uuid: ESP, mount: '/boot/efi', files: {} },
      {
        id: 'p2',
        type: 'ext4',
        uuid: ROOT,
        mount: '/',
        files: {
          '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
          '/etc/fstab': `# /etc/fstab\nUUID=${ROOT} / ext4 rw,discard,errors=remount-ro,x-systemd.growfs 0 1\nUUID=${ESP} /boot/efi vfat defaults 0 0\n`,
          '/etc/network/interfaces':
            'source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n',
          '/etc/network/interfaces.d/50-cloud-init': 'auto eth0\nallow-hotplug eth0\niface eth0 inet dhcp\n',
          '/lib/systemd/system/networking.service': '[Unit]\n',
          '/etc/systemd/system/multi-user.target.wants/networking.service': link(
            '/lib/systemd/system/networking.service',
          ),
          '/usr/bin/cloud-init': { content: '#!/usr/bin/python3\n', mode: 0o755 },
          '/usr/lib/python3/dist-packages/cloudinit/version.py': '__VERSION__ = "22.4.2"\n',
          '/usr/bin/growpart': { content: '#!/bin/sh\n', mode: 0o755 },
          '/etc/cloud/cloud.cfg': 'cloud_init_modules:\n - growpart\n - resizefs\n - users-groups\n',
          ...Object.fromEntries(
            ['cloud-init-local', 'cloud-init', 'cloud-config', 'cloud-final'].flatMap((u) => [
              [`/lib/systemd/system/${u}.service`, '[Unit]\n'],
              [
                `/etc/systemd/system/cloud-init.target.wants/${u}.service`,
                link(`/lib/systemd/system/${u}.service`),
              ],
            ]),
          ),
          ...files,
        } as never,
      },
    ],
  };
}

describe('storage, network and cloud items end to end', () => {
  it('a good Debian 12 cloud image passes, and lacks only the vendor agents', async () => {
    const r = await check(debian12());
    expect(Object.fromEntries(MINE.map((id) => [id, r[id]?.status]))).toEqual({
      'GUESTOS.Fstab': 'pass',
      'GUESTOS.Dhcp': 'pass',
      'GUESTOS.OnlineResizeFS': 'pass',
      'GUESTOS.CloudInit': 'pass',
      'GUESTOS.CloudAssistant': 'fail',
      'GUESTOS.SecurityCenterAgent': 'fail',
    });
    // interfaces.d/50-cloud-init is cloud-init's own output: it is rewritten on the new instance.
    expect(r['GUESTOS.Dhcp']?.message).toBe(
      'The primary interface gets its address by DHCP: any Ethernet NIC: dhcp (cloud-init), /etc/cloud/cloud.cfg.',
    );
    expect(r['GUESTOS.OnlineResizeFS']?.value).toBe('cloud-init, systemd-growfs');
  });

  it('the faults of a hand-made image each fail their item, with file and line', async () => {
    const r = await check(
      debian12({
        '/etc/fstab': `UUID=${ROOT} / ext4 defaults 0 1\nUUID=0badc0de-0000-4000-8000-000000000000 /srv ext4 defaults 0 2\n/dev/sda1 /boot/efi vfat defaults 0 0\n`,
        '/etc/network/interfaces.d/50-cloud-init':
          'auto eth0\niface eth0 inet static\n  address 10.0.0.4/24\n',
        '/etc/cloud/cloud-init.disabled': '',
      }),
    );
    expect(r['GUESTOS.Fstab']).toMatchObject({ status: 'fail', riskLevel: 'high' });
    expect(r['GUESTOS.Fstab']?.findings?.map((f) => [f.messageId, f.status, f.evidence[0]?.line])).toEqual([
      ['unresolved', 'fail', 2],
      ['kernelName', 'warn', 3],
    ]);
    // The repair rewrites the kernel name to the UUID it resolves to, and leaves the unresolved line alone.
    expect(r['GUESTOS.Fstab']?.repair?.script?.content).toContain(`spec='UUID=${ESP}'`);
    expect(r['GUESTOS.Fstab']?.repair?.script?.content).not.toContain('0badc0de');
    expect(r['GUESTOS.Dhcp']).toMatchObject({
      status: 'fail',
      findings: [
        { messageId: 'staticOnly', evidence: [{ path: '/etc/network/interfaces.d/50-cloud-init', line: 2 }] },
      ],
    });
    expect(r['GUESTOS.CloudInit']).toMatchObject({
      status: 'fail',
      findings: [{ messageId: 'disabledByFile' }],
    });
    // This fstab drops x-systemd.growfs, so nothing else grows the root either.
    expect(r['GUESTOS.OnlineResizeFS']).toMatchObject({ status: 'fail', riskLevel: 'low' });
  });

  it('Alibaba Cloud Linux 3: ifcfg with NetworkManager, cloud-init from RPM, both agents', async () => {
    const r = await check({
      partitions: [{ type: '0x83', bootable: true }],
      filesystems: [
        {
          id: 'p1',
          type: 'ext4',
          uuid: ROOT,
          mount: '/',
          files: {
            '/etc/os-release':
              'NAME="Alibaba Cloud Linux"\nVERSION="3 (OpenAnolis Edition)"\nID="alinux"\nID_LIKE="rhel fedora centos anolis"\nVERSION_ID="3"\n',
            '/etc/fstab': `UUID=${ROOT} / ext4 defaults 1 1\n`,
            '/usr/lib/systemd/system/NetworkManager.service': '[Unit]\n',
            '/etc/systemd/system/multi-user.target.wants/NetworkManager.service': link(
              '/usr/lib/systemd/system/NetworkManager.service',
            ),
            '/etc/sysconfig/network-scripts/ifcfg-eth0':
              'BOOTPROTO=dhcp\nDEVICE=eth0\nONBOOT=yes\nSTARTMODE=auto\nTYPE=Ethernet\nUSERCTL=no\n',
            '/usr/bin/cloud-init': { content: '#!/usr/libexec/platform-python\n', mode: 0o755 },
            '/usr/lib/python3.6/site-packages/cloudinit/version.py': '__VERSION__ = "19.1.17"\n',
            '/usr/bin/growpart': { content: '#!/bin/sh\n', mode: 0o755 },
            '/etc/cloud/cloud.cfg':
              'cloud_init_modules:\n - disk_setup\n - migrator\n - bootcmd\n - write-files\n - growpart\n - resizefs\n',
            ...Object.fromEntries(
              ['cloud-init-local', 'cloud-init', 'cloud-config', 'cloud-final'].flatMap((u) => [
                [`/usr/lib/systemd/system/${u}.service`, '[Unit]\n'],
                [
                  `/etc/systemd/system/multi-user.target.wants/${u}.service`,
                  link(`/usr/lib/systemd/system/${u}.service`),
                ],
              ]),
            ),
            '/usr/local/share/aliyun-assist/2.5.3.606/aliyun-service': { content: '\x7fELF', mode: 0o755 },
            '/etc/systemd/system/aliyun.service': '[Unit]\nDescription=aliyun-assist\n',
            '/etc/systemd/system/multi-user.target.wants/aliyun.service': link(
              '/etc/systemd/system/aliyun.service',
            ),
            '/usr/local/aegis/aegis_client/aegis_11_91/AliYunDun': { content: '\x7fELF', mode: 0o755 },
          } as never,
        },
      ],
    });
    expect(Object.fromEntries(MINE.map((id) => [id, r[id]?.status]))).toEqual(
      Object.fromEntries(MINE.map((id) => [id, 'pass'])),
    );
    expect(r['GUESTOS.CloudAssistant']?.value).toBe('2.5.3.606');
    expect(r['GUESTOS.CloudInit']?.value).toBe('19.1.17');
  });

  it('an image with no OS root: every item is error, never a pass', async () => {
    const r = await check({
      partitions: [{ type: '8300' }],
      filesystems: [{ id: 'p1', type: 'ext4', files: { '/data/x': 'x' } }],
    });
    for (const id of MINE) expect(r[id]?.status).toMatch(/error|skipped/);
  });
});
