/**
 * Realistic reports for the renderer tests, written as the engine would produce them for real
 * images: a CentOS 7.9 qcow2 that fails (findings with file:line evidence, a waiver, an error,
 * a skipped item, repair text and scripts), an Ubuntu 22.04 image that passes and gets its tags,
 * a Windows Server image with a residual Xen driver (registry evidence, a PowerShell repair),
 * and an image that could not be opened. Not exported from the package.
 */
import { FormatError } from '@imagecheck/access';
import { createReport, unopenedReport } from '../create.js';
import type { Report, ReportItem } from '../types.js';

const tool = { name: 'imagecheck', version: '0.1.0' };
const now = new Date('2026-09-01T10:00:00.000Z');

const centosItems: ReportItem[] = [
  {
    name: 'GUESTOS.Platform',
    title: 'Operating system platform',
    pack: 'linux',
    status: 'info',
    riskLevel: 'low',
    value: 'Linux',
    message: 'CentOS Linux (centos)',
    evidence: [{ kind: 'file', path: '/etc/os-release', line: 1, excerpt: 'NAME="CentOS Linux"' }],
  },
  {
    name: 'GUESTOS.OSVersion',
    pack: 'linux',
    status: 'pass',
    riskLevel: 'high',
    value: 'CentOS Linux 7.9.2009 (Core)',
    message: 'CentOS Linux 7.9.2009 (Core) is supported',
    evidence: [
      { kind: 'file', path: '/etc/centos-release', line: 1, excerpt: 'CentOS Linux release 7.9.2009 (Core)' },
    ],
  },
  {
    name: 'GUESTOS.KernelVersion',
    pack: 'linux',
    status: 'pass',
    riskLevel: 'high',
    value: '3.10.0-1160.el7.x86_64',
    message: 'default kernel 3.10.0-1160.el7.x86_64 with /lib/modules/3.10.0-1160.el7.x86_64',
    evidence: [
      {
        kind: 'file',
        path: '/boot/grub2/grubenv',
        line: 2,
        excerpt: 'saved_entry=CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)',
      },
    ],
    durationMs: 4.2,
  },
  {
    name: 'GUESTOS.Fstab',
    title: 'Every /etc/fstab entry mounted at boot resolves to a filesystem in the image',
    pack: 'linux',
    status: 'fail',
    riskLevel: 'high',
    value: '2 of 4 entries do not resolve',
    message: '/etc/fstab has entries that will not mount on the instance',
    evidence: [{ kind: 'file', path: '/etc/fstab' }],
    findings: [
      {
        assertion: 'source-resolvable',
        status: 'fail',
        riskLevel: 'high',
        messageId: 'sourceUnresolved',
        message: 'UUID=deadbeef-0000-4000-8000-000000000001 (/data) matches no filesystem in the image',
        evidence: [
          {
            kind: 'file',
            path: '/etc/fstab',
            line: 10,
            excerpt: 'UUID=deadbeef-0000-4000-8000-000000000001 /data xfs defaults 0 0',
          },
        ],
        values: { 'entry.spec': 'UUID=deadbeef-0000-4000-8000-000000000001', 'entry.mountpoint': '/data' },
        fingerprint: '3f2a9c0d8e7b6a51',
      },
      {
        assertion: 'stable-device-names',
        status: 'warn',
        riskLevel: 'medium',
        messageId: 'kernelDeviceName',
        message: '/dev/sdb1 is a kernel device name; on KVM the disk is vdb or nvme1n1',
        evidence: [
          { kind: 'file', path: '/etc/fstab', line: 11, excerpt: '/dev/sdb1 /backup ext4 defaults 0 2' },
        ],
        fingerprint: '91c04e2b7d35aa08',
      },
    ],
    repair: {
      text: 'Replace device names with `UUID=` values shown by `blkid`, and add `nofail` to entries for disks the instance may not have.\nNever comment out the root (`/`) entry.',
      script: {
        language: 'bash',
        content:
          "sed -i.imagecheck -E '/^UUID=deadbeef-0000-4000-8000-000000000001[[:space:]]/ s/defaults/defaults,nofail/' /etc/fstab",
        runIn: 'instance',
      },
    },
    durationMs: 1.5,
  },
  {
    name: 'GUESTOS.Selinux',
    pack: 'linux',
    status: 'waived',
    riskLevel: 'medium',
    value: 'enforcing',
    message: 'SELinux is enforcing',
    evidence: [{ kind: 'file', path: '/etc/selinux/config', line: 7, excerpt: 'SELINUX=enforcing' }],
    findings: [
      {
        assertion: 'not-enforcing',
        status: 'fail',
        riskLevel: 'medium',
        messageId: 'enforcing',
        message: 'SELinux is enforcing (targeted policy)',
        evidence: [{ kind: 'file', path: '/etc/selinux/config', line: 7, excerpt: 'SELINUX=enforcing' }],
        fingerprint: 'c55e01f3aa9e2d47',
      },
    ],
    repair: {
      text: 'Set `SELINUX=permissive` or `SELINUX=disabled` in `/etc/selinux/config`.',
      script: {
        language: 'bash',
        content: "sed -i 's/^SELINUX=enforcing/SELINUX=permissive/' /etc/selinux/config",
      },
    },
    waiver: {
      rule: 'GUESTOS.Selinux',
      justification: 'Labels are restored by our pipeline before capture (OPS-1234)',
      expires: '2027-01-31',
    },
  },
  {
    name: 'GUESTOS.Dhcp',
    pack: 'linux',
    status: 'warn',
    riskLevel: 'high',
    value: 'dhcp',
    message: 'eth0 uses DHCP but is pinned to a MAC address',
    evidence: [
      {
        kind: 'file',
        path: '/etc/sysconfig/network-scripts/ifcfg-eth0',
        line: 5,
        excerpt: 'HWADDR=52:54:00:12:34:56',
      },
    ],
    repair: { text: "Remove the `HWADDR=` line so the configuration applies to the instance's NIC." },
  },
  {
    name: 'GUESTOS.RtcTimeMode',
    pack: 'linux',
    status: 'fail',
    riskLevel: 'low',
    value: 'LOCAL',
    message: 'the hardware clock is kept in local time',
    evidence: [{ kind: 'file', path: '/etc/adjtime', line: 3, excerpt: 'LOCAL' }],
    repair: {
      text: 'Keep the hardware clock in UTC: `timedatectl set-local-rtc 0`.',
      script: { language: 'bash', content: 'timedatectl set-local-rtc 0\n', runIn: 'instance' },
    },
  },
  {
    name: 'GUESTOS.OnlineResizeFS',
    pack: 'linux',
    status: 'error',
    riskLevel: 'low',
    value: '',
    message: 'fact linux.cloudInit is unavailable: /etc/cloud/cloud.cfg: ext4/bad-extent at inode 1311',
    evidence: [{ kind: 'fact', path: 'linux.cloudInit', note: 'ext4/bad-extent' }],
  },
  {
    name: 'GUESTOS.SecurityCenterAgent',
    pack: 'linux',
    status: 'skipped',
    riskLevel: 'low',
    value: '',
    message: 'disabled by configuration',
    evidence: [],
  },
  {
    name: 'GUESTOS.Virtio',
    pack: 'linux',
    status: 'pass',
    riskLevel: 'high',
    value: 'virtio_blk virtio_net virtio_pci virtio_scsi',
    message: 'virtio drivers are modules and in the initramfs',
    evidence: [
      { kind: 'file', path: '/boot/initramfs-3.10.0-1160.el7.x86_64.img', note: 'virtio_blk.ko.xz present' },
    ],
  },
];

