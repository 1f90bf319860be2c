import type {
  BootFactsV2,
  DiskInfoV2,
  FilesystemLocationV2,
  PartitionInfoV2,
  UnknownBootFactV2,
  VolumeInfoV2,
} from '../v2.js';

/**
 * Conformance fixtures: each manifest describes one disk image completely (partition table,
 * filesystems, every file with its metadata) and is the one source of three things:
 * - the real image, which a fixture builder makes from it with the real tools (sgdisk or sfdisk,
 *   mke2fs -d, mkfs.fat and mtools, mkfs.xfs -p, mkswap) and checks against tools that are not
 *   imagecheck's (sfdisk, blkid, debugfs, fls);
 * - the in-memory guest that describes the same disk;
 * - the answers the conformance suite expects from any backend that opens either.
 *
 * What a manifest says is what a reader of the real image must report, so it includes what the
 * tools add (ext4's `lost+found`) and the modes a reader without POSIX metadata synthesises.
 */

interface EntryMeta {
  /** Permission bits (`0o640`); the file type bits follow from the entry's kind. */
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Modification time in ms since the epoch (whole seconds), when the builder can set it. */
  readonly mtimeMs?: number;
}

/** One entry of a filesystem's tree (the shape the in-memory filesystem takes, too). */
export type ConformanceEntry =
  | (EntryMeta & { readonly content: string | Uint8Array })
  | (EntryMeta & { readonly symlink: string })
  | (EntryMeta & { readonly dir: true })
  | (EntryMeta & { readonly other: 'fifo' });

export interface ConformanceFilesystem {
  /** `FilesystemInfoV2.id` a backend must report. */
  readonly id: string;
  readonly type: 'ext4' | 'vfat' | 'xfs' | 'swap';
  /** As blkid prints it. */
  readonly uuid: string;
  readonly label: string;
  readonly location: FilesystemLocationV2;
  /** Bytes the filesystem spans (its partition). */
  readonly size: number;
  /** Whether a backend that reads this type can open it (false for swap). */
  readonly readable: boolean;
  readonly caseSensitive?: boolean;
  readonly posixMetadata?: boolean;
  /** Every entry of the tree by absolute path, `/` included; absent for unreadable types. */
  readonly files?: Readonly<Record<string, ConformanceEntry>>;
}

export interface ConformancePartition
  extends Required<Pick<PartitionInfoV2, 'number' | 'start' | 'size' | 'type' | 'kind' | 'bootable'>> {
  readonly typeName: string;
  /** PARTUUID as blkid prints it (lower case). */
  readonly uuid: string;
  readonly label?: string;
}

/** How the LVM fixture's volume group is laid out (written with `vgcfgrestore`, so every UUID is known). */
export interface ConformanceLvm {
  readonly vg: string;
  readonly vgUuid: string;
  /** The partition holding the one PV. */
  readonly partition: number;
  readonly pvUuid: string;
  /** Bytes per extent. */
  readonly extentSize: number;
  /** Bytes from the start of the PV to its first extent. */
  readonly peStart: number;
  readonly lvs: readonly {
    readonly name: string;
    readonly uuid: string;
    /** Linear segments: `count` extents from the LV's extent `start`, at the PV's extent `pe`. */
    readonly segments: readonly { readonly start: number; readonly count: number; readonly pe: number }[];
  }[];
}

export interface ConformanceFixture {
  /** Short name, used in test titles and cache paths. */
  readonly name: string;
  readonly disk: Pick<DiskInfoV2, 'virtualSize' | 'sectorSize' | 'partitionTable'> & {
    /** The container the image file is in (the guest sees the same disk either way). */
    readonly format: 'raw' | 'qcow2';
    readonly diskId: string;
  };
  readonly partitions: readonly ConformancePartition[];
  readonly volumes: readonly VolumeInfoV2[];
  /** For fixtures with volumes: how to build them. */
  readonly lvm?: ConformanceLvm;
  readonly filesystems: readonly ConformanceFilesystem[];
  /** The boot facts read from the disk's own sectors (a backend without them reports unknown). */
  readonly boot: Omit<BootFactsV2, 'mbrBootCode'> & {
    readonly mbrBootCode: Exclude<BootFactsV2['mbrBootCode'], UnknownBootFactV2>;
  };
}

const MiB = 1024 * 1024;

/** Deterministic bytes (xorshift32): big files whose every range differs. */
export function conformanceBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** 2024-01-02T03:04:05Z: times the ext4 builder sets on every entry it can. */
const T = Date.UTC(2024, 0, 2, 3, 4, 5);
const LONG_TARGET = `/usr/share/${'long-symlink-target-'.repeat(6)}end`;

