import type { BootFactsV2 } from '@imagecheck/sdk';
import { createMemoryGuest } from '@imagecheck/sdk/testing';
import { describe, expect, it } from 'vitest';
import type { BootMode } from '../../src/boot/boot-mode.js';
import type { Kernels } from '../../src/boot/kernels.js';
import type { SystemImage } from '../../src/boot/system-image.js';
import { bootFacts, factValue } from './helpers.js';
import {
  DEB_ESP_UUID,
  DEB_KVER,
  DEB_KVER_OLD,
  DEB_ROOT_UUID,
  debianEspStub,
  debianFiles,
} from './layouts.js';

function debian(
  opts: {
    esp?: Record<string, string> | null;
    root?: Record<string, unknown>;
    boot?: Partial<BootFactsV2>;
    biosBoot?: boolean;
  } = {},
) {
  const parts = [
    ...(opts.biosBoot ? [{ type: 'EF02', size: 1 << 20 }] : []),
    { type: 'EF00' },
    { type: '8300' },
  ];
  const espN = opts.biosBoot ? 2 : 1;
  return createMemoryGuest({
    ...(opts.boot ? { boot: opts.boot } : {}),
    partitions: parts,
    filesystems: [
      ...(opts.esp === null
        ? []
        : [
            {
              id: `p${espN}`,
              type: 'vfat',
              uuid: DEB_ESP_UUID,
              location: espN,
              mount: '/boot/efi',
              files: opts.esp ?? {
                '/EFI/debian/grub.cfg': debianEspStub(),
                '/EFI/debian/shimx64.efi': 'MZ',
                '/EFI/debian/grubx64.efi': 'MZ',
                '/EFI/BOOT/BOOTX64.EFI': 'MZ',
                '/EFI/BOOT/fbx64.efi': 'MZ',
              },
            },
          ]),
      {
        id: `p${espN + 1}`,
        type: 'ext4',
        uuid: DEB_ROOT_UUID,
        location: espN + 1,
        mount: '/',
        files: { ...debianFiles(), ...(opts.root ?? {}) } as never,
      },
    ],
  });
}

describe('linux.kernels', () => {
  it('the default kernel is the GRUB default entry, with its initrd, config and module tree', async () => {
    const k = await factValue<Kernels>(debian(), 'linux.kernels');
    expect(k.default).toEqual({
      version: DEB_KVER,
      image: `/boot/vmlinuz-${DEB_KVER}`,
      initrd: `/boot/initrd.img-${DEB_KVER}`,
      cmdline: expect.stringContaining(`root=UUID=${DEB_ROOT_UUID}`),
      source: 'grub',
      imageExists: true,
      initrdExists: true,
      modulesDir: true,
      config: `/boot/config-${DEB_KVER}`,
    });
    expect(k.installed.map((x) => x.version)).toEqual([DEB_KVER_OLD, DEB_KVER]);
    expect(k.moduleTrees).toEqual([DEB_KVER_OLD, DEB_KVER]);
  });

  it('no boot loader: the newest /boot image, ignoring rescue kernels', async () => {
    const k = await factValue<Kernels>(
      debian({
        root: {
          '/boot/grub/grub.cfg': { symlink: 'missing' },
          '/boot/vmlinuz-0-rescue-2f6c9f1c4b7a4b1e8d7e6e6c5f0a9b3d': 'k',
          '/boot/.vmlinuz-6.1.0-28-amd64.hmac': 'x',
        },
      }),
      'linux.kernels',
    );
    expect(k.default).toMatchObject({ version: DEB_KVER, source: 'newest', cmdline: '' });
    expect(k.installed.find((x) => x.rescue)?.version).toBe('0-rescue-2f6c9f1c4b7a4b1e8d7e6e6c5f0a9b3d');
  });

  it('the module tree of the default kernel removed: modulesDir false', async () => {
    const access = createMemoryGuest({
      partitions: [{ type: '8300' }],
      filesystems: [
        {
          id: 'p1',
          type: 'ext4',
          uuid: DEB_ROOT_UUID,
          mount: '/',
          files: Object.fromEntries(
            Object.entries(debianFiles()).filter(([p]) => !p.startsWith(`/lib/modules/${DEB_KVER}`)),
          ) as never,
        },
      ],
    });
    const k = await factValue<Kernels>(access, 'linux.kernels');
    expect(k.default).toMatchObject({ version: DEB_KVER, imageExists: true, modulesDir: false });
  });
});