export const centosReport: Report = createReport({
  image: {
    path: 'images/centos79.qcow2',
    format: 'qcow2',
    virtualSize: 21474836480,
    os: 'CentOS Linux 7.9.2009',
  },
  backend: 'native',
  tool,
  items: centosItems,
  now,
});

const ubuntuItems: ReportItem[] = [
  {
    name: 'GUESTOS.Platform',
    pack: 'linux',
    status: 'info',
    riskLevel: 'low',
    value: 'Linux',
    message: 'Ubuntu (ubuntu)',
    evidence: [
      { kind: 'file', path: '/etc/os-release', line: 1, excerpt: 'PRETTY_NAME="Ubuntu 22.04.4 LTS"' },
    ],
  },
  {
    name: 'GUESTOS.KernelVersion',
    pack: 'linux',
    status: 'pass',
    riskLevel: 'high',
    value: '5.15.0-105-generic',
    message: 'default kernel 5.15.0-105-generic',
    evidence: [{ kind: 'file', path: '/boot/grub/grub.cfg', line: 140 }],
  },
  {
    name: 'GUESTOS.BootMode',
    pack: 'linux',
    status: 'pass',
    riskLevel: 'high',
    value: 'uefi-and-bios',
    message: 'an EFI system partition with a loader and a BIOS boot partition',
    evidence: [
      { kind: 'partition', partition: 15, note: 'EFI system partition' },
      { kind: 'partition', partition: 14, note: 'BIOS boot partition' },
    ],
  },
];

export const ubuntuReport: Report = createReport({
  image: {
    path: 'images/jammy-server-cloudimg-amd64.img',
    format: 'qcow2',
    virtualSize: 2361393152,
    os: 'Ubuntu 22.04.4 LTS',
  },
  backend: 'native',
  tool,
  items: ubuntuItems,
  tags: [
    { key: 'acs:ecs:image:osVersion', value: 'Ubuntu 22.04' },
    { key: 'acs:ecs:image:kernelVersion', value: '5.15.0-105-generic' },
  ],
  now,
});

