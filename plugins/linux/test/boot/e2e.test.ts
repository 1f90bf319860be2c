/**
 * The plugin and the built-in pack together, through the engine, over in-memory guests laid out
 * like real distributions: the os/ and boot/ items with their evidence.
 */
import { fileURLToPath } from 'node:url';
import type { MbrBootCodeKindV2 } from '@imagecheck/sdk';
import { loadPack, type Report, type ReportItem, runCheck } from '@imagecheck/sdk';
import { createMemoryGuest } from '@imagecheck/sdk/testing';
import { describe, expect, it } from 'vitest';
import { plugin } from '../../src/index.js';
import { bootFacts } from './helpers.js';
import {
  DEB_ESP_UUID,
  DEB_KVER,
  DEB_ROOT_UUID,
  debianEspStub,
  debianFiles,
  debianGrubCfg,
} from './layouts.js';

const pack = await loadPack(fileURLToPath(new URL('../../../../rules/linux', import.meta.url)));
const MINE = [
  'GUESTOS.Platform',
  'GUESTOS.OSVersion',
  'GUESTOS.Architecture',
  'GUESTOS.RtcTimeMode',
  'GUESTOS.Selinux',
  'GUESTOS.KernelVersion',
  'GUESTOS.Grub',
  'GUESTOS.BootMode',
  'GUESTOS.SystemImage',
  'GUESTOS.SupportMocInstanceTypes',
];

// A 64-byte x86_64 ELF identification as every distribution's /usr/lib/systemd/systemd starts.
const ELF_X86_64 = (() => {
  const h = new Uint8Array(64);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  h[18] = 62;
  return h;
})();

function debian(opts: { rootUuid?: string; root?: Record<string, unknown>; bootCode?: string } = {}) {
  return createMemoryGuest({
    boot: bootFacts(
      { kind: (opts.bootCode ?? 'grub2') as MbrBootCodeKindV2, coreSector: 2048, embeddedCore: 'grub2' },
      { partition: 1, core: 'grub2' },
    ),
    partitions: [{ type: 'EF02', size: 1 << 20 }, { type: 'EF00' }, { type: '8300' }],
    filesystems: [
      {
        id: 'p2',
        type: 'vfat',
        uuid: DEB_ESP_UUID,
        location: 2,
        mount: '/boot/efi',
        files: {
          '/EFI/debian/grub.cfg': debianEspStub(),
          '/EFI/debian/shimx64.efi': 'MZ',
          '/EFI/BOOT/BOOTX64.EFI': 'MZ',
        },
      },
      {
        id: 'p3',
        type: 'ext4',
        uuid: opts.rootUuid ?? DEB_ROOT_UUID,
        location: 3,
        mount: '/',
        files: {
          ...debianFiles({ grubCfg: debianGrubCfg().replaceAll('hd0,gpt2', 'hd0,gpt3') }),
          '/etc/adjtime': '0.0 0 0.0\n0\nUTC\n',
          '/lib/systemd/systemd': ELF_X86_64,
          '/sbin/init': { symlink: '/lib/systemd/systemd' },
          ...(opts.root ?? {}),
        } as never,
      },
    ],
  });
}

async function check(access: ReturnType<typeof createMemoryGuest>): Promise<Record<string, ReportItem>> {
  const report: Report = await runCheck({ access, packs: [pack], plugins: [plugin], select: { only: MINE } });
  return Object.fromEntries(report.items.map((i) => [i.name, i]));
}

describe('os/ and boot/ items end to end', () => {
  it('a good Debian 12 image: every high-risk item passes, the info items report their values', async () => {
    const items = await check(debian());
    expect(items['GUESTOS.Platform']).toMatchObject({
      status: 'info',
      value: 'Linux debian (Debian GNU/Linux)',
    });
    expect(items['GUESTOS.OSVersion']).toMatchObject({
      status: 'info',
      value: 'Debian GNU/Linux 12 (bookworm) (12.8)',
    });
    expect(items['GUESTOS.Architecture']).toMatchObject({ status: 'info', value: 'x86_64' });
    expect(items['GUESTOS.KernelVersion']).toMatchObject({ status: 'info', value: DEB_KVER });
    expect(items['GUESTOS.BootMode']).toMatchObject({ status: 'info', value: 'uefi-and-bios' });
    for (const id of [
      'GUESTOS.Grub',
      'GUESTOS.SystemImage',
      'GUESTOS.RtcTimeMode',
      'GUESTOS.Selinux',
      'GUESTOS.SupportMocInstanceTypes',
    ]) {
      expect(items[id]?.status, `${id}: ${items[id]?.message}`).toBe('pass');
    }
  });

  it('a grub root UUID that does not exist fails GUESTOS.Grub with file and line, and nothing else', async () => {
    const ghost = '11111111-2222-3333-4444-555555555555';
    const items = await check(
      debian({
        root: { '/boot/grub/grub.cfg': debianGrubCfg(ghost, ghost).replaceAll('hd0,gpt2', 'hd0,gpt3') },
      }),
    );
    expect(items['GUESTOS.Grub']).toMatchObject({ status: 'fail', riskLevel: 'high' });
    const evidence = items['GUESTOS.Grub']?.findings?.flatMap((f) => f.evidence) ?? [];
    expect(evidence.some((e) => e.path === '/boot/grub/grub.cfg' && typeof e.line === 'number')).toBe(true);
    for (const id of [
      'GUESTOS.SystemImage',
      'GUESTOS.KernelVersion',
      'GUESTOS.Selinux',
      'GUESTOS.RtcTimeMode',
    ]) {
      expect(items[id]?.status, `${id}: ${items[id]?.message}`).toMatch(/^(pass|info)$/);
    }
  });

  it('SELinux enforcing and RTC LOCAL each fail their item only', async () => {
    const items = await check(
      debian({
        root: {
          '/etc/selinux/config': 'SELINUX=enforcing\nSELINUXTYPE=default\n',
          '/etc/adjtime': '0.0 0 0.0\n0\nLOCAL\n',
        },
      }),
    );
    expect(items['GUESTOS.Selinux']).toMatchObject({ status: 'fail', riskLevel: 'medium' });
    expect(items['GUESTOS.Selinux']?.findings?.[0]?.evidence[0]).toMatchObject({
      path: '/etc/selinux/config',
      line: 1,
    });
    expect(items['GUESTOS.RtcTimeMode']).toMatchObject({ status: 'fail', riskLevel: 'low' });
    expect(items['GUESTOS.RtcTimeMode']?.repair?.script?.content).toContain(
      "sed -i '3s/^LOCAL$/UTC/' /etc/adjtime",
    );
    expect(items['GUESTOS.Grub']?.status).toBe('pass');
  });

  it('an all-zero disk: SystemImage and BootMode fail saying so, the file items error, never pass', async () => {
    const items = await check(
      createMemoryGuest({
        disk: { virtualSize: 1 << 30, detected: 'zero' },
        boot: bootFacts({ kind: 'empty' }),
      }),
    );
    expect(items['GUESTOS.SystemImage']).toMatchObject({ status: 'fail', riskLevel: 'high' });
    expect(items['GUESTOS.SystemImage']?.message).toContain('zero');
    expect(items['GUESTOS.BootMode']).toMatchObject({ status: 'fail', riskLevel: 'high' });
    const layoutOnly = ['GUESTOS.SystemImage', 'GUESTOS.BootMode'];
    for (const id of MINE.filter((i) => !layoutOnly.includes(i))) expect(items[id]?.status, id).toBe('error');
  });
});