describe('linux.bootMode', () => {
  it('an ESP with shim, grub and the removable path, and GRUB in the MBR with its core in the BIOS boot partition', async () => {
    const m = await factValue<BootMode>(
      debian({
        biosBoot: true,
        boot: bootFacts({ kind: 'grub2' }, { partition: 1, core: 'grub2' }),
      }),
      'linux.bootMode',
    );
    expect(m.mode).toBe('uefi-and-bios');
    expect(m.uefi.loaders.map((l) => l.path).sort()).toEqual([
      '/EFI/BOOT/BOOTX64.EFI',
      '/EFI/debian/grubx64.efi',
      '/EFI/debian/shimx64.efi',
    ]);
    expect(m.uefi.esp).toEqual({ filesystem: 'p2', partition: 2, type: 'vfat' });
    expect(m.bios).toMatchObject({
      bootable: true,
      bootCode: 'grub2',
      biosBootPartition: { partition: 1, core: 'grub2' },
    });
  });

  it('GPT with boot.img but no BIOS boot partition: UEFI only', async () => {
    const m = await factValue<BootMode>(debian({ boot: bootFacts({ kind: 'grub2' }) }), 'linux.bootMode');
    expect(m.mode).toBe('uefi');
    expect(m.bios.note).toContain('no BIOS boot partition');
  });

  it('an empty ESP and a zeroed MBR: none', async () => {
    const m = await factValue<BootMode>(
      debian({ esp: {}, boot: bootFacts({ kind: 'empty' }) }),
      'linux.bootMode',
    );
    expect(m).toMatchObject({
      mode: 'none',
      uefi: { bootable: false },
      bios: { bootable: false, note: 'the MBR holds no boot code' },
    });
  });

  it('MBR disk with syslinux boot code: BIOS', async () => {
    const access = createMemoryGuest({
      boot: bootFacts({ kind: 'syslinux' }),
      partitions: [{ type: '0x83', bootable: true }],
      filesystems: [{ id: 'p1', type: 'ext4', mount: '/', files: { '/etc/alpine-release': '3.20.3\n' } }],
    });
    expect((await factValue<BootMode>(access, 'linux.bootMode')).mode).toBe('bios');
  });

  it('an ESP found by partition type when the guest does not mount it; aarch64 loader', async () => {
    const access = createMemoryGuest({
      partitions: [{ type: 'EF00' }, { type: '8300' }],
      filesystems: [
        { id: 'p1', type: 'vfat', files: { '/EFI/BOOT/BOOTAA64.EFI': 'MZ' } },
        { id: 'p2', type: 'ext4', mount: '/', files: { '/etc/os-release': 'ID=debian\n' } },
      ],
    });
    const m = await factValue<BootMode>(access, 'linux.bootMode');
    expect(m.uefi.loaders).toEqual([{ path: '/EFI/BOOT/BOOTAA64.EFI', architecture: 'aarch64' }]);
  });
});

describe('linux.systemImage', () => {
  it('a Debian system disk', async () => {
    expect(await factValue<SystemImage>(debian(), 'linux.systemImage')).toMatchObject({
      verdict: 'ok',
      root: 'p2',
      kernel: `/boot/vmlinuz-${DEB_KVER}`,
    });
  });
  const cases: [string, Parameters<typeof createMemoryGuest>[0], SystemImage['verdict']][] = [
    ['empty', { disk: { virtualSize: 0, detected: 'empty' } }, 'empty'],
    ['all zero', { disk: { virtualSize: 1 << 30, detected: 'zero' } }, 'zero'],
    [
      'an installer ISO',
      {
        disk: { detected: 'iso9660' },
        filesystems: [{ id: 'disk', type: 'iso9660', location: 'disk', readable: false }],
      },
      'iso9660',
    ],
    [
      'a LUKS root',
      {
        partitions: [{ type: 'EF00' }, { type: 'CA7D7CCB-63ED-4C53-861C-1742536059CC' }],
        filesystems: [
          { id: 'p1', type: 'vfat' },
          { id: 'p2', type: 'luks', uuid: 'f00d0000-0000-4000-8000-000000000000' },
        ],
      },
      'encrypted',
    ],
    [
      'a data disk',
      {
        partitions: [{ type: '8300' }],
        filesystems: [{ id: 'p1', type: 'xfs', files: { '/backup/db.dump': 'x' } }],
      },
      'data-only',
    ],
    ['no partition table, no filesystem', { disk: { virtualSize: 1 << 20 } }, 'unrecognised'],
    [
      'a root without boot loader',
      {
        partitions: [{ type: '8300' }],
        filesystems: [
          {
            id: 'p1',
            type: 'ext4',
            mount: '/',
            files: { '/etc/os-release': 'ID=debian\n', '/boot/vmlinuz-6.1.0-28-amd64': 'k' },
          },
        ],
      },
      'no-bootloader',
    ],
    [
      'a root without kernel',
      {
        partitions: [{ type: '8300' }],
        filesystems: [
          {
            id: 'p1',
            type: 'ext4',
            mount: '/',
            files: {
              '/etc/os-release': 'ID=debian\n',
              '/boot/grub/grub.cfg': "menuentry 'x' {\n linux /boot/vmlinuz-6.1.0-28-amd64\n}\n",
            },
          },
        ],
      },
      'no-kernel',
    ],
  ];
  for (const [name, desc, verdict] of cases) {
    it(`${name}: ${verdict}`, async () => {
      expect((await factValue<SystemImage>(createMemoryGuest(desc), 'linux.systemImage')).verdict).toBe(
        verdict,
      );
    });
  }
});

