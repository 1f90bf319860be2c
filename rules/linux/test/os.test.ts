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

/** linux.osRelease as the plugin computes it for a distribution. */
function osRelease(id: string, release: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    idLike: [],
    name: id,
    prettyName: `${id} ${release}`,
    versionId: release.split('.')[0] ?? '',
    version: release,
    versionCodename: '',
    release,
    major: release.split('.')[0] ?? '',
    family: ['debian', 'ubuntu'].includes(id)
      ? 'debian'
      : ['sles', 'opensuse-leap'].includes(id)
        ? 'suse'
        : id === 'alpine'
          ? 'alpine'
          : 'rhel',
    source: '/etc/os-release',
    line: 3,
    ...extra,
  };
}

ruleTester.run('GUESTOS.Platform', {
  valid: [],
  invalid: [
    {
      name: 'Debian',
      facts: { 'guest.os': LINUX, 'linux.osRelease': osRelease('debian', '12.8') },
      status: 'info',
      message: /Linux, distribution debian/,
    },
    {
      name: 'SLES 11 from SuSE-release',
      facts: {
        'guest.os': LINUX,
        'linux.osRelease': osRelease('sles', '11.4', { source: '/etc/SuSE-release' }),
      },
      status: 'info',
      message: /from \/etc\/SuSE-release/,
    },
    {
      name: 'no release file',
      facts: { 'guest.os': LINUX },
      unavailable: { 'linux.osRelease': 'no distribution release file' },
      status: 'error',
    },
    { name: 'a Windows guest', facts: { 'guest.os': { os: 'windows' } }, status: 'skipped' },
  ],
});

ruleTester.run('GUESTOS.OSVersion', {
  valid: [],
  invalid: [
    {
      name: 'Debian 12.8',
      facts: { 'guest.os': LINUX, 'linux.osRelease': osRelease('debian', '12.8') },
      status: 'info',
    },
    {
      name: 'CentOS 7.9.2009',
      facts: { 'guest.os': LINUX, 'linux.osRelease': osRelease('centos', '7.9.2009') },
      status: 'info',
    },
    {
      name: 'Arch (rolling, no version)',
      facts: { 'guest.os': LINUX, 'linux.osRelease': osRelease('arch', '') },
      status: 'info',
    },
    {
      name: 'CentOS 6.10 is on the unsupported list',
      facts: {
        'guest.os': LINUX,
        'linux.osRelease': osRelease('centos', '6.10', { source: '/etc/redhat-release', line: 1 }),
      },
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'unsupported', line: 1 }],
    },
    {
      name: 'Ubuntu 14.04',
      facts: { 'guest.os': LINUX, 'linux.osRelease': osRelease('ubuntu', '14.04') },
      status: 'fail',
      findings: [{ messageId: 'unsupported' }],
    },
    {
      name: 'a vendor list that drops Debian 11',
      facts: { 'guest.os': LINUX, 'linux.osRelease': osRelease('debian', '11.11') },
      params: { unsupported: [{ ids: ['debian'], below: '12', reason: 'vendor policy' }] },
      status: 'fail',
      findings: [{ messageId: 'unsupported' }],
    },
    {
      name: 'release unreadable',
      facts: { 'guest.os': LINUX },
      unavailable: { 'linux.osRelease': 'damaged' },
      status: 'error',
    },
  ],
});

const arch = (kernels: unknown[] = [], a = 'x86_64') => ({
  architecture: a,
  bits: 64,
  endian: 'little',
  elfMachine: 62,
  binary: '/usr/lib/systemd/systemd',
  kernels,
  consistent: true,
});

