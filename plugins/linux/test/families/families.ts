/**
 * Real disk images of the distribution families this machine cannot install (RHEL/CentOS 7,
 * Rocky 9, Alibaba Cloud Linux 3, openSUSE, Ubuntu 24.04, Alpine): the guest trees the plugin's
 * memory-guest tests use (boot/layouts.ts, kernel-modules/layouts.ts) plus each family's own network,
 * init and cloud-init files, written as real files and put into real filesystems by the real
 * tools (mke2fs -d, mkfs.xfs -p, mkfs.btrfs --rootdir, mkfs.fat + mcopy, LVM on a loop device),
 * partitioned by sgdisk/sfdisk, GRUB i386-pc boot code from the host's grub-mkimage, converted
 * to qcow2 by qemu-img. Cached under fixtureCacheDir('linux-families') by a hash of the spec.
 *
 * The Rocky 9 image carries a real dracut initramfs built from the host's kernel modules when
 * dracut is installed (its kernel version is then the host's; otherwise the layout's cpio one).
 *
 * The images (BIOS boot code in every one; the first partition starts at 1 MiB):
 *   centos7     MBR: p1 /boot xfs (grub2 menuentries, grubenv), p2 LVM VG centos, LV root xfs; ifcfg-rh
 *   rocky9      GPT: p1 BIOS boot, p2 ESP (EFI/rocky stub), p3 /boot xfs (BLS entry + grubenv
 *               kernelopts), p4 LVM VG rl, LV root xfs (/dev/mapper/rl-root); NetworkManager keyfile
 *   alinux3     GPT: p1 BIOS boot, p2 / ext4 with /boot in it (BLS); ifcfg under NetworkManager
 *   opensuse15  GPT: p1 BIOS boot, p2 / btrfs (top level; btrfs-progs here cannot make subvolumes
 *               without a mount); SUSE ifcfg + wicked
 *   ubuntu2404  GPT: p1 BIOS boot, p2 ESP, p3 / ext4 (LABEL=cloudimg-rootfs); netplan, cloud-init
 *   alpine320   MBR: p1 / ext4; OpenRC runlevels, mkinitfs initramfs-virt, ifupdown
 * and one fault variant of each (FAULT_NAMES) breaking a single item.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lchownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MemoryFiles } from '@imagecheck/sdk/testing';
import { fixtureCacheDir, requireTools, run, testKernel, which } from '@imagecheck/test-kit';
import { centos7GrubCfg, grubenv, MACHINE_ID, rhel9EspStub, rhel9GrubCfg, rhelBls } from '../boot/layouts.js';
import {
  alinux3,
  alpineVirt,
  centos7,
  kernelFiles,
  NVME_MODULES,
  rhel9,
  suse15,
  ubuntu2404,
} from '../kernel-modules/layouts.js';

/** Bump when the builder's output changes for the same spec. */
const BUILDER_VERSION = 2;
const MiB = 1024 * 1024;
const PROTOFILE = fileURLToPath(new URL('../images/xfs-protofile.mjs', import.meta.url));

export type FsType = 'ext4' | 'xfs' | 'vfat' | 'btrfs';
type Entry = MemoryFiles[string];
export type Tree = Record<string, Entry>;

export interface FsSpec {
  readonly type: FsType;
  readonly uuid: string;
  readonly label: string;
  readonly files: Tree;
}
export interface PartSpec {
  /** sgdisk type code (GPT) or sfdisk type byte (MBR: 83, 8e, ef). */
  readonly type: string;
  readonly sizeMiB: number;
  readonly fs?: FsSpec;
  readonly lvm?: {
    readonly vg: string;
    readonly lvs: readonly { name: string; sizeMiB: number; fs: FsSpec }[];
  };
}
export interface FamilySpec {
  readonly name: ImageName;
  readonly table: 'gpt' | 'mbr';
  readonly parts: readonly PartSpec[];
  /** Index in `parts` of a GPT BIOS boot partition holding core.img, or 'gap' for the MBR gap. */
  readonly grubCore: number | 'gap';
  /** grub-mkimage prefix, e.g. `(hd0,msdos1)/grub2`. */
  readonly grubPrefix: string;
}

export const FAMILY_NAMES = [
  'centos7',
  'rocky9',
  'alinux3',
  'opensuse15',
  'ubuntu2404',
  'alpine320',
] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

/** One fault per family, each breaking one item of its good twin. */
export const FAULT_NAMES = [
  'centos7-static-ip',
  'rocky9-fstab-ghost',
  'alinux3-selinux-enforcing',
  'opensuse15-rtc-local',
  'ubuntu2404-netplan-static',
  'alpine320-initramfs-novirtio',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];
export type ImageName = FamilyName | FaultName;

interface Fault {
  readonly name: FaultName;
  /** Changes the family's whole tree (before it is split across filesystems). */
  patch(tree: Tree): void | Promise<void>;
}

/** A filesystem UUID no filesystem of any family image has. */
export const GHOST_UUID = '0badf00d-dead-4bad-8bad-00000000dead';

