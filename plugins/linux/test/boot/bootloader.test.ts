import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryGuest } from '@imagecheck/sdk/testing';
import { requireTools } from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import type { Bootloader } from '../../src/boot/bootloader.js';
import { parseGrubScript } from '../../src/boot/grub-script.js';
import { factsOf, factValue } from './helpers.js';
import {
  centos7GrubCfg,
  DEB_ESP_UUID,
  DEB_KVER,
  DEB_ROOT_UUID,
  debianEspStub,
  debianFiles,
  debianGrubCfg,
  grubenv,
  MACHINE_ID,
  RHEL_BOOT_UUID,
  RHEL_KVER,
  RHEL_KVER_OLD,
  RHEL_ROOT_UUID,
  rhel9EspStub,
  rhel9GrubCfg,
  rhelBls,
} from './layouts.js';

/** 1-based line of the first line containing `needle` after `after` in `text`. */
function lineOf(text: string, needle: string, after = 0): number {
  return text.split('\n').findIndex((l, i) => i >= after && l.includes(needle)) + 1;
}
/** The simple entry's `search` in Debian's grub.cfg. */
const DEB_ENTRY_SEARCH = lineOf(
  debianGrubCfg(),
  'search --no-floppy --fs-uuid --set=root --hint-bios',
  lineOf(debianGrubCfg(), "menuentry 'Debian GNU/Linux'"),
);

function debianGuest(
  opts: { grubCfg?: string; stub?: string; extra?: Record<string, string>; rootUuid?: string } = {},
) {
  return createMemoryGuest({
    partitions: [{ type: 'EF00' }, { type: '8300' }],
    filesystems: [
      {
        id: 'p1',
        type: 'vfat',
        uuid: DEB_ESP_UUID,
        mount: '/boot/efi',
        files: {
          '/EFI/debian/grub.cfg': opts.stub ?? debianEspStub(),
          '/EFI/debian/shimx64.efi': 'MZ',
          '/EFI/debian/grubx64.efi': 'MZ',
          '/EFI/BOOT/BOOTX64.EFI': 'MZ',
        },
      },
      {
        id: 'p2',
        type: 'ext4',
        uuid: opts.rootUuid ?? DEB_ROOT_UUID,
        mount: '/',
        files: debianFiles({
          ...(opts.grubCfg ? { grubCfg: opts.grubCfg } : {}),
          ...(opts.extra ? { extra: opts.extra } : {}),
        }),
      },
    ],
  });
}

function rhelGuest(
  opts: {
    env?: Record<string, string>;
    grubCfg?: string;
    entries?: Record<string, string>;
    bootUuid?: string;
    stub?: string;
  } = {},
) {
  const entries = opts.entries ?? {
    [`/loader/entries/${MACHINE_ID}-${RHEL_KVER}.conf`]: rhelBls(RHEL_KVER),
    [`/loader/entries/${MACHINE_ID}-${RHEL_KVER_OLD}.conf`]: rhelBls(RHEL_KVER_OLD),
    [`/loader/entries/${MACHINE_ID}-0-rescue.conf`]: `title Rocky Linux (0-rescue-${MACHINE_ID}) 9.4\nversion 0-rescue-${MACHINE_ID}\nlinux /vmlinuz-0-rescue-${MACHINE_ID}\ninitrd /initramfs-0-rescue-${MACHINE_ID}.img\noptions root=/dev/mapper/rl-root ro\n`,
  };
  return createMemoryGuest({
    partitions: [{ type: 'EF02', size: 1 << 20 }, { type: 'EF00' }, { type: '8300' }, { type: '8E00' }],
    volumes: [
      { kind: 'lvm', vg: 'rl', lv: 'root', uuid: 'x', size: 1 << 30, physicalVolumes: [4], readable: true },
    ],
    filesystems: [
      {
        id: 'p2',
        type: 'vfat',
        uuid: '7B77-95E7',
        location: 2,
        mount: '/boot/efi',
        files: {
          '/EFI/rocky/grub.cfg': opts.stub ?? rhel9EspStub(),
          '/EFI/rocky/shimx64.efi': 'MZ',
          '/EFI/BOOT/BOOTX64.EFI': 'MZ',
        },
      },
      {
        id: 'p3',
        type: 'xfs',
        uuid: opts.bootUuid ?? RHEL_BOOT_UUID,
        location: 3,
        mount: '/boot',
        files: {
          '/grub2/grub.cfg': opts.grubCfg ?? rhel9GrubCfg(),
          '/grub2/grubenv': grubenv(
            opts.env ?? { saved_entry: `${MACHINE_ID}-${RHEL_KVER}`, boot_success: '1' },
          ),
          [`/vmlinuz-${RHEL_KVER}`]: 'k',
          [`/initramfs-${RHEL_KVER}.img`]: 'i',
          [`/vmlinuz-${RHEL_KVER_OLD}`]: 'k',
          [`/initramfs-${RHEL_KVER_OLD}.img`]: 'i',
          [`/vmlinuz-0-rescue-${MACHINE_ID}`]: 'k',
          [`/initramfs-0-rescue-${MACHINE_ID}.img`]: 'i',
          ...entries,
        },
      },
      {
        id: 'lvm/rl/root',
        type: 'xfs',
        uuid: RHEL_ROOT_UUID,
        location: { kind: 'lvm', vg: 'rl', lv: 'root' },
        mount: '/',
        files: {
          '/etc/os-release':
            'NAME="Rocky Linux"\nVERSION="9.4 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n',
          '/etc/fstab': `/dev/mapper/rl-root / xfs defaults 0 0\nUUID=${RHEL_BOOT_UUID} /boot xfs defaults 0 0\nUUID=7B77-95E7 /boot/efi vfat umask=0077 0 2\n`,
          '/etc/selinux/config': 'SELINUX=enforcing\nSELINUXTYPE=targeted\n',
          [`/lib/modules/${RHEL_KVER}/modules.dep`]: '',
          [`/lib/modules/${RHEL_KVER_OLD}/modules.dep`]: '',
        },
      },
    ],
  });
}

