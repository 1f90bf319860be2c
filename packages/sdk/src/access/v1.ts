/**
 * The access contract, version 1: what every backend (native, guestfs, live, the in-memory test
 * guest) implements so that plugins can read a guest without knowing how it is stored.
 *
 * Changes to this contract are made by adding a `v2` beside it, never by editing v1 in place.
 *
 * Units: every offset and size is in bytes, as a JavaScript number (exact up to 2^53, i.e. 8 PiB).
 * Identifiers of filesystems (`FilesystemInfo.id`) are stable for one opened image and are what
 * `openFilesystem` takes.
 */

export const ACCESS_SPECIFICATION_VERSION = 'v1' as const;

/** What a backend can do. Plugins and the conformance suite consult these instead of probing. */
export interface AccessCapabilitiesV1 {
  /** `inspect()` reports partitions, volumes and filesystems. */
  readonly layout: boolean;
  /** `openRoot()` assembles a guest tree from the OS root and the guest's fstab. */
  readonly guestTree: boolean;
  /** `openFilesystem()` opens a single filesystem by id. */
  readonly filesystemTree: boolean;
  /** Filesystem types whose contents this backend reads (`['ext4', 'xfs', ...]`). */
  readonly readableFilesystems: readonly string[];
  /** Owner, group and permission bits are real (false on FAT, for instance). */
  readonly posixMetadata: boolean;
}

