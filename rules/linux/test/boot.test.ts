import { fileURLToPath } from 'node:url';
import linuxPlugin from '@imagecheck/plugin-linux';
import { loadPack } from '@imagecheck/sdk';
import { RuleTester } from '@imagecheck/sdk/testing';
import { describe, it } from 'vitest';

const pack = await loadPack(fileURLToPath(new URL('..', import.meta.url)));
RuleTester.describe = describe;
RuleTester.it = it;
// The plugin that collects these facts in a real check: the facts each case gives by hand must
// have the shape of its fact schemas.
const ruleTester = new RuleTester({ pack, plugins: [linuxPlugin] });

const LINUX = { os: 'linux' };
const KVER = '6.1.0-28-amd64';

function kernels(def: Record<string, unknown> | null) {
  return {
    default: def && {
      version: KVER,
      image: `/boot/vmlinuz-${KVER}`,
      initrd: `/boot/initrd.img-${KVER}`,
      cmdline: 'root=UUID=6c3ec7b6-4b8e-4b49-9d4c-2a7d5e3c1f10 ro',
      source: 'grub',
      imageExists: true,
      initrdExists: true,
      modulesDir: true,
      ...def,
    },
    installed: [],
    moduleTrees: [KVER],
  };
}

ruleTester.run('GUESTOS.KernelVersion', {
  valid: [],
  invalid: [
    {
      name: 'the GRUB default kernel with modules',
      facts: { 'guest.os': LINUX, 'linux.kernels': kernels({}) },
      status: 'info',
      message: new RegExp(`Kernel ${KVER}`),
    },
    {
      name: 'no kernel at all',
      facts: { 'guest.os': LINUX, 'linux.kernels': kernels(null) },
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'noKernel' }],
    },
    {
      name: 'the default entry names a removed kernel',
      facts: { 'guest.os': LINUX, 'linux.kernels': kernels({ imageExists: false, modulesDir: false }) },
      status: 'fail',
      findings: [{ messageId: 'imageMissing' }],
    },
    {
      name: 'the module tree is missing',
      facts: { 'guest.os': LINUX, 'linux.kernels': kernels({ modulesDir: false }) },
      status: 'fail',
      findings: [{ messageId: 'noModules' }],
    },
    {
      name: 'kernels unreadable',
      facts: { 'guest.os': LINUX },
      unavailable: { 'linux.kernels': 'guest/EIO' },
      status: 'error',
    },
  ],
});

const ROOT = '6c3ec7b6-4b8e-4b49-9d4c-2a7d5e3c1f10';
function bootloader(over: Record<string, unknown> = {}, entry: Record<string, unknown> | null = {}) {
  return {
    kind: 'grub2',
    config: '/boot/grub/grub.cfg',
    configSource: 'boot',
    files: ['(hd0,gpt2)/boot/grub/grub.cfg'],
    espConfigs: [{ path: '/boot/efi/EFI/debian/grub.cfg', stub: true }],
    entries: [
      {
        title: 'Debian GNU/Linux',
        id: `gnulinux-simple-${ROOT}`,
        file: '/boot/grub/grub.cfg',
        line: 107,
        bls: false,
      },
    ],
    defaultSetting: '0',
    defaultFound: true,
    savedEntry: null,
    grubenv: null,
    blsEntries: 0,
    defaultEntry: entry && {
      title: 'Debian GNU/Linux',
      id: `gnulinux-simple-${ROOT}`,
      menuPath: 'Debian GNU/Linux',
      source: 'grub',
      file: '/boot/grub/grub.cfg',
      line: 107,
      kernel: `/boot/vmlinuz-${KVER}`,
      initrd: [`/boot/initrd.img-${KVER}`],
      cmdline: `root=UUID=${ROOT} ro`,
      device: 'hd0,gpt2',
      filesystem: 'p2',
      kernelPath: `/boot/vmlinuz-${KVER}`,
      kernelExists: true,
      initrdPaths: [`/boot/initrd.img-${KVER}`],
      initrdExists: true,
      rootParam: `UUID=${ROOT}`,
      rootResolved: true,
      rootFilesystem: 'p2',
      rootNote: null,
      ...entry,
    },
    defaultKernelArgs: `root=UUID=${ROOT} ro`,
    references: [],
    unresolved: [],
    problems: [],
    ...over,
  };
}
const ghostRef = (scope: string, file: string, line: number) => ({
  kind: 'search-fs-uuid',
  value: '11111111-2222-3333-4444-555555555555',
  file,
  line,
  scope,
  resolved: false,
  note: 'no filesystem in the image has UUID 11111111-2222-3333-4444-555555555555',
});