export const FAMILY_TOOLS = [
  'sgdisk',
  'sfdisk',
  'mke2fs',
  'mkfs.xfs',
  'mkfs.btrfs',
  'mkfs.fat',
  'mcopy',
  'losetup',
  'pvcreate',
  'vgcreate',
  'lvcreate',
  'qemu-img',
  'grub-mkimage',
  'cpio',
  'gzip',
  'zstd',
];

export function canBuildFamilies(): boolean {
  return process.getuid?.() === 0 && requireTools(...FAMILY_TOOLS, '/usr/lib/grub/i386-pc/boot.img');
}

// ---------------------------------------------------------------------------------------------
// Family trees

const link = (target: string): Entry => ({ symlink: target });
const ELF_X86_64 = (() => {
  const h = new Uint8Array(64);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  h[18] = 62;
  return h;
})();

/** systemd as /sbin/init, UTC RTC, and `units` enabled in multi-user.target. */
function systemd(unitDir: string, units: readonly string[]): Tree {
  const t: Tree = {
    [`${unitDir}/systemd`]: { content: ELF_X86_64, mode: 0o755 },
    '/sbin/init': link(`${unitDir}/systemd`),
    '/etc/adjtime': '0.0 0 0.0\n0\nUTC\n',
    '/etc/machine-id': `${MACHINE_ID}\n`,
  };
  for (const u of units) {
    t[`${unitDir}/system/${u}`] = '[Unit]\n';
    t[`/etc/systemd/system/multi-user.target.wants/${u}`] = link(`${unitDir}/system/${u}`);
  }
  return t;
}

function cloudInit(unitDir: string, python: string): Tree {
  return {
    '/usr/bin/cloud-init': { content: '#!/usr/bin/python3\n', mode: 0o755 },
    [`${python}/cloudinit/version.py`]: '__VERSION__ = "23.4"\n',
    ...Object.fromEntries(
      ['cloud-init-local', 'cloud-init', 'cloud-config', 'cloud-final'].flatMap((u) => [
        [`${unitDir}/system/${u}.service`, '[Unit]\n'],
        [`/etc/systemd/system/cloud-init.target.wants/${u}.service`, link(`${unitDir}/system/${u}.service`)],
      ]),
    ),
    '/etc/cloud/cloud.cfg': 'cloud_init_modules:\n - growpart\n - resizefs\n',
    '/usr/bin/growpart': { content: '#!/bin/sh\n', mode: 0o755 },
  };
}

/** Splits a tree at mount points: the files under `mount` (re-rooted) and the rest. */
function split(tree: Tree, mount: string): [Tree, Tree] {
  const inside: Tree = {};
  const rest: Tree = {};
  for (const [p, e] of Object.entries(tree)) {
    if (p.startsWith(`${mount}/`)) inside[p.slice(mount.length)] = e;
    else rest[p] = e;
  }
  return [inside, rest];
}

const NM_KEYFILE = {
  content:
    '[connection]\nid=eth0\nuuid=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\ntype=ethernet\ninterface-name=eth0\n\n[ethernet]\n\n[ipv4]\nmethod=auto\n\n[ipv6]\naddr-gen-mode=eui64\nmethod=auto\n',
  mode: 0o600,
};

export const UUIDS = {
  centos7Boot: '4f8e3a1c-7b2d-4c5e-9f10-2a3b4c5d6e01',
  centos7Root: '4f8e3a1c-7b2d-4c5e-9f10-2a3b4c5d6e02',
  rockyEsp: '7A1B-2C3D',
  rockyBoot: '0b7e7a52-11f4-4e6e-a0a3-2d04e0f1c5b3',
  rockyRoot: 'd5e0a0a4-5a0f-4b0b-9a51-3f4a5ce1f0a2',
  alinuxRoot: 'a11a0000-3c3c-4d4d-8e8e-000000000003',
  suseRoot: '5e5e0000-1515-4a4a-9b9b-000000000015',
  ubuntuEsp: 'B0B0-2404',
  ubuntuRoot: 'b0b0b0b0-2404-4a4a-8b8b-000000002404',
  alpineRoot: 'a1a1a1a1-0320-4c4c-9d9d-000000000320',
} as const;

export interface Dracut {
  readonly kver: string;
  readonly initramfs: Uint8Array;
  readonly config: string;
  readonly builtin: string;
}

/** A real dracut initramfs of a host kernel with the virtio and NVMe drivers, cached. */
export async function hostDracut(): Promise<Dracut | undefined> {
  if (which('dracut') === undefined) return undefined;
  const kver = testKernel()?.version;
  if (kver === undefined) return undefined;
  const out = join(fixtureCacheDir('linux-families'), `dracut-${kver}.img`);
  if (!existsSync(out)) {
    const tmp = `${out}.tmp-${process.pid}`;
    // --no-hostonly: a generic image, as RHEL's cloud images ship; the drivers listed explicitly
    // so the image does not depend on what this host happens to have loaded.
    await run('dracut', [
      '--no-hostonly',
      '--force',
      '--quiet',
      '--kver',
      kver,
      '-m',
      'base',
      '--add-drivers',
      'virtio_blk virtio_net virtio_pci virtio_scsi nvme',
      '--compress',
      'zstd',
      '--no-early-microcode',
      tmp,
    ]);
    renameSync(tmp, out);
  }
  return {
    kver,
    initramfs: new Uint8Array(readFileSync(out)),
    config: readFileSync(`/boot/config-${kver}`, 'utf8'),
    builtin: readFileSync(`/lib/modules/${kver}/modules.builtin`, 'utf8'),
  };
}