/**
 * GPT: p1 BIOS boot (empty), p2 EFI system partition (FAT16), p3 ext4 root with owners, modes,
 * times, symlinks (fast, slow, absolute, dangling), a FIFO, an empty and a multi-block file.
 */
export const GPT_EXT4_ESP: ConformanceFixture = {
  name: 'gpt-ext4-esp',
  disk: {
    format: 'raw',
    virtualSize: 64 * MiB,
    sectorSize: 512,
    partitionTable: 'gpt',
    diskId: 'c0f0c0f0-0000-4000-8000-00000000c0f0',
  },
  partitions: [
    {
      number: 1,
      start: 1 * MiB,
      size: 1 * MiB,
      type: '21686148-6449-6E6F-744E-656564454649',
      typeName: 'BIOS boot',
      uuid: 'c0f0c0f0-0001-4000-8000-000000000001',
      label: 'bios-boot',
      kind: 'gpt',
      bootable: false,
    },
    {
      number: 2,
      start: 2 * MiB,
      size: 16 * MiB,
      type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
      typeName: 'EFI System',
      uuid: 'c0f0c0f0-0002-4000-8000-000000000002',
      label: 'EFI System Partition',
      kind: 'gpt',
      bootable: false,
    },
    {
      number: 3,
      start: 18 * MiB,
      size: 40 * MiB,
      type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
      typeName: 'Linux filesystem',
      uuid: 'c0f0c0f0-0003-4000-8000-000000000003',
      label: 'root',
      kind: 'gpt',
      bootable: false,
    },
  ],
  volumes: [],
  filesystems: [
    {
      id: 'p2',
      type: 'vfat',
      uuid: 'C0FE-1234',
      label: 'ESP',
      location: { kind: 'partition', partition: 2 },
      size: 16 * MiB,
      readable: true,
      caseSensitive: false,
      posixMetadata: false,
      files: {
        '/': { dir: true, mode: 0o755 },
        '/EFI': { dir: true, mode: 0o755 },
        '/EFI/BOOT': { dir: true, mode: 0o755 },
        '/EFI/BOOT/BOOTX64.EFI': { content: conformanceBytes(0xef1, 9000), mode: 0o644 },
        '/EFI/debian': { dir: true, mode: 0o755 },
        '/EFI/debian/grub.cfg': {
          content:
            'search.fs_uuid c0f0c0f0-0003-4000-8000-000000000003 root\nconfigfile ($root)/boot/grub/grub.cfg\n',
          mode: 0o644,
        },
        '/EFI/debian/Mixed Case Name.txt': { content: 'a long, mixed-case name\n', mode: 0o644 },
        // FAT's read-only attribute: readers without POSIX metadata synthesise 0o444 for it.
        '/EFI/debian/READONLY.TXT': { content: 'read only\n', mode: 0o444 },
        '/startup.nsh': { content: 'FS0:\\EFI\\BOOT\\BOOTX64.EFI\n', mode: 0o644 },
      },
    },
    {
      id: 'p3',
      type: 'ext4',
      uuid: 'c0f0c0f0-e474-4000-8000-00000000e474',
      label: 'conf-root',
      location: { kind: 'partition', partition: 3 },
      size: 40 * MiB,
      readable: true,
      caseSensitive: true,
      posixMetadata: true,
      files: {
        // mke2fs -d gives the root (which it makes itself) the time of the build.
        '/': { dir: true, mode: 0o755 },
        '/lost+found': { dir: true, mode: 0o700 },
        '/etc': { dir: true, mode: 0o755, mtimeMs: T },
        '/etc/hostname': { content: 'conformance\n', mode: 0o644, mtimeMs: T },
        '/etc/shadow': { content: 'root:*:19000:0:99999:7:::\n', mode: 0o640, gid: 42, mtimeMs: T },
        '/etc/localtime': { symlink: '/usr/share/zoneinfo/Etc/UTC', mode: 0o777, mtimeMs: T },
        '/bin': { symlink: 'usr/bin', mode: 0o777, mtimeMs: T },
        '/usr': { dir: true, mode: 0o755, mtimeMs: T },
        '/usr/bin': { dir: true, mode: 0o755, mtimeMs: T },
        '/usr/bin/tool': { content: '#!/bin/sh\necho tool\n', mode: 0o755, mtimeMs: T },
        '/usr/bin/setuid-tool': { content: 'suid\n', mode: 0o4755, mtimeMs: T },
        '/usr/share': { dir: true, mode: 0o755, mtimeMs: T },
        '/usr/share/long-link': { symlink: LONG_TARGET, mode: 0o777, mtimeMs: T },
        '/home': { dir: true, mode: 0o755, mtimeMs: T },
        '/home/user': { dir: true, mode: 0o750, uid: 1000, gid: 1000, mtimeMs: T },
        '/home/user/notes.txt': {
          content: 'private notes\n',
          mode: 0o600,
          uid: 1000,
          gid: 1000,
          mtimeMs: T + 86_400_000,
        },
        '/data': { dir: true, mode: 0o755, mtimeMs: T },
        '/data/big.bin': { content: conformanceBytes(0xb16, 200_000), mode: 0o644, mtimeMs: T },
        '/data/empty': { content: '', mode: 0o644, mtimeMs: T },
        '/run': { dir: true, mode: 0o755, mtimeMs: T },
        '/run/initctl': { other: 'fifo', mode: 0o600, mtimeMs: T },
      },
    },
  ],
  boot: {
    mbrBootCode: { known: true, kind: 'empty' },
    biosBootPartition: { partition: 1, core: 'empty' },
    espPartitions: [2],
  },
};