ruleTester.run('GUESTOS.Architecture', {
  valid: [],
  invalid: [
    {
      name: 'x86_64 with a matching bzImage',
      facts: {
        'guest.os': LINUX,
        'linux.architecture': arch([
          { image: '/boot/vmlinuz-6.1.0-28-amd64', architecture: 'x86_64', format: 'bzImage' },
        ]),
      },
      status: 'info',
      message: /x86_64 \(64-bit/,
    },
    {
      name: 'aarch64 with a compressed Image.gz (undecided)',
      facts: {
        'guest.os': LINUX,
        'linux.architecture': arch(
          [{ image: '/boot/vmlinuz-6.1.0-28-arm64', architecture: null, format: 'gzip' }],
          'aarch64',
        ),
      },
      status: 'info',
    },
    {
      name: 'an x86_64 kernel in an aarch64 userland',
      facts: {
        'guest.os': LINUX,
        'linux.architecture': arch(
          [{ image: '/boot/vmlinuz-6.1.0-28-amd64', architecture: 'x86_64', format: 'bzImage' }],
          'aarch64',
        ),
      },
      status: 'warn',
      findings: [{ messageId: 'kernelMismatch', status: 'warn' }],
    },
    {
      name: 'no ELF binary',
      facts: { 'guest.os': LINUX },
      unavailable: { 'linux.architecture': 'no ELF header in /sbin/init' },
      status: 'error',
    },
  ],
});

const adjtime = (mode: 'UTC' | 'LOCAL', present = true) => ({
  present,
  mode,
  raw: present ? mode : null,
  path: '/etc/adjtime',
  line: present ? 3 : null,
});

ruleTester.run('GUESTOS.RtcTimeMode', {
  valid: [
    { name: 'UTC', facts: { 'guest.os': LINUX, 'linux.adjtime': adjtime('UTC') } },
    { name: 'no /etc/adjtime', facts: { 'guest.os': LINUX, 'linux.adjtime': adjtime('UTC', false) } },
  ],
  invalid: [
    {
      name: 'LOCAL',
      facts: { 'guest.os': LINUX, 'linux.adjtime': adjtime('LOCAL') },
      status: 'fail',
      riskLevel: 'low',
      findings: [{ messageId: 'localRtc', line: 3 }],
    },
    {
      name: 'unreadable',
      facts: { 'guest.os': LINUX },
      unavailable: { 'linux.adjtime': 'guest/EIO' },
      status: 'error',
    },
  ],
});

const selinux = (
  configured: string | null,
  effective: string,
  decidedBy = 'config',
  cmdline = { selinux: null, enforcing: null, known: true },
) => ({
  installed: configured !== null,
  configured,
  policyType: configured ? 'targeted' : null,
  path: '/etc/selinux/config',
  line: configured ? 7 : null,
  cmdline,
  effective,
  decidedBy,
});

ruleTester.run('GUESTOS.Selinux', {
  valid: [
    {
      name: 'disabled in the config',
      facts: { 'guest.os': LINUX, 'linux.selinux': selinux('disabled', 'disabled') },
    },
    {
      name: 'not installed (Debian)',
      facts: { 'guest.os': LINUX, 'linux.selinux': selinux(null, 'disabled', 'absent') },
    },
    {
      name: 'enforcing in the config, selinux=0 on the command line',
      facts: {
        'guest.os': LINUX,
        'linux.selinux': selinux('enforcing', 'disabled', 'cmdline', {
          selinux: '0',
          enforcing: null,
          known: true,
        } as never),
      },
    },
    {
      name: 'enforcing accepted by params',
      facts: { 'guest.os': LINUX, 'linux.selinux': selinux('enforcing', 'enforcing') },
      params: { enforcing: 'pass' },
    },
  ],
  invalid: [
    {
      name: 'enforcing',
      facts: { 'guest.os': LINUX, 'linux.selinux': selinux('enforcing', 'enforcing') },
      status: 'fail',
      riskLevel: 'medium',
      findings: [{ messageId: 'enforcing', line: 7 }],
    },
    {
      name: 'permissive',
      facts: { 'guest.os': LINUX, 'linux.selinux': selinux('permissive', 'permissive') },
      status: 'warn',
      findings: [{ messageId: 'permissive', status: 'warn' }],
    },
    {
      name: 'enforcing=0 on the command line makes enforcing permissive',
      facts: {
        'guest.os': LINUX,
        'linux.selinux': selinux('enforcing', 'permissive', 'cmdline', {
          selinux: null,
          enforcing: '0',
          known: true,
        } as never),
      },
      status: 'warn',
      findings: [{ messageId: 'permissive', status: 'warn' }],
    },
    {
      name: 'enforcing only warns by params',
      facts: { 'guest.os': LINUX, 'linux.selinux': selinux('enforcing', 'enforcing') },
      params: { enforcing: 'warn' },
      status: 'warn',
      findings: [{ messageId: 'enforcing', status: 'warn' }],
    },
    {
      name: 'permissive fails by params',
      facts: { 'guest.os': LINUX, 'linux.selinux': selinux('permissive', 'permissive') },
      params: { permissive: 'fail' },
      status: 'fail',
      findings: [{ messageId: 'permissive' }],
    },
    {
      name: 'config unreadable',
      facts: { 'guest.os': LINUX },
      unavailable: { 'linux.selinux': 'ext4/bad-extent' },
      status: 'error',
    },
  ],
});