async function centos7Spec(fault?: Fault): Promise<FamilySpec> {
  const k = centos7({ mergedUsr: false, initramfsModuleDir: 'usr/lib/modules' });
  const rootSpec = '/dev/mapper/centos-root';
  const tree: Tree = {
    ...(await kernelFiles([k])),
    '/etc/os-release':
      'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n',
    '/etc/centos-release': 'CentOS Linux release 7.9.2009 (Core)\n',
    '/etc/fstab': `/dev/mapper/centos-root /                       xfs     defaults        0 0\nUUID=${UUIDS.centos7Boot} /boot                   xfs     defaults        0 0\n`,
    '/etc/selinux/config': 'SELINUX=permissive\nSELINUXTYPE=targeted\n',
    '/boot/grub2/grub.cfg': centos7GrubCfg(UUIDS.centos7Boot, rootSpec, k.version),
    '/boot/grub2/grubenv': grubenv({ saved_entry: `CentOS Linux (${k.version}) 7 (Core)` }),
    ...systemd('/usr/lib/systemd', ['network.service']),
    '/etc/rc.d/rc3.d/S10network': link('../init.d/network'),
    '/etc/rc.d/init.d/network': { content: '#!/bin/bash\n', mode: 0o755 },
    '/etc/sysconfig/network-scripts/ifcfg-lo': 'DEVICE=lo\nIPADDR=127.0.0.1\n',
    '/etc/sysconfig/network-scripts/ifcfg-eth0':
      'DEVICE="eth0"\nBOOTPROTO="dhcp"\nONBOOT="yes"\nTYPE="Ethernet"\n',
    ...cloudInit('/usr/lib/systemd', '/usr/lib/python2.7/site-packages'),
  };
  await fault?.patch(tree);
  const [boot, root] = split(tree, '/boot');
  return {
    name: fault?.name ?? 'centos7',
    table: 'mbr',
    grubCore: 'gap',
    grubPrefix: '(hd0,msdos1)/grub2',
    parts: [
      { type: '83', sizeMiB: 320, fs: { type: 'xfs', uuid: UUIDS.centos7Boot, label: 'boot', files: boot } },
      {
        type: '8e',
        sizeMiB: 340,
        lvm: {
          vg: 'centos',
          lvs: [
            {
              name: 'root',
              sizeMiB: 320,
              fs: { type: 'xfs', uuid: UUIDS.centos7Root, label: '', files: root },
            },
          ],
        },
      },
    ],
  };
}

async function rocky9Spec(dracut: Dracut | undefined, fault?: Fault): Promise<FamilySpec> {
  const base = rhel9();
  const k =
    dracut === undefined
      ? base
      : rhel9({
          version: dracut.kver,
          image: `vmlinuz-${dracut.kver}`,
          initrd: `initramfs-${dracut.kver}.img`,
          config: `config-${dracut.kver}`,
          ext: '.ko',
        });
  const kfiles = await kernelFiles([k]);
  if (dracut !== undefined) {
    kfiles[`/boot/initramfs-${dracut.kver}.img`] = dracut.initramfs;
    kfiles[`/boot/config-${dracut.kver}`] = dracut.config;
    kfiles[`/usr/lib/modules/${dracut.kver}/modules.builtin`] = dracut.builtin;
  }
  const opts =
    'root=/dev/mapper/rl-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M rd.lvm.lv=rl/root console=ttyS0,115200n8';
  const tree: Tree = {
    ...kfiles,
    '/etc/os-release':
      'NAME="Rocky Linux"\nVERSION="9.4 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\nPRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n',
    '/etc/redhat-release': 'Rocky Linux release 9.4 (Blue Onyx)\n',
    '/etc/fstab': `/dev/mapper/rl-root     /                       xfs     defaults        0 0\nUUID=${UUIDS.rockyBoot} /boot                   xfs     defaults        0 0\nUUID=${UUIDS.rockyEsp}          /boot/efi               vfat    umask=0077,shortname=winnt 0 2\n`,
    '/etc/selinux/config': 'SELINUX=enforcing\nSELINUXTYPE=targeted\n',
    '/boot/grub2/grub.cfg': rhel9GrubCfg(UUIDS.rockyBoot),
    '/boot/grub2/grubenv': grubenv({
      saved_entry: `${MACHINE_ID}-${k.version}`,
      kernelopts: opts,
      boot_success: '0',
    }),
    [`/boot/loader/entries/${MACHINE_ID}-${k.version}.conf`]: rhelBls(k.version, opts),
    '/boot/efi/EFI/rocky/grub.cfg': rhel9EspStub(UUIDS.rockyBoot),
    '/boot/efi/EFI/rocky/shimx64.efi': 'MZ',
    '/boot/efi/EFI/BOOT/BOOTX64.EFI': 'MZ',
    ...systemd('/usr/lib/systemd', ['NetworkManager.service']),
    '/etc/NetworkManager/system-connections/eth0.nmconnection': NM_KEYFILE,
    ...cloudInit('/usr/lib/systemd', '/usr/lib/python3.9/site-packages'),
  };
  await fault?.patch(tree);
  const [esp, rest] = split(tree, '/boot/efi');
  const [boot, root] = split(rest, '/boot');
  return {
    name: fault?.name ?? 'rocky9',
    table: 'gpt',
    grubCore: 0,
    grubPrefix: '(hd0,gpt3)/grub2',
    parts: [
      { type: 'EF02', sizeMiB: 1 },
      { type: 'EF00', sizeMiB: 32, fs: { type: 'vfat', uuid: UUIDS.rockyEsp, label: 'EFI', files: esp } },
      { type: '8300', sizeMiB: 320, fs: { type: 'xfs', uuid: UUIDS.rockyBoot, label: 'boot', files: boot } },
      {
        type: '8E00',
        sizeMiB: 340,
        lvm: {
          vg: 'rl',
          lvs: [
            {
              name: 'root',
              sizeMiB: 320,
              fs: { type: 'xfs', uuid: UUIDS.rockyRoot, label: '', files: root },
            },
          ],
        },
      },
    ],
  };
}