describe('openSUSE Leap 15 (btrfs root, /boot/grub2, initrd-<version>)', () => {
  it('the default entry and its initrd', async () => {
    const kver = '5.14.21-150500.55.19-default';
    const uuid = '9c4f1b2e-5d6a-4e7b-8c9d-0a1b2c3d4e5f';
    const cfg = `set btrfs_relative_path="yes"\nif [ -s $prefix/grubenv ]; then\n  load_env\nfi\nset default="\${saved_entry}"\nmenuentry 'openSUSE Leap 15.5'  --class opensuse --class gnu-linux --class gnu --class os $menuentry_id_option 'gnulinux-simple-${uuid}' {\n\tload_video\n\tset gfxpayload=keep\n\tinsmod gzio\n\tinsmod part_gpt\n\tinsmod btrfs\n\tset root='hd0,gpt2'\n\tif [ x$feature_platform_search_hint = xy ]; then\n\t  search --no-floppy --fs-uuid --set=root --hint-bios=hd0,gpt2 --hint-efi=hd0,gpt2 --hint-baremetal=ahci0,gpt2  ${uuid}\n\telse\n\t  search --no-floppy --fs-uuid --set=root ${uuid}\n\tfi\n\techo\t'Loading Linux ${kver} ...'\n\tlinux\t/boot/vmlinuz-${kver} root=UUID=${uuid} \${extra_cmdline} splash=silent mitigations=auto quiet security=apparmor\n\techo\t'Loading initial ramdisk ...'\n\tinitrd\t/boot/initrd-${kver}\n}\n`;
    const access = createMemoryGuest({
      partitions: [{ type: 'EF02', size: 1 << 20 }, { type: '8300' }],
      filesystems: [
        {
          id: 'p2',
          type: 'btrfs',
          uuid,
          location: 2,
          mount: '/',
          files: {
            '/etc/os-release':
              'NAME="openSUSE Leap"\nVERSION="15.5"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"\n',
            '/boot/grub2/grub.cfg': cfg,
            '/boot/grub2/grubenv': '# GRUB Environment Block\nsaved_entry=openSUSE Leap 15.5\n',
            [`/boot/vmlinuz-${kver}`]: 'k',
            [`/boot/initrd-${kver}`]: 'i',
            '/boot/vmlinuz': { symlink: `vmlinuz-${kver}` },
            '/boot/initrd': { symlink: `initrd-${kver}` },
            [`/lib/modules/${kver}/modules.dep`]: '',
          } as never,
        },
      ],
    });
    const k = await factValue<Kernels>(access, 'linux.kernels');
    expect(k.default).toMatchObject({
      version: kver,
      source: 'grubenv',
      initrd: `/boot/initrd-${kver}`,
      initrdExists: true,
      modulesDir: true,
    });
    expect(k.installed.map((x) => x.version)).toEqual([kver]);
    expect(k.installed[0]?.initrd).toBe(`/boot/initrd-${kver}`);
  });
});

describe('linux.bootMode and the guest architecture', () => {
  it('an aarch64-only ESP does not make an x86_64 guest UEFI-bootable', async () => {
    const elf = new Uint8Array(64);
    elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    elf[18] = 62; // EM_X86_64
    const access = createMemoryGuest({
      partitions: [{ type: 'EF00' }, { type: '8300' }],
      filesystems: [
        {
          id: 'p1',
          type: 'vfat',
          mount: '/boot/efi',
          files: { '/EFI/BOOT/BOOTAA64.EFI': 'MZ', '/EFI/debian/grubaa64.efi': 'MZ' },
        },
        { id: 'p2', type: 'ext4', mount: '/', files: { '/etc/os-release': 'ID=debian\n', '/bin/sh': elf } },
      ],
    });
    const m = await factValue<BootMode>(access, 'linux.bootMode');
    expect(m.mode).toBe('none');
    expect(m.uefi.note).toBe('the EFI system partition holds loaders for aarch64 only, not for x86_64');
  });
});