/** MBR: p1 XFS (active) made from a protofile, p2 swap (listed, not readable). */
export const MBR_XFS_SWAP: ConformanceFixture = {
  name: 'mbr-xfs-swap',
  disk: {
    format: 'raw',
    virtualSize: 320 * MiB,
    sectorSize: 512,
    partitionTable: 'mbr',
    diskId: 'c0f0a5a5',
  },
  partitions: [
    {
      number: 1,
      start: 1 * MiB,
      size: 300 * MiB,
      type: '0x83',
      typeName: 'Linux',
      uuid: 'c0f0a5a5-01',
      kind: 'primary',
      bootable: true,
    },
    {
      number: 2,
      start: 301 * MiB,
      size: 16 * MiB,
      type: '0x82',
      typeName: 'Linux swap / Solaris',
      uuid: 'c0f0a5a5-02',
      kind: 'primary',
      bootable: false,
    },
  ],
  volumes: [],
  filesystems: [
    {
      id: 'p1',
      type: 'xfs',
      uuid: 'c0f0c0f0-0f5f-4000-8000-000000000f5f',
      label: 'conf-xfs',
      location: { kind: 'partition', partition: 1 },
      size: 300 * MiB,
      readable: true,
      caseSensitive: true,
      posixMetadata: true,
      files: {
        '/': { dir: true, mode: 0o755 },
        '/etc': { dir: true, mode: 0o755 },
        '/etc/os-release': { content: 'ID=conformance\nVERSION_ID="1"\n', mode: 0o644 },
        '/etc/secret': { content: 'secret\n', mode: 0o600, uid: 0, gid: 4 },
        '/srv': { dir: true, mode: 0o2775, uid: 33, gid: 33 },
        '/srv/blob.bin': { content: conformanceBytes(0x5f5, 150_000), mode: 0o644, uid: 33, gid: 33 },
        '/srv/link': { symlink: 'blob.bin', mode: 0o777 },
        '/srv/up': { symlink: '../etc/os-release', mode: 0o777 },
        '/srv/nothing': { content: '', mode: 0o644 },
      },
    },
    {
      id: 'p2',
      type: 'swap',
      uuid: 'c0f0c0f0-5a5a-4000-8000-000000005a5a',
      label: 'conf-swap',
      location: { kind: 'partition', partition: 2 },
      size: 16 * MiB,
      readable: false,
    },
  ],
  boot: {
    mbrBootCode: { known: true, kind: 'empty' },
    espPartitions: [],
  },
};

/** The GPT disk again, in a qcow2 container: the same answers through the container layer. */
export const GPT_EXT4_ESP_QCOW2: ConformanceFixture = {
  ...GPT_EXT4_ESP,
  name: 'gpt-ext4-esp-qcow2',
  disk: { ...GPT_EXT4_ESP.disk, format: 'qcow2' },
};

/**
 * GPT with one LVM PV: VG `confvg` (UUIDs fixed by restoring written metadata) holds `root`, a
 * linear ext4 LV, and `data`, a vfat LV in two segments out of order on the PV.
 */