async function alinux3Spec(fault?: Fault): Promise<FamilySpec> {
  const k = alinux3();
  const opts = `root=UUID=${UUIDS.alinuxRoot} ro crashkernel=0M-2G:0M,2G-8G:192M,8G-:256M console=ttyS0,115200n8`;
  const tree: Tree = {
    ...(await kernelFiles([k])),
    '/etc/os-release':
      'NAME="Alibaba Cloud Linux"\nVERSION="3 (Soaring Falcon)"\nID="alinux"\nID_LIKE="rhel fedora centos anolis"\nVERSION_ID="3"\nPRETTY_NAME="Alibaba Cloud Linux 3 (Soaring Falcon)"\n',
    '/etc/fstab': `UUID=${UUIDS.alinuxRoot} / ext4 defaults 1 1\n`,
    '/etc/selinux/config': 'SELINUX=disabled\nSELINUXTYPE=targeted\n',
    '/boot/grub2/grub.cfg': rhel9GrubCfg(UUIDS.alinuxRoot)
      .replaceAll('insmod xfs', 'insmod ext2')
      .replaceAll('hd0,gpt3', 'hd0,gpt2'),
    '/boot/grub2/grubenv': grubenv({ saved_entry: `${MACHINE_ID}-${k.version}`, kernelopts: opts }),
    [`/boot/loader/entries/${MACHINE_ID}-${k.version}.conf`]: rhelBls(k.version, opts)
      .replace('Rocky Linux', 'Alibaba Cloud Linux')
      .replace('9.4 (Blue Onyx)', '3 (Soaring Falcon)')
      .replace(/^linux (.*)$/m, 'linux /boot$1')
      .replace(/^initrd (.*)$/m, 'initrd /boot$1'),
    ...systemd('/usr/lib/systemd', ['NetworkManager.service']),
    '/etc/sysconfig/network-scripts/ifcfg-eth0': 'DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\nTYPE=Ethernet\n',
    ...cloudInit('/usr/lib/systemd', '/usr/lib/python3.6/site-packages'),
  };
  await fault?.patch(tree);
  return {
    name: fault?.name ?? 'alinux3',
    table: 'gpt',
    grubCore: 0,
    grubPrefix: '(hd0,gpt2)/boot/grub2',
    parts: [
      { type: 'EF02', sizeMiB: 1 },
      { type: '8300', sizeMiB: 96, fs: { type: 'ext4', uuid: UUIDS.alinuxRoot, label: 'root', files: tree } },
    ],
  };
}

