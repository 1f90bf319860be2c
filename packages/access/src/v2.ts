import type { NodeFileSystem } from './node-fs.js';

/**
 * The access contract, version 2: what every backend (native, guestfs, live, the in-memory test
 * guest) implements so that the engine and the plugins can read an image without knowing how it
 * is stored.
 *
 * A backend knows no operating system: it reports the layout (disks, partitions, volumes,
 * filesystems, typed boot facts) and opens filesystems as trees of nodes. Finding OS roots and
 * assembling a guest tree from them (fstab, drive letters) is the OS providers' work, run by the
 * engine over this contract.
 *
 * v2 replaced v1, the SDK's own contract, whose backends assembled guests themselves. Later
 * changes add a `v3` beside this file, never edit v2 in place.
 *
 * Units: every offset and size is in bytes, as a JavaScript number (exact up to 2^53, i.e. 8 PiB).
 * Identifiers of filesystems (`FilesystemInfo.id`) are stable for one opened image and are what
 * `openFilesystem` takes.
 */

export const ACCESS_SPECIFICATION_VERSION = 'v2' as const;

/** What a backend can do. Plugins and the conformance suite consult these instead of probing. */
export interface AccessCapabilitiesV2 {
  /** `inspect()` reports partitions, volumes and filesystems. */
  readonly layout: boolean;
  /**
   * `inspect()` reports the boot facts (`DiskInfoV2.boot`) from the disk's own sectors; false
   * when the backend cannot read them (then each fact says `known: false` and why).
   */
  readonly bootFacts: boolean;
  /** `openFilesystem()` opens a single filesystem by id. */
  readonly filesystemTree: boolean;
  /** Filesystem types whose contents this backend reads (`['ext4', 'xfs', ...]`). */
  readonly readableFilesystems: readonly string[];
  /** Owner, group and permission bits are real (false on FAT, for instance). */
  readonly posixMetadata: boolean;
}

/** The whole disk as the backend found it. */
export interface DiskInfoV2 {
  /** Container format probed by content: `raw`, `qcow2`, `vmdk`, `vhd`, `vhdx`, `vdi`. */
  readonly format: string;
  /** Size of the virtual disk the guest sees, in bytes. */
  readonly virtualSize: number;
  /** Logical sector size the partition table was read with (512 or 4096). */
  readonly sectorSize: number;
  /** `gpt`, `mbr`, or `none` when the disk has no partition table (a bare filesystem, or empty). */
  readonly partitionTable: 'gpt' | 'mbr' | 'none';
  /** GPT disk GUID (lower-case, dashed) or MBR disk signature (8 hex digits); absent when none. */
  readonly diskId?: string;
  readonly partitions: readonly PartitionInfoV2[];
  /**
   * Content recognised on the whole disk that is not a bootable system disk and is not read:
   * `iso9660`, `luks`, `bitlocker`, `zero` (every sampled byte is zero), `empty` (size 0).
   */
  readonly detected?: 'iso9660' | 'luks' | 'bitlocker' | 'zero' | 'empty';
  /** Details worth showing: container sub-format, backing chain, a damaged primary GPT, ... */
  readonly details?: Readonly<Record<string, unknown>>;
  /** What the disk holds for firmware to boot from, as far as the backend can tell. */
  readonly boot: BootFactsV2;
}

/** The kind of boot code in the MBR's first 440 bytes. */
export type MbrBootCodeKindV2 = 'grub2' | 'grub-legacy' | 'syslinux' | 'windows' | 'empty' | 'unknown';

/** A fact the backend could not establish, and why (a live system cannot read sector 0 unprivileged). */
export interface UnknownBootFactV2 {
  readonly known: false;
  readonly reason: string;
}

export interface MbrBootCodeV2 {
  readonly known: true;
  /**
   * `grub2` (GRUB 2 boot.img), `grub-legacy` (GRUB 0.9x stage1), `syslinux` (mbr.bin, altmbr.bin,
   * gptmbr.bin), `windows`, `empty` (all zero), `unknown` (code that is none of these).
   */
  readonly kind: MbrBootCodeKindV2;
  /** For `grub2`: the LBA boot.img loads core.img from (boot.img offset 0x5C). */
  readonly coreSector?: number;
  /** For `grub2`: `grub2` when a GRUB core image starts at `coreSector`, else `missing`. */
  readonly embeddedCore?: 'grub2' | 'missing';
}

