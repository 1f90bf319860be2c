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

const OS = { os: 'linux', family: 'debian', distribution: 'debian', version: '12', architecture: 'x86_64' };
const ROOT = '3f9a6c52-61f4-4b8e-9d0c-1f6a2b7c8d90';

type Entry = Record<string, unknown>;

/** An fstab entry as the linux.fstab collector shapes it; `over` changes what a case needs. */
function entry(line: number, spec: string, mountpoint: string, fstype: string, over: Entry = {}): Entry {
  const swap = fstype === 'swap';
  return {
    line,
    excerpt: `${spec} ${mountpoint} ${fstype} defaults 0 0`,
    spec,
    kind: spec.startsWith('UUID=') ? 'uuid' : 'device',
    class: swap ? 'swap' : 'filesystem',
    mountpoint,
    fstype,
    options: ['defaults'],
    noauto: false,
    nofail: false,
    bootCritical: true,
    resolved: { filesystem: 'p1', type: swap ? 'swap' : fstype, uuid: ROOT, label: null },
    typeMatches: true,
    verdict: 'ok',
    reason: 'UUID matches p1',
    suggestedSpec: null,
    assembly: null,
    ...over,
  };
}

function fstab(...entries: Entry[]) {
  const problems = entries.filter((e) => e.verdict !== 'ok' && e.verdict !== 'notChecked').length;
  return {
    'guest.os': OS,
    'linux.fstab': {
      present: true,
      path: '/etc/fstab',
      entries,
      problemCount: problems,
      bootCriticalCount: entries.filter((e) => e.bootCritical).length,
      notCheckedCount: entries.filter((e) => e.verdict === 'notChecked').length,
    },
  };
}

const proc = entry(9, 'proc', '/proc', 'proc', {
  kind: 'pseudo',
  class: 'pseudo',
  bootCritical: false,
  resolved: null,
  typeMatches: null,
  verdict: 'notChecked',
  reason: 'a pseudo filesystem (proc): not on the disk',
});

ruleTester.run('GUESTOS.Fstab', {
  valid: [
    {
      name: 'Debian: root, ESP and swap by UUID',
      facts: fstab(
        entry(4, `UUID=${ROOT}`, '/', 'ext4'),
        entry(5, 'UUID=7A1B-2C3D', '/boot/efi', 'vfat'),
        entry(6, 'UUID=c2d1', 'none', 'swap'),
        proc,
      ),
    },
    {
      name: 'an unresolved data disk with nofail does not stop the boot',
      facts: fstab(
        entry(1, `UUID=${ROOT}`, '/', 'ext4'),
        entry(2, 'LABEL=data', '/data', 'xfs', {
          nofail: true,
          bootCritical: false,
          resolved: null,
          verdict: 'unresolved',
          reason: 'no filesystem or swap with label data in the image',
        }),
      ),
    },
    {
      name: 'no /etc/fstab (root from the kernel command line)',
      facts: {
        'guest.os': OS,
        'linux.fstab': {
          present: false,
          path: '/etc/fstab',
          entries: [],
          problemCount: 0,
          bootCriticalCount: 0,
          notCheckedCount: 0,
        },
      },
    },
    {
      name: 'kernel names accepted by params',
      params: { kernelNames: 'pass' },
      facts: fstab(
        entry(1, '/dev/vda1', '/', 'ext4', { verdict: 'kernelName', suggestedSpec: `UUID=${ROOT}` }),
      ),
    },
  ],
  invalid: [
    {
      name: 'a UUID in no filesystem',
      facts: fstab(
        entry(1, `UUID=${ROOT}`, '/', 'ext4'),
        entry(2, 'UUID=deadbeef', '/data', 'ext4', {
          resolved: null,
          typeMatches: null,
          verdict: 'unresolved',
          reason: 'no filesystem or swap with UUID deadbeef in the image',
        }),
      ),
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'unresolved', line: 2 }],
      message: /line 2: UUID=deadbeef for \/data does not resolve/,
    },
    {
      name: 'declared xfs, ext4 found',
      facts: fstab(
        entry(1, `UUID=${ROOT}`, '/', 'xfs', {
          resolved: { filesystem: 'p1', type: 'ext4', uuid: ROOT, label: null },
          typeMatches: false,
          verdict: 'wrongType',
        }),
      ),
      status: 'fail',
      findings: [{ messageId: 'wrongType', line: 1 }],
      message: /declared xfs but .* holds ext4/,
    },
    {
      name: 'swap that does not resolve warns',
      facts: fstab(
        entry(1, `UUID=${ROOT}`, '/', 'ext4'),
        entry(3, '/dev/mapper/vg-swap', 'none', 'swap', {
          kind: 'mapper',
          resolved: null,
          verdict: 'unresolved',
          reason: 'no filesystem or swap with LV vg/swap in the image',
        }),
      ),
      status: 'warn',
      findings: [{ messageId: 'unresolvedSwap', line: 3, status: 'warn' }],
    },
    {
      name: 'kernel device name warns and offers the UUID',
      facts: fstab(
        entry(1, '/dev/sda1', '/', 'ext4', { verdict: 'kernelName', suggestedSpec: `UUID=${ROOT}` }),
      ),
      status: 'warn',
      findings: [{ messageId: 'kernelName', line: 1, status: 'warn' }],
      message: new RegExp(`use UUID=${ROOT}`),
    },
    {
      name: 'kernel device name fails under a stricter policy',
      params: { kernelNames: 'fail' },
      facts: fstab(
        entry(1, '/dev/xvda1', '/', 'ext4', { verdict: 'kernelName', suggestedSpec: `UUID=${ROOT}` }),
      ),
      status: 'fail',
      findings: [{ messageId: 'kernelName', line: 1, status: 'fail' }],
    },
    {
      name: 'a by-id name of the old disk',
      facts: fstab(
        entry(1, '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_drive-scsi0-part1', '/', 'ext4', {
          kind: 'by-id',
          verdict: 'hardwareName',
          suggestedSpec: `UUID=${ROOT}`,
        }),
      ),
      status: 'warn',
      findings: [{ messageId: 'hardwareName', line: 1 }],
    },
    {
      name: 'fstab unreadable',
      facts: { 'guest.os': OS },
      unavailable: { 'linux.fstab': 'ext4/bad-extent: damaged extent tree in inode 1234' },
      status: 'error',
    },
    {
      name: 'not a Linux guest',
      facts: { ...fstab(entry(1, `UUID=${ROOT}`, '/', 'ext4')), 'guest.os': { os: 'windows' } },
      status: 'skipped',
    },
  ],
});
