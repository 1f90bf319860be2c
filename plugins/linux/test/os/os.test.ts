import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { createMemoryGuest, type MemoryFiles } from '@imagecheck/sdk/testing';
import { requireTestKernel, testKernel } from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import type { Adjtime } from '../../src/os/adjtime.js';
import { type Architecture, elfArchitecture, kernelImageArchitecture } from '../../src/os/architecture.js';
import type { OsRelease } from '../../src/os/os-release.js';
import type { Selinux } from '../../src/os/selinux.js';
import { factsOf, factValue } from '../boot/helpers.js';

function guest(files: MemoryFiles) {
  return createMemoryGuest({
    filesystems: [{ type: 'ext4', uuid: '0a0a0a0a-0000-4000-8000-000000000001', mount: '/', files }],
  });
}

/** The first `n` bytes of a host file: a real ELF binary or a real kernel, made by real toolchains. */
function head(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return new Uint8Array(b.subarray(0, got));
  } finally {
    closeSync(fd);
  }
}

const HOST_SH = realpathSync('/bin/sh');
/** The named test kernel's image file name (`vmlinuz-<version>`), not whichever the host lists first. */
const HOST_KERNEL = requireTestKernel() ? `vmlinuz-${testKernel()?.version}` : undefined;

describe('linux.osRelease: os-release and every fallback', () => {
  const cases: [string, MemoryFiles, Partial<OsRelease>][] = [
    [
      'Debian 12 with its point release',
      {
        '/usr/lib/os-release':
          'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
        '/etc/os-release': { symlink: '../usr/lib/os-release' },
        '/etc/debian_version': '12.8\n',
      },
      {
        id: 'debian',
        versionId: '12',
        release: '12.8',
        major: '12',
        family: 'debian',
        source: '/etc/os-release',
        line: 6,
      },
    ],
    [
      'Ubuntu 24.04',
      {
        '/etc/os-release':
          'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION="24.04.1 LTS (Noble Numbat)"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n',
        '/etc/debian_version': 'trixie/sid\n',
      },
      { id: 'ubuntu', idLike: ['debian'], release: '24.04', family: 'debian' },
    ],
    [
      'CentOS 7 with /etc/centos-release',
      {
        '/etc/os-release':
          'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n',
        '/etc/centos-release': 'CentOS Linux release 7.9.2009 (Core)\n',
      },
      { id: 'centos', versionId: '7', release: '7.9.2009', family: 'rhel' },
    ],
    [
      'Alibaba Cloud Linux 3',
      {
        '/etc/os-release':
          'NAME="Alibaba Cloud Linux"\nVERSION="3 (Soaring Falcon)"\nID="alinux"\nID_LIKE="rhel fedora centos anolis"\nVERSION_ID="3"\nPRETTY_NAME="Alibaba Cloud Linux 3 (Soaring Falcon)"\n',
      },
      { id: 'alinux', family: 'rhel', major: '3' },
    ],
    [
      'openSUSE Leap 15.6',
      {
        '/etc/os-release':
          'NAME="openSUSE Leap"\nVERSION="15.6"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.6"\nPRETTY_NAME="openSUSE Leap 15.6"\n',
      },
      { id: 'opensuse-leap', family: 'suse', release: '15.6' },
    ],
    [
      'CentOS 6: only /etc/redhat-release',
      { '/etc/redhat-release': 'CentOS release 6.10 (Final)\n' },
      { id: 'centos', versionId: '6', release: '6.10', family: 'rhel', source: '/etc/redhat-release' },
    ],
    [
      'RHEL 6: /etc/redhat-release',
      { '/etc/redhat-release': 'Red Hat Enterprise Linux Server release 6.10 (Santiago)\n' },
      { id: 'rhel', versionId: '6.10', family: 'rhel' },
    ],
    [
      'SLES 11 SP4: /etc/SuSE-release',
      { '/etc/SuSE-release': 'SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 4\n' },
      { id: 'sles', versionId: '11.4', family: 'suse', source: '/etc/SuSE-release' },
    ],
    [
      'Ubuntu 14.04 without os-release: /etc/lsb-release',
      {
        '/etc/lsb-release':
          'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\nDISTRIB_DESCRIPTION="Ubuntu 14.04.6 LTS"\n',
      },
      { id: 'ubuntu', versionId: '14.04', prettyName: 'Ubuntu 14.04.6 LTS', family: 'debian', line: 1 },
    ],
    [
      'Debian 7: only /etc/debian_version',
      { '/etc/debian_version': '7.11\n' },
      { id: 'debian', versionId: '7', release: '7.11', family: 'debian' },
    ],
    [
      'Alpine without os-release',
      { '/etc/alpine-release': '3.20.3\n' },
      { id: 'alpine', versionId: '3.20.3', family: 'alpine' },
    ],
    ['Arch', { '/etc/arch-release': '' }, { id: 'arch', versionId: '', family: 'arch' }],
    [
      'Gentoo',
      { '/etc/gentoo-release': 'Gentoo Base System release 2.14\n' },
      { id: 'gentoo', versionId: '2.14', family: 'gentoo' },
    ],
  ];
  for (const [name, files, expected] of cases) {
    it(name, async () => {
      expect(await factValue<OsRelease>(guest(files), 'linux.osRelease')).toMatchObject(expected);
    });
  }

  it('no release file at all: unavailable with a code, so the rules error', async () => {
    const r = (await factsOf(guest({ '/etc/fstab': '' }), ['linux.osRelease']))['linux.osRelease'];
    expect(r).toMatchObject({ status: 'unavailable', code: 'linux/no-os-release' });
  });

  it('inflated, binary and self-referencing release files: a typed error or a bounded parse, never a hang', async () => {
    const big = (await factsOf(guest({ '/etc/os-release': 'ID=x\n'.repeat(400_000) }), ['linux.osRelease']))[
      'linux.osRelease'
    ];
    expect(big).toMatchObject({ status: 'unavailable', code: 'guest/EFBIG' });
    const binary = await factValue<OsRelease>(
      guest({ '/etc/os-release': new Uint8Array(4096).fill(0xff) }),
      'linux.osRelease',
    );
    expect(binary.id).toBe('linux');
    const loop = (
      await factsOf(guest({ '/etc/os-release': { symlink: 'os-release' } }), ['linux.osRelease'])
    )['linux.osRelease'];
    expect(loop).toMatchObject({ status: 'unavailable', code: 'guest/ELOOP' });
  });

  it('guest.os replaces the engine fallback with family, distribution, version and architecture', async () => {
    const g = guest({
      '/etc/os-release': 'ID=rocky\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n',
      '/usr/bin/bash': head(HOST_SH, 64),
      '/bin/sh': { symlink: '/usr/bin/bash' },
    });
    const os = await factValue(g, 'guest.os');
    expect(os).toEqual({
      os: 'linux',
      family: 'rhel',
      distribution: 'rocky',
      version: '9.4',
      architecture: elfArchitecture(head(HOST_SH, 64))?.architecture,
    });
  });
});