export interface BiosBootPartitionV2 {
  /** Partition number of the GPT BIOS boot partition (type 21686148-6449-6E6F-744E-656564454649). */
  readonly partition: number;
  /** What its first sector holds. */
  readonly core: 'grub2' | 'empty' | 'unknown';
}

/** Boot facts a backend reports from the disk itself; plugins decide what they mean. */
export interface BootFactsV2 {
  /** Sector 0's boot code; `known: false` when there is no MBR (no partition table) or it cannot be read. */
  readonly mbrBootCode: MbrBootCodeV2 | UnknownBootFactV2;
  /** The GPT BIOS boot partition, when the disk has one. */
  readonly biosBootPartition?: BiosBootPartitionV2;
  /** EFI system partitions (GPT C12A7328-F81F-11D2-BA4B-00A0C93EC93B or MBR 0xEF), by number. */
  readonly espPartitions: readonly number[];
}

export interface PartitionInfoV2 {
  /** 1-based partition number, as Linux numbers it (MBR logical partitions start at 5). */
  readonly number: number;
  /** Byte offset from the start of the virtual disk. */
  readonly start: number;
  /** Size in bytes. */
  readonly size: number;
  /** GPT type GUID (upper-case, dashed) or MBR type as `0x83`. */
  readonly type: string;
  /** Human name of the type when known (`EFI System`, `Linux filesystem`, `Linux LVM`). */
  readonly typeName?: string;
  /** PARTUUID: the GPT partition GUID, or `<MBR signature>-<2-digit number>` on MBR. */
  readonly uuid?: string;
  /** PARTLABEL (GPT partition name); absent on MBR. */
  readonly label?: string;
  /** MBR active flag, or GPT legacy BIOS bootable attribute. */
  readonly bootable?: boolean;
  /** `primary`, `extended`, `logical` on MBR; `gpt` on GPT. */
  readonly kind?: 'primary' | 'extended' | 'logical' | 'gpt';
}

/** A logical volume (LVM2 LV today). */
export interface VolumeInfoV2 {
  readonly kind: 'lvm';
  readonly vg: string;
  readonly lv: string;
  readonly uuid: string;
  readonly size: number;
  /** The partition numbers (or 0 for the whole disk) holding the PVs of this LV's VG. */
  readonly physicalVolumes: readonly number[];
  /** False for segment types imagecheck does not map (thin, raid, cache); `reason` says which. */
  readonly readable: boolean;
  readonly reason?: string;
}

/** Where a filesystem was found. */
export type FilesystemLocationV2 =
  | { readonly kind: 'disk' }
  | { readonly kind: 'partition'; readonly partition: number }
  | { readonly kind: 'lvm'; readonly vg: string; readonly lv: string };

export interface FilesystemInfoV2 {
  /** Stable id for this opened image: `disk`, `p1`, `lvm/vg/lv`. */
  readonly id: string;
  /** `ext2`, `ext3`, `ext4`, `xfs`, `btrfs`, `vfat`, `exfat`, `ntfs`, `swap`, `iso9660`, `squashfs`, `luks`, `bitlocker`. */
  readonly type: string;
  /** Filesystem (or swap, or LUKS) UUID as blkid prints it; for vfat the volume id `ABCD-1234`. */
  readonly uuid?: string;
  readonly label?: string;
  /** Sub-UUID where the type has one (btrfs device UUID). */
  readonly subUuid?: string;
  readonly size: number;
  readonly location: FilesystemLocationV2;
  /** Whether this backend can read the filesystem's contents. */
  readonly readable: boolean;
  /** Filesystem-specific state worth reporting: `needsRecovery`, `logDirty`, `version`. */
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * Where a running system has this filesystem mounted (`/`, `/boot/efi`), in mount order. Only
   * backends that look at a running system (live) or describe one (the in-memory test guest)
   * report it; for an image file it is absent, and the OS providers assemble the guest from its
   * own mount table instead. When any filesystem has it, the guest is the mounted tree as is.
   */
  readonly mountpoints?: readonly string[];
}

/** The layout of an opened image: everything `imagecheck facts` shows before reading any file. */
export interface ImageLayoutV2 {
  readonly disk: DiskInfoV2;
  readonly volumes: readonly VolumeInfoV2[];
  readonly filesystems: readonly FilesystemInfoV2[];
  /** Problems met while reading the layout that did not stop it (a damaged GPT header, an LV segment type). */
  readonly warnings: readonly LayoutWarningV2[];
}