describe('grub.cfg parser', () => {
  it('parses grub-mkconfig output into conditionals, functions, menu entries and submenus', () => {
    const nodes = parseGrubScript(debianGrubCfg());
    const kinds = nodes.map((n) => n.kind);
    expect(kinds).toContain('if');
    expect(kinds.filter((k) => k === 'menuentry')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'submenu')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'function')).toHaveLength(3);
  });

  it('throws a typed error, does not hang, on nesting bombs and unbalanced input', () => {
    expect(() => parseGrubScript('if true; then\n'.repeat(100))).toThrowError(
      expect.objectContaining({ code: 'grub/too-deep' }),
    );
    expect(() => parseGrubScript('menuentry x {\n'.repeat(40))).toThrowError(
      expect.objectContaining({ code: 'grub/too-deep' }),
    );
    // Unterminated quotes and stray closers end the file instead of looping.
    expect(parseGrubScript('set a="unterminated\n}\nfi\n')).toBeInstanceOf(Array);
    expect(parseGrubScript("linux '/vmlinuz\n")).toHaveLength(1);
  });
});

describe('linux.bootloader on Debian 12 (GPT, ESP stub, grub-mkconfig config)', () => {
  it('follows the config to the default entry and checks its files on the device search found', async () => {
    const bl = await factValue<Bootloader>(debianGuest(), 'linux.bootloader');
    expect(bl.kind).toBe('grub2');
    expect(bl.config).toBe('/boot/grub/grub.cfg');
    expect(bl.defaultSetting).toBe('0');
    expect(bl.defaultFound).toBe(true);
    expect(bl.entries.map((e) => e.title)).toEqual([
      'Debian GNU/Linux',
      `Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux ${DEB_KVER}`,
      'Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-26-amd64',
    ]);
    expect(bl.defaultEntry).toMatchObject({
      title: 'Debian GNU/Linux',
      id: `gnulinux-simple-${DEB_ROOT_UUID}`,
      file: '/boot/grub/grub.cfg',
      kernel: `/boot/vmlinuz-${DEB_KVER}`,
      device: 'hd0,gpt2',
      filesystem: 'p2',
      kernelExists: true,
      initrdExists: true,
      rootParam: `UUID=${DEB_ROOT_UUID}`,
      rootResolved: true,
      rootFilesystem: 'p2',
    });
    expect(bl.defaultKernelArgs).toContain('console=ttyS0,115200');
    expect(bl.espConfigs).toEqual([{ path: '/boot/efi/EFI/debian/grub.cfg', stub: true }]);
    expect(bl.unresolved).toEqual([]);
    // the stub's search.fs_uuid and configfile, then the script's and the entry's search commands
    expect(bl.references.filter((r) => r.scope === 'stub').map((r) => r.kind)).toEqual([
      'search-fs-uuid',
      'configfile',
    ]);
    expect(
      bl.references.some(
        (r) => r.scope === 'entry' && r.kind === 'search-fs-uuid' && r.line === DEB_ENTRY_SEARCH,
      ),
    ).toBe(true);
  });

  it('a grub root UUID that is not in the image: every search and root= is unresolved, with file and line', async () => {
    const ghost = '11111111-2222-3333-4444-555555555555';
    const bl = await factValue<Bootloader>(
      debianGuest({ grubCfg: debianGrubCfg(ghost, ghost), stub: debianEspStub(ghost) }),
      'linux.bootloader',
    );
    const where = bl.unresolved.map((r) => `${r.scope} ${r.file}:${r.line} ${r.kind}`);
    expect(where).toContain('stub /boot/efi/EFI/debian/grub.cfg:1 search-fs-uuid');
    expect(where).toContain(`entry /boot/grub/grub.cfg:${DEB_ENTRY_SEARCH} search-fs-uuid`);
    expect(bl.defaultEntry?.rootResolved).toBe(false);
    expect(bl.defaultEntry?.rootNote).toContain(ghost);
    // search failed, so root stays 'hd0,gpt2' (set just before): the kernel is still found there.
    expect(bl.defaultEntry?.kernelExists).toBe(true);
  });

  it('saved_entry in grubenv with `default=saved` picks a submenu entry by title path', async () => {
    const cfg = debianGrubCfg().replace('   set default="0"', `   set default="\${saved_entry}"`);
    const saved = 'Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-26-amd64';
    const bl = await factValue<Bootloader>(
      debianGuest({ grubCfg: cfg, extra: { '/boot/grub/grubenv': grubenv({ saved_entry: saved }) } }),
      'linux.bootloader',
    );
    expect(bl.savedEntry).toBe(saved);
    expect(bl.defaultFound).toBe(true);
    expect(bl.defaultEntry).toMatchObject({
      source: 'grubenv',
      kernel: '/boot/vmlinuz-6.1.0-26-amd64',
      kernelExists: true,
    });
    expect(bl.grubenv?.file).toBe('/boot/grub/grubenv');
  });

  it('a default naming no entry falls back to the first, and says so', async () => {
    const cfg = debianGrubCfg().replace(
      '   set default="0"',
      '   set default="gnulinux-5.10.0-9-amd64-advanced"',
    );
    const bl = await factValue<Bootloader>(debianGuest({ grubCfg: cfg }), 'linux.bootloader');
    expect(bl.defaultFound).toBe(false);
    expect(bl.defaultSetting).toBe('gnulinux-5.10.0-9-amd64-advanced');
    expect(bl.defaultEntry?.title).toBe('Debian GNU/Linux');
  });

  it('a kernel removed after grub-mkconfig ran: kernelExists false', async () => {
    const access = createMemoryGuest({
      partitions: [{ type: 'EF00' }, { type: '8300' }],
      filesystems: [
        {
          id: 'p2',
          type: 'ext4',
          uuid: DEB_ROOT_UUID,
          location: 2,
          mount: '/',
          files: { ...debianFiles(), [`/boot/vmlinuz-${DEB_KVER}`]: { symlink: 'nowhere' } } as never,
        },
      ],
    });
    const bl = await factValue<Bootloader>(access, 'linux.bootloader');
    expect(bl.defaultEntry?.kernelExists).toBe(false);
    expect(bl.espConfigs).toEqual([]);
  });
});