export const GPT_LVM: ConformanceFixture = {
  name: 'gpt-lvm',
  disk: {
    format: 'raw',
    virtualSize: 64 * MiB,
    sectorSize: 512,
    partitionTable: 'gpt',
    diskId: 'c0f0c0f0-0000-4000-8000-0000000011f0',
  },
  partitions: [
    {
      number: 1,
      start: 1 * MiB,
      size: 48 * MiB,
      type: 'E6D6D379-F507-44C2-A23C-238F2A3DF928',
      typeName: 'Linux LVM',
      uuid: 'c0f0c0f0-0001-4000-8000-0000000011f1',
      label: 'pv',
      kind: 'gpt',
      bootable: false,
    },
  ],
  lvm: {
    vg: 'confvg',
    vgUuid: 'ConfVG-0000-1111-2222-3333-4444-555555',
    partition: 1,
    pvUuid: 'ConfPV-0000-1111-2222-3333-4444-555555',
    extentSize: 1 * MiB,
    peStart: 1 * MiB,
    lvs: [
      {
        name: 'root',
        uuid: 'ConfLV-root-1111-2222-3333-4444-555555',
        segments: [{ start: 0, count: 16, pe: 0 }],
      },
      {
        name: 'data',
        uuid: 'ConfLV-data-1111-2222-3333-4444-555555',
        segments: [
          { start: 0, count: 4, pe: 30 },
          { start: 4, count: 4, pe: 20 },
        ],
      },
    ],
  },
  volumes: [
    {
      kind: 'lvm',
      vg: 'confvg',
      lv: 'root',
      uuid: 'ConfLV-root-1111-2222-3333-4444-555555',
      size: 16 * MiB,
      physicalVolumes: [1],
      readable: true,
    },
    {
      kind: 'lvm',
      vg: 'confvg',
      lv: 'data',
      uuid: 'ConfLV-data-1111-2222-3333-4444-555555',
      size: 8 * MiB,
      physicalVolumes: [1],
      readable: true,
    },
  ],
  filesystems: [
    {
      id: 'lvm/confvg/root',
      type: 'ext4',
      uuid: 'c0f0c0f0-1f00-4000-8000-000000001f00',
      label: 'lv-root',
      location: { kind: 'lvm', vg: 'confvg', lv: 'root' },
      size: 16 * MiB,
      readable: true,
      caseSensitive: true,
      posixMetadata: true,
      files: {
        '/': { dir: true, mode: 0o755 },
        '/lost+found': { dir: true, mode: 0o700 },
        '/etc': { dir: true, mode: 0o755, mtimeMs: T },
        '/etc/fstab': {
          content: '/dev/confvg/root / ext4 defaults 0 1\n/dev/confvg/data /data vfat defaults 0 2\n',
          mode: 0o644,
          mtimeMs: T,
        },
        '/data': { dir: true, mode: 0o755, mtimeMs: T },
        '/var': { symlink: 'data', mode: 0o777, mtimeMs: T },
      },
    },
    {
      id: 'lvm/confvg/data',
      type: 'vfat',
      uuid: 'DA7A-0001',
      label: 'LVDATA',
      location: { kind: 'lvm', vg: 'confvg', lv: 'data' },
      size: 8 * MiB,
      readable: true,
      caseSensitive: false,
      posixMetadata: false,
      files: {
        '/': { dir: true, mode: 0o755 },
        // Across the two segments: the second half of the LV is 10 extents before the first on the PV.
        '/spread.bin': { content: conformanceBytes(0x11f, 6 * MiB), mode: 0o644 },
        '/small.txt': { content: 'on an LV in two segments\n', mode: 0o644 },
      },
    },
  ],
  boot: {
    mbrBootCode: { known: true, kind: 'empty' },
    espPartitions: [],
  },
};

/** Every conformance fixture, in the order the suite runs them. */
export const CONFORMANCE_FIXTURES: readonly ConformanceFixture[] = [
  GPT_EXT4_ESP,
  MBR_XFS_SWAP,
  GPT_LVM,
  GPT_EXT4_ESP_QCOW2,
];

const TYPE_BITS = { content: 0o100000, dir: 0o040000, symlink: 0o120000, other: 0o010000 } as const;

/** The kind of an entry as a `GuestFileTypeV2`. */
export function entryType(entry: ConformanceEntry): 'file' | 'dir' | 'symlink' | 'other' {
  if ('content' in entry) return 'file';
  if ('dir' in entry) return 'dir';
  if ('symlink' in entry) return 'symlink';
  return 'other';
}

/** The full st_mode a reader reports for an entry. */
export function entryMode(entry: ConformanceEntry): number {
  const bits =
    'content' in entry
      ? TYPE_BITS.content
      : 'dir' in entry
        ? TYPE_BITS.dir
        : 'symlink' in entry
          ? TYPE_BITS.symlink
          : TYPE_BITS.other;
  return bits | entry.mode;
}

/** The bytes of a file entry. */
export function entryBytes(entry: ConformanceEntry): Uint8Array {
  if (!('content' in entry)) throw new TypeError('not a file entry');
  return typeof entry.content === 'string' ? new TextEncoder().encode(entry.content) : entry.content;
}