export interface LayoutWarningV2 {
  readonly code: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export type GuestFileTypeV2 = 'file' | 'dir' | 'symlink' | 'other';

export interface GuestStatV2 {
  readonly type: GuestFileTypeV2;
  readonly size: number;
  /** Full st_mode: file type bits and permission bits (e.g. 0o100644). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Modification time, milliseconds since the epoch, when the filesystem records it. */
  readonly mtimeMs?: number;
  readonly ino?: number;
  readonly nlink?: number;
}

export interface GuestDirentV2 {
  readonly name: string;
  readonly type: GuestFileTypeV2;
}

export interface ReadFileOptionsV2 {
  /** Byte offset to start at; default 0. */
  readonly offset?: number;
  /** Bytes to read; default to the end of the file. Reads past the end are short. */
  readonly length?: number;
  /**
   * Refuse (with `guest/EFBIG`) a read that would return more than this; default 64 MiB.
   * Protects against a hostile image declaring a huge file.
   */
  readonly maxBytes?: number;
}

/**
 * A read-only view of a guest's file tree.
 *
 * Paths are absolute, `/`-separated guest paths. Resolution never leaves the guest: an absolute
 * symlink target resolves against the guest root, `..` at the root stays at the root, and a chain
 * of more than 40 symlinks fails with `guest/ELOOP`. Errors are `GuestPathError`s with codes
 * `guest/ENOENT`, `guest/ENOTDIR`, `guest/EISDIR`, `guest/ELOOP`, `guest/EINVAL`, `guest/EFBIG`;
 * damaged filesystem structures raise `FormatError`.
 */
export interface GuestTreeV2 {
  /** False for FAT, NTFS (as Windows sees it): lookups ignore case. */
  readonly caseSensitive: boolean;
  /** Follows symlinks in every component. */
  stat(path: string): Promise<GuestStatV2>;
  /** Follows symlinks in every component but the last. */
  lstat(path: string): Promise<GuestStatV2>;
  /** Entries other than `.` and `..`, in the order the filesystem stores them. */
  readdir(path: string): Promise<GuestDirentV2[]>;
  readFile(path: string, options?: ReadFileOptionsV2): Promise<Uint8Array>;
  readlink(path: string): Promise<string>;
  /** The canonical path with every symlink resolved inside the guest. */
  realpath(path: string): Promise<string>;
}

/** Options of `openFilesystem`. */
export interface OpenFilesystemOptionsV2 {
  /**
   * A btrfs subvolume to open instead of the default one: its path from the top level
   * (`@/home`), or `subvolid=N`.
   */
  readonly subvolume?: string;
}

/** An opened image. Obtain one from a backend; `close()` it when done. */
export interface GuestAccessV2 {
  readonly specificationVersion: 'v2';
  /** `native`, `guestfs`, `live`, `memory`. */
  readonly backend: string;
  readonly capabilities: AccessCapabilitiesV2;
  /** The image (or target) as the user named it. */
  readonly imagePath: string;
  /** Reads the layout. Backends cache the result: calling it twice costs nothing. */
  inspect(): Promise<ImageLayoutV2>;
  /**
   * One filesystem, by `FilesystemInfoV2.id`, as a node-level tree; the engine and the OS
   * providers build guest trees from these with the one path resolver (`createGuestTree`).
   * Throws `UnsupportedError` when the backend cannot read that type, `UsageError` for an
   * unknown id. Opening the same filesystem twice may return the same object.
   */
  openFilesystem(filesystemId: string, options?: OpenFilesystemOptionsV2): Promise<NodeFileSystem>;
  /** The btrfs subvolumes of a filesystem, as paths from its top level; `[]` for other types. */
  listSubvolumes(filesystemId: string): Promise<readonly string[]>;
  /** Counters for benchmarks and `--verbose`: bytes read from the image file, cache hits, ... */
  stats?(): Readonly<Record<string, number>>;
  close(): Promise<void>;
}

export interface OpenOptionsV2 {
  /** Extra folders a backing file or VMDK extent may resolve into (beyond the image's own folder). */
  readonly allowedBackingDirs?: readonly string[];
  /** Aborting rejects pending work with the signal's reason and releases what was opened. */
  readonly signal?: AbortSignal;
}

/** A backend: opens images (or targets) into `GuestAccessV2`. */
export interface AccessBackendV2 {
  readonly specificationVersion: 'v2';
  readonly name: string;
  open(imagePath: string, options?: OpenOptionsV2): Promise<GuestAccessV2>;
}