describe('linux.bootloader on RHEL 9 / Rocky 9 (separate /boot, BLS, grubenv, LVM root)', () => {
  it('runs blscfg: entries newest first, saved_entry from grubenv, paths on the /boot filesystem', async () => {
    const bl = await factValue<Bootloader>(rhelGuest(), 'linux.bootloader');
    expect(bl.config).toBe('/boot/grub2/grub.cfg');
    expect(bl.blsEntries).toBe(3);
    expect(bl.entries.map((e) => e.id)).toEqual([
      `${MACHINE_ID}-${RHEL_KVER}`,
      `${MACHINE_ID}-${RHEL_KVER_OLD}`,
      `${MACHINE_ID}-0-rescue`,
    ]);
    expect(bl.defaultEntry).toMatchObject({
      source: 'grubenv',
      file: `/boot/loader/entries/${MACHINE_ID}-${RHEL_KVER}.conf`,
      kernel: `/vmlinuz-${RHEL_KVER}`,
      filesystem: 'p3',
      kernelExists: true,
      initrdExists: true,
      rootParam: '/dev/mapper/rl-root',
      rootResolved: true,
      rootFilesystem: 'lvm/rl/root',
    });
    expect(bl.grubenv?.file).toBe('/boot/grub2/grubenv');
    expect(bl.unresolved).toEqual([]);
  });

  it('RHEL 8 style `options $kernelopts` takes the command line from grubenv', async () => {
    const entries = {
      [`/loader/entries/${MACHINE_ID}-${RHEL_KVER}.conf`]: rhelBls(RHEL_KVER, '$kernelopts $tuned_params'),
    };
    const bl = await factValue<Bootloader>(
      rhelGuest({
        entries,
        env: {
          saved_entry: `${MACHINE_ID}-${RHEL_KVER}`,
          kernelopts: 'root=UUID=d5e0a0a4-5a0f-4b0b-9a51-3f4a5ce1f0a2 ro selinux=0',
        },
      }),
      'linux.bootloader',
    );
    expect(bl.defaultKernelArgs).toBe(`root=UUID=${RHEL_ROOT_UUID} ro selinux=0`);
    expect(bl.defaultEntry?.rootFilesystem).toBe('lvm/rl/root');
  });

  it('no saved_entry: the newest BLS entry (index 0) is the default', async () => {
    const bl = await factValue<Bootloader>(rhelGuest({ env: {} }), 'linux.bootloader');
    expect(bl.defaultSetting).toBe('');
    expect(bl.defaultEntry?.kernel).toBe(`/vmlinuz-${RHEL_KVER}`);
  });

  it('a cloned /boot with a new UUID: the ESP stub and the script search for the old one', async () => {
    const bl = await factValue<Bootloader>(
      rhelGuest({ bootUuid: 'aaaaaaaa-0000-0000-0000-000000000000' }),
      'linux.bootloader',
    );
    expect(bl.unresolved.map((r) => `${r.scope}:${r.file}:${r.line}`)).toEqual([
      `global:/boot/grub2/grub.cfg:${lineOf(rhel9GrubCfg(), '--set=root --hint-bios')}`,
      `global:/boot/grub2/grub.cfg:${lineOf(rhel9GrubCfg(), '--set=boot --hint-bios')}`,
      'stub:/boot/efi/EFI/rocky/grub.cfg:1',
      'stub:/boot/efi/EFI/rocky/grub.cfg:5',
    ]);
  });
});