ruleTester.run('GUESTOS.Grub', {
  valid: [
    {
      name: 'Debian 12 grub-mkconfig config',
      facts: { 'guest.os': LINUX, 'linux.bootloader': bootloader() },
    },
    {
      name: 'extlinux on Alpine',
      facts: {
        'guest.os': LINUX,
        'linux.bootloader': bootloader(
          { kind: 'extlinux', config: '/boot/extlinux.conf' },
          { kernelExists: true, device: null },
        ),
      },
    },
  ],
  invalid: [
    {
      name: 'no configuration',
      facts: { 'guest.os': LINUX, 'linux.bootloader': bootloader({ kind: 'none', config: null }, null) },
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'noConfig' }],
    },
    {
      name: 'GRUB legacy',
      facts: {
        'guest.os': LINUX,
        'linux.bootloader': bootloader({ kind: 'grub-legacy', config: null }, null),
      },
      status: 'warn',
      findings: [{ messageId: 'notInterpreted', status: 'warn' }],
    },
    {
      name: 'a cloned root: the stub and the entry search for a UUID that is gone',
      facts: {
        'guest.os': LINUX,
        'linux.bootloader': bootloader(
          {
            unresolved: [
              ghostRef('stub', '/boot/efi/EFI/debian/grub.cfg', 1),
              ghostRef('entry', '/boot/grub/grub.cfg', 114),
            ],
          },
          { rootResolved: false, rootNote: 'no filesystem with UUID' },
        ),
      },
      status: 'fail',
      findings: [
        { messageId: 'unresolvedReference', line: 1 },
        { messageId: 'unresolvedReference', line: 114 },
        { messageId: 'rootUnresolved', line: 107 },
      ],
    },
    {
      name: 'a config with no entries',
      facts: { 'guest.os': LINUX, 'linux.bootloader': bootloader({ entries: [] }, null) },
      status: 'fail',
      findings: [{ messageId: 'noEntries' }],
    },
    {
      name: 'a default naming no entry',
      facts: {
        'guest.os': LINUX,
        'linux.bootloader': bootloader({
          defaultFound: false,
          defaultSetting: 'gnulinux-5.10.0-9-amd64-advanced',
        }),
      },
      status: 'fail',
      riskLevel: 'medium',
      findings: [{ messageId: 'defaultMissing' }],
    },
    {
      name: 'the default kernel is missing',
      facts: { 'guest.os': LINUX, 'linux.bootloader': bootloader({}, { kernelExists: false }) },
      status: 'fail',
      findings: [{ messageId: 'kernelMissing', line: 107 }],
    },
    {
      name: 'the default initrd is missing',
      facts: { 'guest.os': LINUX, 'linux.bootloader': bootloader({}, { initrdExists: false }) },
      status: 'fail',
      findings: [{ messageId: 'initrdMissing', line: 107 }],
    },
    {
      name: 'root=/dev/xvda1 from a Xen host',
      facts: {
        'guest.os': LINUX,
        'linux.bootloader': bootloader({}, { rootParam: '/dev/xvda1', rootResolved: true }),
      },
      status: 'warn',
      findings: [{ messageId: 'rootKernelName', status: 'warn' }],
    },
    {
      name: 'configuration unreadable',
      facts: { 'guest.os': LINUX },
      unavailable: { 'linux.bootloader': 'grub/too-many-tokens' },
      status: 'error',
    },
  ],
});

const bootMode = (mode: string) => ({
  mode,
  uefi: {
    bootable: mode.includes('uefi'),
    esp: null,
    loaders: [],
    note: mode.includes('uefi') ? null : 'no EFI system partition',
  },
  bios: {
    bootable: mode.includes('bios'),
    bootCode: mode.includes('bios') ? 'grub2' : 'empty',
    embeddedCore: null,
    biosBootPartition: null,
    note: mode.includes('bios') ? null : 'the MBR holds no boot code',
  },
});

ruleTester.run('GUESTOS.BootMode', {
  valid: [],
  invalid: [
    {
      name: 'both',
      facts: { 'guest.os': LINUX, 'linux.bootMode': bootMode('uefi-and-bios') },
      status: 'info',
      message: 'uefi-and-bios.',
    },
    { name: 'UEFI only', facts: { 'guest.os': LINUX, 'linux.bootMode': bootMode('uefi') }, status: 'info' },
    {
      name: 'neither',
      facts: { 'guest.os': LINUX, 'linux.bootMode': bootMode('none') },
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'notBootable' }],
      message: /UEFI: no EFI system partition; BIOS: the MBR holds no boot code/,
    },
    {
      name: 'unreadable ESP',
      facts: { 'guest.os': LINUX },
      unavailable: { 'linux.bootMode': 'vfat/bad-fat' },
      status: 'error',
    },
  ],
});

const sys = (verdict: string, reason = 'x') => ({
  verdict,
  partitionTable: 'gpt',
  filesystems: ['p1:vfat', 'p2:ext4'],
  encrypted: verdict === 'encrypted' ? ['p2:luks'] : [],
  root: 'p2',
  bootloader: 'grub2',
  kernel: '/boot/vmlinuz',
  reason,
});