async function opensuseSpec(fault?: Fault): Promise<FamilySpec> {
  const k = suse15('zstd');
  const kver = k.version;
  const tree: Tree = {
    ...(await kernelFiles([k])),
    '/etc/os-release':
      'NAME="openSUSE Leap"\nVERSION="15.6"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.6"\nPRETTY_NAME="openSUSE Leap 15.6"\n',
    '/etc/fstab': `UUID=${UUIDS.suseRoot}  /  btrfs  defaults  0  0\n`,
    '/boot/grub2/grub.cfg': `### BEGIN /etc/grub.d/10_linux ###
menuentry 'openSUSE Leap 15.6'  --class opensuse --class gnu-linux --class gnu --class os $menuentry_id_option 'gnulinux-simple-${UUIDS.suseRoot}' {
	load_video
	set gfxpayload=keep
	insmod gzio
	insmod part_gpt
	insmod btrfs
	search --no-floppy --fs-uuid --set=root ${UUIDS.suseRoot}
	echo	'Loading Linux ${kver} ...'
	linux	/boot/vmlinuz-${kver} root=UUID=${UUIDS.suseRoot}  console=ttyS0,115200 console=tty0 net.ifnames=0 quiet
	echo	'Loading initial ramdisk ...'
	initrd	/boot/initrd-${kver}
}
### END /etc/grub.d/10_linux ###
`,
    ...systemd('/usr/lib/systemd', ['wicked.service']),
    '/etc/systemd/system/network.service': link('/usr/lib/systemd/system/wicked.service'),
    '/etc/sysconfig/network/ifcfg-eth0': "BOOTPROTO='dhcp'\nSTARTMODE='auto'\nDHCLIENT_SET_HOSTNAME='yes'\n",
    '/etc/sysconfig/network/ifcfg-lo': "IPADDR='127.0.0.1/8'\nSTARTMODE='nfsroot'\nBOOTPROTO='static'\n",
    ...cloudInit('/usr/lib/systemd', '/usr/lib/python3.6/site-packages'),
  };
  await fault?.patch(tree);
  return {
    name: fault?.name ?? 'opensuse15',
    table: 'gpt',
    grubCore: 0,
    grubPrefix: '(hd0,gpt2)/boot/grub2',
    parts: [
      { type: 'EF02', sizeMiB: 1 },
      { type: '8300', sizeMiB: 160, fs: { type: 'btrfs', uuid: UUIDS.suseRoot, label: 'ROOT', files: tree } },
    ],
  };
}

async function ubuntuSpec(fault?: Fault): Promise<FamilySpec> {
  const k = ubuntu2404();
  const kver = k.version;
  const root = UUIDS.ubuntuRoot;
  const tree: Tree = {
    ...(await kernelFiles([k])),
    '/etc/os-release':
      'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nVERSION="24.04.1 LTS (Noble Numbat)"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n',
    '/etc/debian_version': 'trixie/sid\n',
    '/etc/fstab': `LABEL=cloudimg-rootfs\t/\t ext4\tdiscard,commit=30,errors=remount-ro\t0 1\nLABEL=UEFI\t/boot/efi\tvfat\tumask=0077\t0 1\n`,
    '/boot/grub/grub.cfg': `### BEGIN /etc/grub.d/10_linux ###
menuentry 'Ubuntu' --class ubuntu --class gnu-linux --class gnu --class os $menuentry_id_option 'gnulinux-simple-${root}' {
	recordfail
	load_video
	gfxmode $linux_gfx_mode
	insmod gzio
	insmod part_gpt
	insmod ext2
	search --no-floppy --fs-uuid --set=root ${root}
	linux	/boot/vmlinuz-${kver} root=LABEL=cloudimg-rootfs ro  console=tty1 console=ttyS0
	initrd	/boot/initrd.img-${kver}
}
### END /etc/grub.d/10_linux ###
`,
    '/boot/efi/EFI/ubuntu/grub.cfg': `search.fs_uuid ${root} root\nset prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n`,
    '/boot/efi/EFI/ubuntu/shimx64.efi': 'MZ',
    '/boot/efi/EFI/BOOT/BOOTX64.EFI': 'MZ',
    ...systemd('/usr/lib/systemd', ['systemd-networkd.service']),
    '/usr/libexec/netplan/generate': { content: ELF_X86_64, mode: 0o755 },
    '/etc/netplan/01-netcfg.yaml': {
      content: 'network:\n  version: 2\n  renderer: networkd\n  ethernets:\n    ens3:\n      dhcp4: true\n',
      mode: 0o600,
    },
    ...cloudInit('/usr/lib/systemd', '/usr/lib/python3/dist-packages'),
    // Image builders that write their own netplan turn cloud-init's network rendering off.
    '/etc/cloud/cloud.cfg.d/99-disable-network-config.cfg': 'network: {config: disabled}\n',
  };
  await fault?.patch(tree);
  const [esp, rest] = split(tree, '/boot/efi');
  return {
    name: fault?.name ?? 'ubuntu2404',
    table: 'gpt',
    grubCore: 0,
    grubPrefix: '(hd0,gpt3)/boot/grub',
    parts: [
      { type: 'EF02', sizeMiB: 1 },
      { type: 'EF00', sizeMiB: 32, fs: { type: 'vfat', uuid: UUIDS.ubuntuEsp, label: 'UEFI', files: esp } },
      { type: '8300', sizeMiB: 96, fs: { type: 'ext4', uuid: root, label: 'cloudimg-rootfs', files: rest } },
    ],
  };
}

