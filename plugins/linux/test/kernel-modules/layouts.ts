/**
 * Guest trees of the distributions, as their kernels lay out what the drivers area reads: the
 * kernel image and config in /boot, the module tree (modules.builtin, modules.dep, module files
 * with the distribution's compression) and the initramfs, built from a module list by the real
 * cpio and compressor (fixtures.ts).
 */
import type { MemoryFiles } from '@imagecheck/sdk/testing';
import { buildInitramfs, type Compression } from './fixtures.js';

export interface KernelLayout {
  readonly version: string;
  /** File names in /boot. */
  readonly image: string;
  readonly initrd?: string;
  readonly config?: string;
  /** Module file suffix: `.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`. */
  readonly ext: string;
  /** Modules (source path under kernel/, without suffix) and their modules.dep dependencies. */
  readonly modules: Readonly<Record<string, readonly string[]>>;
  /** modules.builtin entries (path under kernel/, without .ko). */
  readonly builtin: readonly string[];
  /** Config lines. */
  readonly configLines: readonly string[];
  /** Modules put in the initramfs (keys of `modules`). */
  readonly initramfsModules: readonly string[];
  readonly compression: Compression;
  readonly earlyMicrocode: boolean;
  /** Where the initramfs keeps modules: `usr/lib/modules` (merged /usr) or `lib/modules`. */
  readonly initramfsModuleDir: string;
  /** /lib is a symlink to usr/lib in the guest (merged /usr). */
  readonly mergedUsr: boolean;
  /** Write modules.dep (false: a tree depmod never ran on). */
  readonly depmod?: boolean;
}

export const VIRTIO_MODULES: Readonly<Record<string, readonly string[]>> = {
  'drivers/virtio/virtio': [],
  'drivers/virtio/virtio_ring': [],
  'drivers/virtio/virtio_pci_modern_dev': [],
  'drivers/virtio/virtio_pci_legacy_dev': [],
  'drivers/virtio/virtio_pci': [
    'drivers/virtio/virtio_pci_modern_dev',
    'drivers/virtio/virtio_pci_legacy_dev',
    'drivers/virtio/virtio_ring',
    'drivers/virtio/virtio',
  ],
  'drivers/block/virtio_blk': ['drivers/virtio/virtio', 'drivers/virtio/virtio_ring'],
  'drivers/scsi/virtio_scsi': ['drivers/virtio/virtio', 'drivers/virtio/virtio_ring'],
  'drivers/net/net_failover': ['net/core/failover'],
  'net/core/failover': [],
  'drivers/net/virtio_net': [
    'drivers/net/net_failover',
    'net/core/failover',
    'drivers/virtio/virtio',
    'drivers/virtio/virtio_ring',
  ],
  'fs/ext4/ext4': [],
};
export const NVME_MODULES: Readonly<Record<string, readonly string[]>> = {
  'drivers/nvme/host/nvme-core': [],
  'drivers/nvme/host/nvme': ['drivers/nvme/host/nvme-core'],
};

/** The guest files of one or more kernels (the first is the newest, so the default). */
export async function kernelFiles(
  kernels: readonly KernelLayout[],
): Promise<Record<string, MemoryFiles[string]>> {
  const files: Record<string, MemoryFiles[string]> = {
    '/etc/os-release': 'ID=linux\n',
  };
  for (const k of kernels) {
    const lib = k.mergedUsr ? '/usr/lib' : '/lib';
    if (k.mergedUsr) files['/lib'] = { symlink: 'usr/lib' };
    const dir = `${lib}/modules/${k.version}`;
    files[`/boot/${k.image}`] = 'kernel image placeholder';
    if (k.config)
      files[`/boot/${k.config}`] =
        `#\n# Automatically generated file; DO NOT EDIT.\n#\n${k.configLines.join('\n')}\n`;
    files[`${dir}/modules.builtin`] = k.builtin.map((b) => `kernel/${b}.ko\n`).join('');
    if (k.depmod !== false) {
      files[`${dir}/modules.dep`] = Object.entries(k.modules)
        .map(([m, deps]) => `kernel/${m}${k.ext}:${deps.map((d) => ` kernel/${d}${k.ext}`).join('')}\n`)
        .join('');
    }
    for (const m of Object.keys(k.modules)) files[`${dir}/kernel/${m}${k.ext}`] = 'module placeholder';
    if (k.initrd) {
      const tree: Record<string, string> = { init: '#!/bin/sh\n', 'bin/busybox': 'busybox placeholder' };
      for (const m of k.initramfsModules)
        tree[`${k.initramfsModuleDir}/${k.version}/kernel/${m}${k.ext}`] = 'module placeholder';
      tree[`${k.initramfsModuleDir}/${k.version}/modules.builtin`] = files[
        `${dir}/modules.builtin`
      ] as string;
      files[`/boot/${k.initrd}`] = await buildInitramfs({
        files: tree,
        compression: k.compression,
        earlyMicrocode: k.earlyMicrocode,
      });
    }
  }
  return files;
}