describe('linux.architecture from real ELF headers', () => {
  it('follows /sbin/init to systemd inside the guest, never the host', async () => {
    const g = guest({
      '/etc/os-release': 'ID=debian\n',
      '/sbin/init': { symlink: '/lib/systemd/systemd' },
      '/lib': { symlink: 'usr/lib' },
      '/usr/lib/systemd/systemd': head(HOST_SH, 4096),
    });
    const a = await factValue<Architecture>(g, 'linux.architecture');
    expect(a.binary).toBe('/usr/lib/systemd/systemd');
    expect(a.bits).toBe(64);
    expect(a.architecture).toBe(
      process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : a.architecture,
    );
  });

  it('a shell script /sbin/init falls through to /bin/sh', async () => {
    const g = guest({ '/sbin/init': '#!/bin/sh\nexec /bin/busybox init\n', '/bin/sh': head(HOST_SH, 64) });
    expect((await factValue<Architecture>(g, 'linux.architecture')).binary).toBe('/bin/sh');
  });

  it('a symlink loop and missing binaries: unavailable, not a hang', async () => {
    const g = guest({ '/sbin/init': { symlink: '/sbin/init2' }, '/sbin/init2': { symlink: '/sbin/init' } });
    const r = (await factsOf(g, ['linux.architecture']))['linux.architecture'];
    expect(r).toMatchObject({ status: 'unavailable', code: 'linux/no-elf' });
  });

  it('ELF identification: truncated, flipped class or data, bad magic', () => {
    const h = head(HOST_SH, 64);
    expect(elfArchitecture(h.subarray(0, 10))).toBeUndefined();
    const flipped = new Uint8Array(h);
    flipped[4] = 7;
    expect(elfArchitecture(flipped)).toBeUndefined();
    const noMagic = new Uint8Array(h);
    noMagic[1] = 0;
    expect(elfArchitecture(noMagic)).toBeUndefined();
  });

  it.skipIf(!HOST_KERNEL)('reads the x86 boot header of a real bzImage and cross-checks it', async () => {
    const k = head(`/boot/${HOST_KERNEL}`, 0x240);
    expect(kernelImageArchitecture(k)).toEqual({ architecture: 'x86_64', format: 'bzImage' });
    // a gzip-compressed arm64 Image.gz does not say; a truncated header neither
    expect(kernelImageArchitecture(k.subarray(0, 0x100)).architecture).toBeNull();
    const g = guest({
      '/bin/sh': head(HOST_SH, 64),
      [`/boot/${HOST_KERNEL}`]: k,
      [`/lib/modules/${(HOST_KERNEL ?? '').slice(8)}/modules.dep`]: '',
    });
    const a = await factValue<Architecture>(g, 'linux.architecture');
    expect(a.kernels).toEqual([{ image: `/boot/${HOST_KERNEL}`, architecture: 'x86_64', format: 'bzImage' }]);
    expect(a.consistent).toBe(process.arch === 'x64');
  });
});