describe('linux.bootloader on CentOS 7 (MBR, /boot xfs p1, linux16)', () => {
  it('reads the default from saved_entry and resolves hd0,msdos1', async () => {
    const kver = '3.10.0-1160.119.1.el7.x86_64';
    const bootUuid = '8d5a8e3c-3c5f-4e0f-b2a1-0f1e2d3c4b5a';
    const access = createMemoryGuest({
      partitions: [{ type: '0x83', bootable: true }, { type: '0x8e' }],
      filesystems: [
        {
          id: 'p1',
          type: 'xfs',
          uuid: bootUuid,
          location: 1,
          mount: '/boot',
          files: {
            '/grub2/grub.cfg': centos7GrubCfg(bootUuid, '/dev/mapper/centos-root', kver),
            '/grub2/grubenv': grubenv({ saved_entry: `CentOS Linux (${kver}) 7 (Core)` }),
            [`/vmlinuz-${kver}`]: 'k',
            [`/initramfs-${kver}.img`]: 'i',
          },
        },
        {
          id: 'lvm/centos/root',
          type: 'xfs',
          uuid: 'c0ffee00-0000-4000-8000-000000000001',
          location: { kind: 'lvm', vg: 'centos', lv: 'root' },
          mount: '/',
          files: {
            '/etc/redhat-release': 'CentOS Linux release 7.9.2009 (Core)\n',
            '/etc/grub2.cfg': { symlink: '../boot/grub2/grub.cfg' } as never,
          },
        },
      ],
      volumes: [
        {
          kind: 'lvm',
          vg: 'centos',
          lv: 'root',
          uuid: 'y',
          size: 1 << 30,
          physicalVolumes: [2],
          readable: true,
        },
      ],
    });
    const bl = await factValue<Bootloader>(access, 'linux.bootloader');
    expect(bl.defaultEntry).toMatchObject({
      source: 'grubenv',
      kernel: `/vmlinuz-${kver}`,
      device: 'hd0,msdos1',
      kernelExists: true,
      rootResolved: true,
      line: 36,
    });
    expect(bl.defaultEntry?.file).toBe('/boot/grub2/grub.cfg');
  });
});