async function alpineSpec(fault?: Fault): Promise<FamilySpec> {
  const k = alpineVirt();
  const root = UUIDS.alpineRoot;
  const tree: Tree = {
    ...(await kernelFiles([k])),
    '/etc/os-release':
      'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\nHOME_URL="https://alpinelinux.org/"\n',
    '/etc/alpine-release': '3.20.3\n',
    '/etc/fstab': `UUID=${root}\t/\text4\trw,relatime 0 1\n`,
    '/boot/grub/grub.cfg': `menuentry 'Alpine' {
	insmod part_msdos
	insmod ext2
	search --no-floppy --fs-uuid --set=root ${root}
	linux	/boot/vmlinuz-virt root=UUID=${root} ro modules=sd-mod,usb-storage,ext4 console=ttyS0,115200 rootfstype=ext4
	initrd	/boot/initramfs-virt
}
`,
    '/etc/mkinitfs/mkinitfs.conf': 'features="ata base ide scsi usb virtio ext4 nvme"\n',
    '/bin/busybox': { content: ELF_X86_64, mode: 0o755 },
    '/sbin/init': link('/bin/busybox'),
    '/sbin/openrc': { content: ELF_X86_64, mode: 0o755 },
    '/etc/inittab':
      '::sysinit:/sbin/openrc sysinit\n::sysinit:/sbin/openrc boot\n::wait:/sbin/openrc default\n',
    '/etc/runlevels/boot/networking': link('/etc/init.d/networking'),
    '/etc/init.d/networking': { content: '#!/sbin/openrc-run\n', mode: 0o755 },
    '/etc/network/interfaces': 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n',
    // setup-cloud-init: cloud-init-local in the boot runlevel, the other three in default.
    ...Object.fromEntries(
      ['cloud-init-local', 'cloud-init', 'cloud-config', 'cloud-final'].flatMap((s) => [
        [`/etc/init.d/${s}`, { content: '#!/sbin/openrc-run\n', mode: 0o755 }],
        [`/etc/runlevels/${s === 'cloud-init-local' ? 'boot' : 'default'}/${s}`, link(`/etc/init.d/${s}`)],
      ]),
    ),
    '/usr/bin/growpart': { content: '#!/bin/sh\n', mode: 0o755 },
    '/usr/bin/cloud-init': { content: '#!/usr/bin/python3\n', mode: 0o755 },
    '/usr/lib/python3.12/site-packages/cloudinit/version.py': '__VERSION__ = "24.1.3"\n',
    '/etc/cloud/cloud.cfg': 'cloud_init_modules:\n - growpart\n - resizefs\n',
  };
  await fault?.patch(tree);
  return {
    name: fault?.name ?? 'alpine320',
    table: 'mbr',
    grubCore: 'gap',
    grubPrefix: '(hd0,msdos1)/boot/grub',
    parts: [{ type: '83', sizeMiB: 96, fs: { type: 'ext4', uuid: root, label: 'root', files: tree } }],
  };
}