const allOf = (...sets: Readonly<Record<string, readonly string[]>>[]): Record<string, readonly string[]> =>
  Object.assign({}, ...sets);

/** Debian 12 cloud kernel: virtio modular, NVMe built in, initramfs-tools zstd, merged /usr. */
export function debian12(over: Partial<KernelLayout> = {}): KernelLayout {
  const version = '6.1.0-28-cloud-amd64';
  return {
    version,
    image: `vmlinuz-${version}`,
    initrd: `initrd.img-${version}`,
    config: `config-${version}`,
    ext: '.ko',
    modules: VIRTIO_MODULES,
    builtin: ['drivers/nvme/host/nvme-core', 'drivers/nvme/host/nvme', 'drivers/tty/serial/8250/8250'],
    configLines: [
      'CONFIG_VIRTIO=m',
      'CONFIG_VIRTIO_PCI_LIB=m',
      'CONFIG_VIRTIO_PCI=m',
      'CONFIG_VIRTIO_BLK=m',
      'CONFIG_SCSI_VIRTIO=m',
      'CONFIG_VIRTIO_NET=m',
      'CONFIG_NVME_CORE=y',
      'CONFIG_BLK_DEV_NVME=y',
    ],
    initramfsModules: Object.keys(VIRTIO_MODULES),
    compression: 'zstd',
    earlyMicrocode: false,
    initramfsModuleDir: 'usr/lib/modules',
    mergedUsr: true,
    ...over,
  };
}

/** Ubuntu 24.04 generic: virtio and NVMe built in; early microcode cpio + zstd. */
export function ubuntu2404(): KernelLayout {
  const version = '6.8.0-31-generic';
  const builtin = [
    'drivers/virtio/virtio',
    'drivers/virtio/virtio_ring',
    'drivers/virtio/virtio_pci_modern_dev',
    'drivers/virtio/virtio_pci',
    'drivers/block/virtio_blk',
    'drivers/net/virtio_net',
    'drivers/scsi/virtio_scsi',
    'drivers/nvme/host/nvme-core',
    'drivers/nvme/host/nvme',
  ];
  return {
    version,
    image: `vmlinuz-${version}`,
    initrd: `initrd.img-${version}`,
    config: `config-${version}`,
    ext: '.ko.zst',
    modules: { 'fs/btrfs/btrfs': [] },
    builtin,
    configLines: [
      'CONFIG_VIRTIO=y',
      'CONFIG_VIRTIO_PCI=y',
      'CONFIG_VIRTIO_BLK=y',
      'CONFIG_VIRTIO_NET=y',
      'CONFIG_NVME_CORE=y',
      'CONFIG_BLK_DEV_NVME=y',
    ],
    initramfsModules: ['fs/btrfs/btrfs'],
    compression: 'zstd',
    earlyMicrocode: true,
    initramfsModuleDir: 'usr/lib/modules',
    mergedUsr: true,
  };
}

/** RHEL / Rocky 9: everything modular, .ko.xz, dracut with early microcode + zstd. */
export function rhel9(over: Partial<KernelLayout> = {}): KernelLayout {
  const version = '5.14.0-362.8.1.el9_3.x86_64';
  return {
    version,
    image: `vmlinuz-${version}`,
    initrd: `initramfs-${version}.img`,
    config: `config-${version}`,
    ext: '.ko.xz',
    modules: allOf(VIRTIO_MODULES, NVME_MODULES),
    builtin: ['drivers/tty/serial/8250/8250'],
    configLines: [
      'CONFIG_VIRTIO=m',
      'CONFIG_VIRTIO_PCI=m',
      'CONFIG_VIRTIO_BLK=m',
      'CONFIG_VIRTIO_NET=m',
      'CONFIG_NVME_CORE=m',
      'CONFIG_BLK_DEV_NVME=m',
    ],
    initramfsModules: [...Object.keys(VIRTIO_MODULES), ...Object.keys(NVME_MODULES)],
    compression: 'zstd',
    earlyMicrocode: true,
    initramfsModuleDir: 'usr/lib/modules',
    mergedUsr: true,
    ...over,
  };
}