const windowsItems: ReportItem[] = [
  {
    name: 'GUESTOS.Xen',
    pack: 'windows',
    status: 'fail',
    riskLevel: 'high',
    value: 'xenvbd xenfilt',
    message: 'residual Xen PV drivers are active',
    evidence: [],
    findings: [
      {
        assertion: 'xen-inactive',
        status: 'fail',
        riskLevel: 'high',
        messageId: 'xenServiceActive',
        message: 'xenvbd is a boot-start service (Start=0)',
        evidence: [
          {
            kind: 'registry',
            path: '/Windows/System32/config/SYSTEM',
            key: 'HKLM\\SYSTEM\\ControlSet001\\Services\\xenvbd',
            valueName: 'Start',
            excerpt: '0',
          },
        ],
        fingerprint: '7e1d2c3b4a596877',
      },
    ],
    repair: {
      text: 'Set the Xen services inactive (Start=4) and remove xenfilt from the class filters.',
      script: {
        language: 'powershell',
        content:
          "foreach ($s in 'xenvbd','xenfilt','xenbus') {\n  Set-ItemProperty -Path \"HKLM:\\SYSTEM\\CurrentControlSet\\Services\\$s\" -Name Start -Value 4\n}",
        runIn: 'instance',
      },
    },
  },
  {
    name: 'GUESTOS.Virtio',
    pack: 'windows',
    status: 'pass',
    riskLevel: 'high',
    value: 'viostor netkvm',
    message: 'viostor is boot-start and netkvm is installed',
    evidence: [
      {
        kind: 'registry',
        path: 'C:\\Windows\\System32\\config\\SYSTEM',
        key: 'HKLM\\SYSTEM\\ControlSet001\\Services\\viostor',
        valueName: 'Start',
        excerpt: '0',
      },
    ],
  },
];

export const windowsReport: Report = createReport({
  image: {
    path: 'C:\\images\\win2019 gold.vhdx',
    format: 'vhdx',
    virtualSize: 42949672960,
    os: 'Windows Server 2019 Datacenter',
  },
  backend: 'guestfs',
  tool,
  items: windowsItems,
  now,
});

export const brokenReport: Report = unopenedReport({
  imagePath: 'images/broken.vmdk',
  backend: 'native',
  tool,
  error: new FormatError(
    'vmdk/bad-magic',
    'not a VMDK: descriptor magic is "# Disk DescriptorFile" missing at offset 0',
  ),
  now,
});

export const allReports: readonly Report[] = [centosReport, ubuntuReport, windowsReport, brokenReport];

/** Strings that break naive XML, JSON, terminals and shell comments. */
export const HOSTILE =
  'a<b & c>d "q" \'s\' ]]> \u0000\u0001\u001b[31mred\u001b[0m\u0007 \u000b\u000c \u007f\u009b2J line\nbreak\r\u2028 \ud800 \ufffe end';

/** A report whose every string field that could carry image bytes holds `HOSTILE`. */
export function hostileReport(): Report {
  const items: ReportItem[] = [
    {
      name: 'GUESTOS.Fstab',
      pack: 'linux',
      status: 'fail',
      riskLevel: 'high',
      value: HOSTILE,
      message: HOSTILE,
      evidence: [{ kind: 'file', path: `/etc/${HOSTILE}`, line: 3, excerpt: HOSTILE }],
      findings: [
        {
          assertion: 'source-resolvable',
          status: 'fail',
          riskLevel: 'high',
          messageId: 'sourceUnresolved',
          message: `entry ${HOSTILE}`,
          evidence: [{ kind: 'file', path: '/etc/fstab', line: 3, excerpt: HOSTILE, note: HOSTILE }],
          values: { 'entry.spec': HOSTILE },
          fingerprint: 'ffee',
        },
      ],
      repair: { text: HOSTILE, script: { language: 'bash', content: 'true' } },
    },
    {
      name: 'GUESTOS.Dhcp',
      pack: 'linux',
      status: 'warn',
      riskLevel: 'high',
      value: HOSTILE,
      message: HOSTILE,
      evidence: [{ kind: 'file', path: '/etc/network/interfaces', line: 1, excerpt: HOSTILE }],
    },
    {
      name: 'GUESTOS.Grub',
      pack: 'linux',
      status: 'error',
      riskLevel: 'high',
      value: '',
      message: HOSTILE,
      evidence: [],
    },
    {
      name: 'GUESTOS.Selinux',
      pack: 'linux',
      status: 'waived',
      riskLevel: 'medium',
      value: 'enforcing',
      message: HOSTILE,
      evidence: [],
      waiver: { rule: 'GUESTOS.Selinux', justification: HOSTILE },
    },
  ];
  // Tags on a failing image cannot come from the engine; they are here to test escaping.
  return createReport({
    image: { path: `images/${HOSTILE}.raw`, format: 'raw', os: HOSTILE },
    backend: 'native',
    tool,
    items,
    tags: [{ key: 'acs:ecs:image:osVersion', value: HOSTILE }],
    now,
  });
}

/** The code points of `s` that `isBad` picks, as `U+XXXX` strings, for readable test failures. */
export function charsIn(s: string, isBad: (cp: number) => boolean): string[] {
  const out: string[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (isBad(cp)) out.push(`U+${cp.toString(16).padStart(4, '0')}`);
  }
  return out;
}

// Built from a char code: a control character in a regex literal reads as a mistake.
const SGR = new RegExp(`${String.fromCharCode(0x1b)}\\[\\d+m`, 'g');

/** Removes the SGR colour sequences the text renderer writes. */
export function stripAnsi(s: string): string {
  return s.replace(SGR, '');
}