/** The whole disk as the backend found it. */
export interface DiskInfoV1 {
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
  readonly partitions: readonly PartitionInfoV1[];
  /**
   * Content recognised on the whole disk that is not a bootable system disk and is not read:
   * `iso9660`, `luks`, `bitlocker`, `zero` (every sampled byte is zero), `empty` (size 0).
   */
  readonly detected?: 'iso9660' | 'luks' | 'bitlocker' | 'zero' | 'empty';
  /**
   * Details worth showing: container sub-format, backing chain, a damaged primary GPT, ...
   *
   * Boot code, reported by backends that read sector 0 (native does, under a partition table):
   * - `bootCode`: `{ loader, coreSector?, embeddedCore? }`. `loader` is the boot code in the MBR's
   *   first 440 bytes: `grub2` (GRUB 2 boot.img), `grub-legacy` (GRUB 0.9x stage1), `syslinux`
   *   (mbr.bin, altmbr.bin, gptmbr.bin), `windows`, `empty` (all zero), `unknown`. For `grub2`,
   *   `coreSector` is the LBA boot.img loads core.img from (boot.img offset 0x5C) and
   *   `embeddedCore` is `grub2` when a GRUB core image starts there, else `missing`.
   * - `biosBootPartition`: `{ partition, core }` on GPT disks with a BIOS boot partition
   *   (type 21686148-6449-6E6F-744E-656564454649): its number, and `grub2` / `empty` / `unknown`
   *   for what its first sector holds.
   */
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface PartitionInfoV1 {
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
export interface VolumeInfoV1 {
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
export type FilesystemLocationV1 =
  | { readonly kind: 'disk' }
  | { readonly kind: 'partition'; readonly partition: number }
  | { readonly kind: 'lvm'; readonly vg: string; readonly lv: string };

export interface FilesystemInfoV1 {
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
  readonly location: FilesystemLocationV1;
  /** Whether this backend can read the filesystem's contents. */
  readonly readable: boolean;
  /** Filesystem-specific state worth reporting: `needsRecovery`, `logDirty`, `version`. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A mount the guest assembly performed, or could not perform. */
export interface MountV1 {
  readonly mountpoint: string;
  /** The filesystem id mounted there, absent when the entry did not resolve. */
  readonly filesystem?: string;
  /** fstab source as written (`UUID=...`, `/dev/mapper/vg-root`). */
  readonly spec?: string;
  /** Line in `/etc/fstab`, 1-based. */
  readonly line?: number;
  /** Why an entry was not mounted (unresolved, not readable, pseudo filesystem). */
  readonly reason?: string;
}

/** A candidate operating system root. */
export interface OsRootV1 {
  /** Id of the filesystem holding the root (`FilesystemInfoV1.id`), plus `:subvol` for btrfs. */
  readonly id: string;
  readonly filesystem: string;
  readonly os: 'linux' | 'windows' | 'unknown';
  /** Why this looked like a root (`/etc/os-release`, `/etc/fstab`, `Windows/System32/config/SYSTEM`). */
  readonly evidence: readonly string[];
  /** The root the backend would boot / check by default. */
  readonly primary: boolean;
}

/** The layout of an opened image: everything `imagecheck facts` shows before reading any file. */
export interface ImageLayoutV1 {
  readonly disk: DiskInfoV1;
  readonly volumes: readonly VolumeInfoV1[];
  readonly filesystems: readonly FilesystemInfoV1[];
  readonly roots: readonly OsRootV1[];
  /** Problems met while reading the layout that did not stop it (a damaged GPT header, an LV segment type). */
  readonly warnings: readonly LayoutWarningV1[];
}

export interface LayoutWarningV1 {
  readonly code: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export type GuestFileTypeV1 = 'file' | 'dir' | 'symlink' | 'other';

export interface GuestStatV1 {
  readonly type: GuestFileTypeV1;
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

export interface GuestDirentV1 {
  readonly name: string;
  readonly type: GuestFileTypeV1;
}

export interface ReadFileOptionsV1 {
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
export interface GuestTreeV1 {
  /** False for FAT, NTFS (as Windows sees it): lookups ignore case. */
  readonly caseSensitive: boolean;
  /** Follows symlinks in every component. */
  stat(path: string): Promise<GuestStatV1>;
  /** Follows symlinks in every component but the last. */
  lstat(path: string): Promise<GuestStatV1>;
  /** Entries other than `.` and `..`, in the order the filesystem stores them. */
  readdir(path: string): Promise<GuestDirentV1[]>;
  readFile(path: string, options?: ReadFileOptionsV1): Promise<Uint8Array>;
  readlink(path: string): Promise<string>;
  /** The canonical path with every symlink resolved inside the guest. */
  realpath(path: string): Promise<string>;
}

/** A guest tree for an OS root, with the mounts the assembly made from the guest's fstab. */
export interface AssembledGuestV1 extends GuestTreeV1 {
  readonly root: OsRootV1;
  readonly mounts: readonly MountV1[];
}

/** An opened image. Obtain one from a backend; `close()` it when done. */
export interface GuestAccessV1 {
  readonly specificationVersion: 'v1';
  /** `native`, `guestfs`, `live`, `memory`. */
  readonly backend: string;
  readonly capabilities: AccessCapabilitiesV1;
  /** The image as the user named it. */
  readonly imagePath: string;
  /** Reads the layout. Backends cache the result: calling it twice costs nothing. */
  inspect(): Promise<ImageLayoutV1>;
  /** Assembles the guest tree of an OS root (the primary root when `rootId` is absent). */
  openRoot(rootId?: string): Promise<AssembledGuestV1>;
  /** One filesystem on its own, by `FilesystemInfoV1.id`. */
  openFilesystem(filesystemId: string): Promise<GuestTreeV1>;
  /** Counters for benchmarks and `--verbose`: bytes read from the image file, cache hits, ... */
  stats?(): Readonly<Record<string, number>>;
  close(): Promise<void>;
}

export interface OpenOptionsV1 {
  /** Extra folders a backing file or VMDK extent may resolve into (beyond the image's own folder). */
  readonly allowedBackingDirs?: readonly string[];
  readonly signal?: AbortSignal;
}

/** A backend: opens image files into `GuestAccessV1`. */
export interface AccessBackendV1 {
  readonly specificationVersion: 'v1';
  readonly name: string;
  open(imagePath: string, options?: OpenOptionsV1): Promise<GuestAccessV1>;
}