/** CentOS 7: 3.10 kernel, .ko.xz, dracut gzip with early microcode; no virtio_pci_modern_dev yet. */
export function centos7(over: Partial<KernelLayout> = {}): KernelLayout {
  const version = '3.10.0-1160.el7.x86_64';
  const modules: Record<string, readonly string[]> = {
    'drivers/virtio/virtio': [],
    'drivers/virtio/virtio_ring': [],
    'drivers/virtio/virtio_pci': ['drivers/virtio/virtio_ring', 'drivers/virtio/virtio'],
    'drivers/block/virtio_blk': ['drivers/virtio/virtio', 'drivers/virtio/virtio_ring'],
    'drivers/net/virtio_net': ['drivers/virtio/virtio', 'drivers/virtio/virtio_ring'],
    'drivers/scsi/virtio_scsi': ['drivers/virtio/virtio', 'drivers/virtio/virtio_ring'],
    ...NVME_MODULES,
  };
  return {
    version,
    image: `vmlinuz-${version}`,
    initrd: `initramfs-${version}.img`,
    config: `config-${version}`,
    ext: '.ko.xz',
    modules,
    builtin: [],
    configLines: [
      'CONFIG_VIRTIO=m',
      'CONFIG_VIRTIO_PCI=m',
      'CONFIG_VIRTIO_BLK=m',
      'CONFIG_VIRTIO_NET=m',
      'CONFIG_BLK_DEV_NVME=m',
    ],
    initramfsModules: Object.keys(modules),
    compression: 'gzip',
    earlyMicrocode: true,
    initramfsModuleDir: 'usr/lib/modules',
    mergedUsr: true,
    ...over,
  };
}

/** Alibaba Cloud Linux 3: virtio and NVMe built in; dracut gzip. */
export function alinux3(): KernelLayout {
  const version = '5.10.134-16.al8.x86_64';
  return {
    version,
    image: `vmlinuz-${version}`,
    initrd: `initramfs-${version}.img`,
    config: `config-${version}`,
    ext: '.ko.xz',
    modules: { 'drivers/scsi/virtio_scsi': [] },
    builtin: [],
    configLines: [
      'CONFIG_VIRTIO=y',
      'CONFIG_VIRTIO_PCI=y',
      'CONFIG_VIRTIO_BLK=y',
      'CONFIG_VIRTIO_NET=y',
      'CONFIG_NVME_CORE=y',
      'CONFIG_BLK_DEV_NVME=y',
      'CONFIG_SCSI_VIRTIO=m',
    ],
    initramfsModules: ['drivers/scsi/virtio_scsi'],
    compression: 'gzip',
    earlyMicrocode: false,
    initramfsModuleDir: 'usr/lib/modules',
    mergedUsr: true,
  };
}

/** openSUSE Leap / SLES 15: modular, .ko.zst, /boot/initrd-<v>; the compression is a parameter. */
export function suse15(compression: Compression): KernelLayout {
  const version = '6.4.0-150600.23.25-default';
  return {
    version,
    image: `vmlinuz-${version}`,
    initrd: `initrd-${version}`,
    config: `config-${version}`,
    ext: '.ko.zst',
    modules: allOf(VIRTIO_MODULES, NVME_MODULES),
    builtin: [],
    configLines: [
      'CONFIG_VIRTIO=m',
      'CONFIG_VIRTIO_PCI=m',
      'CONFIG_VIRTIO_BLK=m',
      'CONFIG_VIRTIO_NET=m',
      'CONFIG_NVME_CORE=m',
      'CONFIG_BLK_DEV_NVME=m',
    ],
    initramfsModules: [...Object.keys(VIRTIO_MODULES), ...Object.keys(NVME_MODULES)],
    compression,
    earlyMicrocode: false,
    initramfsModuleDir: 'lib/modules',
    mergedUsr: false,
  };
}

/** Alpine 3.20 virt flavour: vmlinuz-virt, initramfs-virt, config-virt, .ko.gz, mkinitfs gzip. */
export function alpineVirt(): KernelLayout {
  const version = '6.6.31-0-virt';
  return {
    version,
    image: 'vmlinuz-virt',
    initrd: 'initramfs-virt',
    config: 'config-virt',
    ext: '.ko.gz',
    modules: allOf(VIRTIO_MODULES, NVME_MODULES),
    builtin: [],
    configLines: [
      'CONFIG_VIRTIO=m',
      'CONFIG_VIRTIO_PCI=m',
      'CONFIG_VIRTIO_BLK=m',
      'CONFIG_VIRTIO_NET=m',
      'CONFIG_NVME_CORE=m',
      'CONFIG_BLK_DEV_NVME=m',
    ],
    initramfsModules: [...Object.keys(VIRTIO_MODULES), ...Object.keys(NVME_MODULES)],
    compression: 'gzip',
    earlyMicrocode: false,
    initramfsModuleDir: 'lib/modules',
    mergedUsr: false,
  };
}