export async function familySpecs(): Promise<{ specs: FamilySpec[]; dracut: Dracut | undefined }> {
  const dracut = await hostDracut();
  return {
    dracut,
    specs: [
      await centos7Spec(),
      await rocky9Spec(dracut),
      await alinux3Spec(),
      await opensuseSpec(),
      await ubuntuSpec(),
      await alpineSpec(),
      await centos7Spec({
        name: 'centos7-static-ip',
        patch: (t) => {
          t['/etc/sysconfig/network-scripts/ifcfg-eth0'] =
            'DEVICE="eth0"\nBOOTPROTO="none"\nIPADDR="192.168.10.21"\nPREFIX="24"\nGATEWAY="192.168.10.1"\nONBOOT="yes"\nTYPE="Ethernet"\n';
        },
      }),
      await rocky9Spec(dracut, {
        name: 'rocky9-fstab-ghost',
        patch: (t) => {
          t['/etc/fstab'] = `${t['/etc/fstab'] as string}UUID=${GHOST_UUID} /srv xfs defaults 0 0\n`;
        },
      }),
      await alinux3Spec({
        name: 'alinux3-selinux-enforcing',
        patch: (t) => {
          t['/etc/selinux/config'] = 'SELINUX=enforcing\nSELINUXTYPE=targeted\n';
        },
      }),
      await opensuseSpec({
        name: 'opensuse15-rtc-local',
        patch: (t) => {
          t['/etc/adjtime'] = '0.0 0 0.0\n0\nLOCAL\n';
        },
      }),
      await ubuntuSpec({
        name: 'ubuntu2404-netplan-static',
        patch: (t) => {
          t['/etc/netplan/01-netcfg.yaml'] = {
            content:
              'network:\n  version: 2\n  renderer: networkd\n  ethernets:\n    ens3:\n      addresses: [192.168.10.21/24]\n      routes:\n        - to: default\n          via: 192.168.10.1\n',
            mode: 0o600,
          };
        },
      }),
      await alpineSpec({
        name: 'alpine320-initramfs-novirtio',
        // mkinitfs without the virtio feature: the initramfs holds the NVMe drivers only.
        patch: async (t) => {
          const k = { ...alpineVirt(), initramfsModules: Object.keys(NVME_MODULES) };
          const kf = await kernelFiles([k]);
          t['/boot/initramfs-virt'] = kf['/boot/initramfs-virt'] as Entry;
          t['/etc/mkinitfs/mkinitfs.conf'] = 'features="ata base ide scsi usb ext4 nvme"\n';
        },
      }),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Image building

/** Writes a tree as real files: symlinks, directories and files with their mode and owner. */
export function writeTree(dir: string, files: Tree): void {
  mkdirSync(dir, { recursive: true });
  for (const [path, e] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const p = join(dir, path);
    mkdirSync(dirname(p), { recursive: true });
    if (typeof e === 'string' || e instanceof Uint8Array) {
      writeFileSync(p, e);
      chmodSync(p, 0o644);
      continue;
    }
    const o = e as {
      symlink?: string;
      dir?: boolean;
      content?: string | Uint8Array;
      mode?: number;
      uid?: number;
      gid?: number;
      other?: string;
    };
    if (o.symlink !== undefined) {
      symlinkSync(o.symlink, p);
    } else if (o.dir === true) {
      mkdirSync(p, { recursive: true });
      chmodSync(p, o.mode ?? 0o755);
    } else if (o.other !== undefined) {
      throw new Error(`${path}: special files are not written into family images`);
    } else {
      writeFileSync(p, o.content ?? '');
      chmodSync(p, o.mode ?? 0o644);
    }
    lchownSync(p, o.uid ?? 0, o.gid ?? 0);
  }
}

function specHash(spec: FamilySpec): string {
  const h = createHash('sha256');
  h.update(`v${BUILDER_VERSION}`);
  h.update(
    JSON.stringify(spec, (_k, v: unknown) =>
      v instanceof Uint8Array ? `bytes:${createHash('sha256').update(v).digest('hex')}` : v,
    ),
  );
  return h.digest('hex').slice(0, 16);
}

async function mkfs(fs: FsSpec, scratch: string, sizeMiB: number, work: string): Promise<void> {
  rmSync(scratch, { force: true });
  const dir = join(work, `tree-${fs.uuid}`);
  rmSync(dir, { recursive: true, force: true });
  writeTree(dir, fs.files);
  await (await open(scratch, 'w')).close();
  await truncate(scratch, sizeMiB * MiB);
  switch (fs.type) {
    case 'ext4':
      await run('mke2fs', [
        '-q',
        '-F',
        '-t',
        'ext4',
        '-L',
        fs.label,
        '-U',
        fs.uuid,
        '-E',
        'root_owner=0:0',
        '-d',
        dir,
        scratch,
      ]);
      break;
    case 'xfs': {
      const proto = join(work, `proto-${fs.uuid}`);
      writeFileSync(proto, await run(process.execPath, [PROTOFILE, dir]));
      const label = fs.label === '' ? [] : ['-L', fs.label];
      await run('mkfs.xfs', ['-q', '-f', '-m', `uuid=${fs.uuid}`, ...label, '-p', proto, scratch]);
      break;
    }
    case 'btrfs':
      await run('mkfs.btrfs', ['-q', '-f', '-U', fs.uuid, '-L', fs.label, '--rootdir', dir, scratch]);
      break;
    case 'vfat': {
      rmSync(scratch);
      await run('mkfs.fat', [
        '-F',
        '16',
        '-n',
        fs.label,
        '-i',
        fs.uuid.replace('-', ''),
        '-C',
        scratch,
        String(sizeMiB * 1024),
      ]);
      for (const top of readdirSync(dir))
        await run('mcopy', ['-s', '-i', scratch, join(dir, top), '::/'], { env: { MTOOLS_SKIP_CHECK: '1' } });
      break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

async function copyInto(src: string, dst: string, offset: number): Promise<void> {
  await run('dd', [
    `if=${src}`,
    `of=${dst}`,
    'bs=1M',
    `seek=${offset}`,
    'oflag=seek_bytes',
    'conv=notrunc,sparse',
    'status=none',
  ]);
}

async function buildImage(spec: FamilySpec, out: string): Promise<void> {
  const work = join(tmpdir(), `imagecheck-family-${spec.name}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const raw = join(work, 'disk.raw');
  try {
    const total = 1 + spec.parts.reduce((s, p) => s + p.sizeMiB, 0) + 1;
    await (await open(raw, 'w')).close();
    await truncate(raw, total * MiB);
    const starts: number[] = [];
    let at = 1;
    for (const p of spec.parts) {
      starts.push(at);
      at += p.sizeMiB;
    }
    if (spec.table === 'gpt') {
      const args = spec.parts.flatMap((p, i) => [
        `-n${i + 1}:${starts[i]}M:+${p.sizeMiB}M`,
        `-t${i + 1}:${p.type}`,
      ]);
      await run('sgdisk', [...args, raw]);
    } else {
      const script = `label: dos\n${spec.parts
        .map(
          (p, i) =>
            `start=${(starts[i] ?? 0) * 2048}, size=${p.sizeMiB * 2048}, type=${p.type}${i === 0 ? ', bootable' : ''}`,
        )
        .join('\n')}\n`;
      await run('sfdisk', ['-q', raw], { input: script });
    }
    for (const [i, p] of spec.parts.entries()) {
      const start = (starts[i] ?? 0) * MiB;
      if (p.fs !== undefined) {
        const scratch = join(work, `p${i + 1}`);
        await mkfs(p.fs, scratch, p.sizeMiB, work);
        await copyInto(scratch, raw, start);
        rmSync(scratch);
      }
      if (p.lvm !== undefined) await buildLvm(p.lvm, raw, start, p.sizeMiB * MiB, work);
    }
    await writeGrub(spec, raw, starts, work);
    await run('qemu-img', ['convert', '-q', '-O', 'qcow2', raw, `${out}.tmp-${process.pid}`]);
    renameSync(`${out}.tmp-${process.pid}`, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** LVM metadata by the real pvcreate/vgcreate/lvcreate on a loop device over the partition; no activation. */
async function buildLvm(
  lvm: NonNullable<PartSpec['lvm']>,
  raw: string,
  start: number,
  size: number,
  work: string,
): Promise<void> {
  const config =
    'devices { filter=["a|^/dev/loop|","r|.*|"] use_devicesfile=0 } activation { udev_sync=0 udev_rules=0 } backup { backup=0 archive=0 }';
  const env = { LVM_SUPPRESS_FD_WARNINGS: '1' };
  const cmd = (c: string, args: string[]) => run(c, ['--config', config, ...args], { env });
  const loop = (
    await run('losetup', ['-f', '--show', '-o', String(start), '--sizelimit', String(size), raw])
  ).trim();
  try {
    await cmd('pvcreate', ['-q', '-ff', '-y', loop]);
    await cmd('vgcreate', ['-q', '-s', '1M', lvm.vg, loop]);
    for (const lv of lvm.lvs)
      await cmd('lvcreate', [
        '--driverloaded',
        'n',
        '-an',
        '-Zn',
        '-q',
        '-L',
        `${lv.sizeMiB}M`,
        '-n',
        lv.name,
        lvm.vg,
      ]);
    const pv = JSON.parse(
      await cmd('pvs', ['-o', 'pe_start', '--units', 'b', '--nosuffix', '--reportformat', 'json', loop]),
    ) as { report: { pv: { pe_start: string }[] }[] };
    const peStart = Number(pv.report[0]?.pv[0]?.pe_start);
    const lvs =
      (
        JSON.parse(await cmd('lvs', ['-o', 'lv_name,seg_pe_ranges', '--reportformat', 'json', lvm.vg])) as {
          report: { lv: { lv_name: string; seg_pe_ranges: string }[] }[];
        }
      ).report[0]?.lv ?? [];
    for (const lv of lvm.lvs) {
      const ranges = lvs.find((l) => l.lv_name === lv.name)?.seg_pe_ranges ?? '';
      const first = Number(/:(\d+)-\d+$/.exec(ranges.trim())?.[1]);
      if (!Number.isFinite(first) || !Number.isFinite(peStart))
        throw new Error(`no extents for ${lv.name}: ${ranges}`);
      const scratch = join(work, `lv-${lv.name}`);
      await mkfs(lv.fs, scratch, lv.sizeMiB, work);
      await copyInto(scratch, raw, start + peStart + first * MiB);
      rmSync(scratch);
    }
  } finally {
    await cmd('vgchange', ['-q', '-an', lvm.vg]).catch(() => undefined);
    await run('losetup', ['-d', loop]).catch(() => undefined);
  }
}

/**
 * GRUB i386-pc boot code: boot.img's first 440 bytes over the MBR code area, core.img (host
 * grub-mkimage) in the MBR gap (LBA 1) or the GPT BIOS boot partition; boot.img's kernel_sector
 * (8 bytes LE at 0x5c, GRUB's GRUB_BOOT_MACHINE_KERNEL_SECTOR) points at core.img's first sector.
 */
async function writeGrub(
  spec: FamilySpec,
  raw: string,
  starts: readonly number[],
  work: string,
): Promise<void> {
  const core = join(work, 'core.img');
  const fsMods = ['ext2', 'xfs', 'btrfs', 'fat', 'lvm'];
  await run('grub-mkimage', [
    '-O',
    'i386-pc',
    '-o',
    core,
    '-p',
    spec.grubPrefix,
    'biosdisk',
    'part_msdos',
    'part_gpt',
    ...fsMods,
    'search_fs_uuid',
  ]);
  const sector = spec.grubCore === 'gap' ? 1 : (starts[spec.grubCore] ?? 1) * 2048;
  await copyInto(core, raw, sector * 512);
  const boot = new Uint8Array(readFileSync('/usr/lib/grub/i386-pc/boot.img')).slice(0, 440);
  new DataView(boot.buffer).setBigUint64(0x5c, BigInt(sector), true);
  const b = join(work, 'boot440');
  writeFileSync(b, boot);
  await copyInto(b, raw, 0);
}

export interface FamilyImages {
  readonly paths: Readonly<Record<ImageName, string>>;
  readonly dracut: Dracut | undefined;
  readonly specs: readonly FamilySpec[];
}

/** Builds (or finds cached) every family image, one at a time: the machine's cores are shared. */
export async function buildFamilyImages(): Promise<FamilyImages> {
  const { specs, dracut } = await familySpecs();
  const cache = fixtureCacheDir('linux-families');
  const paths = {} as Record<ImageName, string>;
  for (const spec of specs) {
    const out = join(cache, `${spec.name}-${specHash(spec)}.qcow2`);
    if (!existsSync(out)) await buildImage(spec, out);
    paths[spec.name] = out;
  }
  return { paths, dracut, specs };
}