describe('linux.selinux', () => {
  const cfg = (mode: string) =>
    `# This file controls the state of SELinux on the system.\nSELINUX=${mode}\nSELINUXTYPE=targeted\n`;
  it('reads SELINUX= with its line', async () => {
    expect(
      await factValue<Selinux>(guest({ '/etc/selinux/config': cfg('enforcing') }), 'linux.selinux'),
    ).toMatchObject({
      installed: true,
      configured: 'enforcing',
      effective: 'enforcing',
      line: 2,
      policyType: 'targeted',
      decidedBy: 'config',
    });
  });
  it('absent config: not installed, disabled', async () => {
    expect(await factValue<Selinux>(guest({}), 'linux.selinux')).toMatchObject({
      installed: false,
      configured: null,
      effective: 'disabled',
      decidedBy: 'absent',
    });
  });
  it('selinux=0 and enforcing=0 on the default kernel command line override the config', async () => {
    const withCmdline = (args: string) =>
      guest({
        '/etc/selinux/config': cfg('enforcing'),
        '/boot/grub2/grub.cfg': `menuentry 'x' {\n  linux /boot/vmlinuz-5.14.0 root=UUID=0a0a0a0a-0000-4000-8000-000000000001 ro ${args}\n}\n`,
        '/boot/vmlinuz-5.14.0': 'k',
      });
    expect(await factValue<Selinux>(withCmdline('selinux=0'), 'linux.selinux')).toMatchObject({
      effective: 'disabled',
      decidedBy: 'cmdline',
      cmdline: { selinux: '0', known: true },
    });
    expect(await factValue<Selinux>(withCmdline('enforcing=0'), 'linux.selinux')).toMatchObject({
      effective: 'permissive',
      decidedBy: 'cmdline',
    });
  });
});

describe('linux.adjtime', () => {
  it('third line LOCAL', async () => {
    expect(
      await factValue<Adjtime>(guest({ '/etc/adjtime': '0.0 0 0.0\n0\nLOCAL\n' }), 'linux.adjtime'),
    ).toEqual({ present: true, mode: 'LOCAL', raw: 'LOCAL', path: '/etc/adjtime', line: 3 });
  });
  it('UTC, a two-line file, and an absent file all read as UTC', async () => {
    expect(
      (await factValue<Adjtime>(guest({ '/etc/adjtime': '0.0 0 0.0\n0\nUTC\n' }), 'linux.adjtime')).mode,
    ).toBe('UTC');
    expect(
      await factValue<Adjtime>(guest({ '/etc/adjtime': '0.0 0 0.0\n0\n' }), 'linux.adjtime'),
    ).toMatchObject({ mode: 'UTC', line: null });
    expect(await factValue<Adjtime>(guest({}), 'linux.adjtime')).toMatchObject({
      present: false,
      mode: 'UTC',
    });
  });
  it('an inflated adjtime is refused, not read', async () => {
    const r = await factValue<Adjtime>(guest({ '/etc/adjtime': 'x'.repeat(1 << 20) }), 'linux.adjtime');
    expect(r).toMatchObject({ present: true, mode: 'UTC', raw: null });
  });
});