ruleTester.run('GUESTOS.SystemImage', {
  valid: [{ name: 'a system disk', facts: { 'linux.systemImage': sys('ok') } }],
  invalid: [
    {
      name: 'all zero',
      facts: { 'linux.systemImage': sys('zero') },
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'blank' }],
    },
    {
      name: 'empty',
      facts: { 'linux.systemImage': sys('empty') },
      status: 'fail',
      findings: [{ messageId: 'blank' }],
    },
    {
      name: 'ISO9660',
      facts: { 'linux.systemImage': sys('iso9660') },
      status: 'fail',
      findings: [{ messageId: 'iso9660' }],
    },
    {
      name: 'LUKS',
      facts: { 'linux.systemImage': sys('encrypted') },
      status: 'fail',
      findings: [{ messageId: 'encrypted' }],
    },
    {
      name: 'unrecognised',
      facts: { 'linux.systemImage': sys('unrecognised') },
      status: 'fail',
      findings: [{ messageId: 'unrecognised' }],
    },
    {
      name: 'data disk',
      facts: { 'linux.systemImage': sys('data-only') },
      status: 'fail',
      findings: [{ messageId: 'noOsRoot' }],
    },
    {
      name: 'no boot loader',
      facts: { 'linux.systemImage': sys('no-bootloader') },
      status: 'fail',
      findings: [{ messageId: 'noBootloader' }],
    },
    {
      name: 'no kernel',
      facts: { 'linux.systemImage': sys('no-kernel') },
      status: 'fail',
      findings: [{ messageId: 'noKernel' }],
    },
    {
      name: 'layout unreadable',
      unavailable: { 'linux.systemImage': 'qcow2/bad-l2-offset' },
      status: 'error',
    },
  ],
});

const rel = (id: string, release: string) => ({
  id,
  idLike: [],
  name: id,
  prettyName: `${id} ${release}`,
  versionId: release,
  version: release,
  versionCodename: '',
  release,
  major: release.split('.')[0],
  family: 'rhel',
  source: '/etc/os-release',
  line: 2,
});
const kern = (version: string | null) => ({
  default:
    version === null
      ? null
      : {
          version,
          image: `/boot/vmlinuz-${version}`,
          initrd: null,
          cmdline: '',
          source: 'grub',
          imageExists: true,
          initrdExists: null,
          modulesDir: true,
        },
  installed: [],
  moduleTrees: [],
});

ruleTester.run('GUESTOS.SupportMocInstanceTypes', {
  valid: [
    {
      name: 'Debian 12',
      facts: { 'guest.os': LINUX, 'linux.osRelease': rel('debian', '12.8'), 'linux.kernels': kern(KVER) },
    },
    {
      name: 'CentOS 7.9 with its backported kernel',
      facts: {
        'guest.os': LINUX,
        'linux.osRelease': rel('centos', '7.9.2009'),
        'linux.kernels': kern('3.10.0-1160.119.1.el7.x86_64'),
      },
    },
    {
      name: 'an unlisted distribution with a new kernel',
      facts: { 'guest.os': LINUX, 'linux.osRelease': rel('nixos', '24.05'), 'linux.kernels': kern('6.6.30') },
    },
  ],
  invalid: [
    {
      name: 'CentOS 7.4 kernel and release',
      facts: {
        'guest.os': LINUX,
        'linux.osRelease': rel('centos', '7.4.1708'),
        'linux.kernels': kern('3.10.0-693.el7.x86_64'),
      },
      status: 'fail',
      riskLevel: 'medium',
      findings: [{ messageId: 'kernelTooOld' }, { messageId: 'releaseTooOld', line: 2 }],
    },
    {
      name: 'Ubuntu 16.04 with a 3.x kernel left over',
      facts: {
        'guest.os': LINUX,
        'linux.osRelease': rel('ubuntu', '16.04'),
        'linux.kernels': kern('3.13.0-170-generic'),
      },
      status: 'fail',
      findings: [{ messageId: 'kernelTooOld' }],
    },
    {
      name: 'an unlisted distribution with an old kernel',
      facts: {
        'guest.os': LINUX,
        'linux.osRelease': rel('slackware', '14.2'),
        'linux.kernels': kern('4.4.14'),
      },
      status: 'fail',
      findings: [{ messageId: 'kernelTooOldDefault' }],
    },
    {
      name: 'a vendor threshold for Debian',
      facts: {
        'guest.os': LINUX,
        'linux.osRelease': rel('debian', '11.11'),
        'linux.kernels': kern('5.10.0-32-amd64'),
      },
      params: { thresholds: [{ ids: ['debian'], minKernel: '6.1' }] },
      status: 'fail',
      findings: [{ messageId: 'kernelTooOld' }],
    },
    {
      name: 'no default kernel',
      facts: { 'guest.os': LINUX, 'linux.osRelease': rel('debian', '12.8'), 'linux.kernels': kern(null) },
      status: 'fail',
      findings: [{ messageId: 'noKernel' }],
    },
    {
      name: 'kernels unreadable',
      facts: { 'guest.os': LINUX, 'linux.osRelease': rel('debian', '12.8') },
      unavailable: { 'linux.kernels': 'guest/EIO' },
      status: 'error',
    },
  ],
});