describe('linux.bootloader on Alpine (extlinux)', () => {
  it('reads DEFAULT, LABEL, LINUX, INITRD and APPEND', async () => {
    const access = createMemoryGuest({
      partitions: [{ type: '0x83', bootable: true }],
      filesystems: [
        {
          id: 'p1',
          type: 'ext4',
          uuid: 'e1e1e1e1-0000-4000-8000-000000000001',
          mount: '/',
          files: {
            '/etc/alpine-release': '3.20.3\n',
            '/boot/extlinux.conf':
              'DEFAULT menu.c32\nPROMPT 0\nMENU TITLE Alpine/Linux Boot Menu\nTIMEOUT 10\nDEFAULT virt\n\nLABEL virt\n  MENU LABEL Linux virt\n  LINUX vmlinuz-virt\n  INITRD initramfs-virt\n  APPEND root=UUID=e1e1e1e1-0000-4000-8000-000000000001 modules=sd-mod,usb-storage,ext4 console=ttyS0,115200 rootfstype=ext4\n',
            '/boot/vmlinuz-virt': 'k',
            '/boot/initramfs-virt': 'i',
            '/lib/modules/6.6.58-0-virt/modules.dep': '',
          },
        },
      ],
    });
    const bl = await factValue<Bootloader>(access, 'linux.bootloader');
    expect(bl.kind).toBe('extlinux');
    expect(bl.defaultEntry).toMatchObject({
      title: 'virt',
      kernel: 'vmlinuz-virt',
      kernelPath: '/boot/vmlinuz-virt',
      kernelExists: true,
      rootResolved: true,
      line: 7,
    });
    const k = await factValue<{ default: { version: string } }>(access, 'linux.kernels');
    expect(k.default.version).toBe('6.6.58-0-virt');
  });
});

describe('grubenv written by the real grub-editenv', () => {
  const hasTool = requireTools('grub-editenv');
  it.skipIf(!hasTool)('is read by load_env', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imagecheck-grubenv-'));
    try {
      const env = join(dir, 'grubenv');
      execFileSync('grub-editenv', [env, 'create']);
      // grub-reboot/grub-set-default write a submenu entry as `<submenu id>><entry id>`.
      execFileSync('grub-editenv', [
        env,
        'set',
        `saved_entry=gnulinux-advanced-${DEB_ROOT_UUID}>gnulinux-${DEB_KVER}-advanced-${DEB_ROOT_UUID}`,
        'boot_success=1',
      ]);
      const bytes = readFileSync(env);
      expect(bytes.length).toBe(1024);
      const cfg = debianGrubCfg().replace('   set default="0"', `   set default="\${saved_entry}"`);
      const access = debianGuest({ grubCfg: cfg, extra: { '/boot/grub/grubenv': bytes.toString('latin1') } });
      const bl = await factValue<Bootloader>(access, 'linux.bootloader');
      expect(bl.grubenv?.values.boot_success).toBe('1');
      expect(bl.defaultEntry).toMatchObject({
        id: `gnulinux-${DEB_KVER}-advanced-${DEB_ROOT_UUID}`,
        source: 'grubenv',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('corrupted grub.cfg', () => {
  it('a self-including config and a 100k-line config end with a typed error or a bounded run', async () => {
    const loop = debianGuest({ grubCfg: 'source /boot/grub/grub.cfg\n' });
    const bl = await factValue<Bootloader>(loop, 'linux.bootloader');
    expect(bl.problems.map((p) => p.code)).toContain('grub/include-depth');
    const big = debianGuest({ grubCfg: 'set a=b\n'.repeat(120_000) });
    const r = (await factsOf(big, ['linux.bootloader']))['linux.bootloader'];
    expect(r).toMatchObject({
      status: 'unavailable',
      code: expect.stringMatching(/^grub\/too-many-(tokens|steps)$/),
    });
  });
});
