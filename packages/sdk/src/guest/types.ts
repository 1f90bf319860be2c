import type {
  FilesystemInfoV2,
  GuestTreeMount,
  GuestTreeV2,
  ImageLayoutV2,
  NodeFileSystem,
} from '@imagecheck/access';
import type { guestOsFact } from '../facts/builtin.js';
import type { FactValue } from '../facts/define.js';
import type { CollectContext, FactResult } from '../facts/types.js';

/**
 * OS providers: how the engine turns a backend's filesystems into guests. A backend reports
 * filesystems and opens them; it knows no operating system. Each OS plugin contributes a
 * provider that recognises its OS root on a filesystem and assembles the guest tree from it as
 * that OS would at boot (Linux: its fstab; Windows: the drive letters of `MountedDevices`).
 * The engine runs every provider over every readable filesystem, so a dual-boot image or a
 * rescue system beside the real one gives several roots, each checked.
 *
 * Model: dissect.target's OS plugins, which detect an OS on a filesystem and mount the rest.
 */

/** An operating system root found in the image. */
export interface OsRoot {
  /** Stable for one opened image: the filesystem id, plus `:<subvolume>` for a btrfs subvolume. */
  readonly id: string;
  /** The filesystem holding the root (`FilesystemInfoV2.id`). */
  readonly filesystem: string;
  /** The btrfs subvolume holding the root, when it is not the filesystem's default one. */
  readonly subvolume?: string;
  /** The provider's OS (`linux`, `windows`), or `unknown` for a running system's `/` nobody recognised. */
  readonly os: string;
  /** What made it a root (`/etc/os-release`, `/Windows/System32/config/SYSTEM`, `mounted at /`). */
  readonly evidence: readonly string[];
  /** The root that would boot: the best-scoring one, ties broken by layout order. */
  readonly primary: boolean;
}

/** A mount the assembly made, or could not make. */
export interface GuestMount {
  readonly mountpoint: string;
  /** The filesystem id mounted there; absent when the entry did not resolve or cannot be read. */
  readonly filesystem?: string;
  /** The source as the guest wrote it (`UUID=...`, `/dev/mapper/vg-root`, `\DosDevices\D:`). */
  readonly spec?: string;
  /** 1-based line of the guest's mount table (`/etc/fstab`), where there is one. */
  readonly line?: number;
  /** Why it was not mounted (unresolved, unreadable type, pseudo filesystem). */
  readonly reason?: string;
}

/** A guest tree assembled from an OS root and the mounts its OS would make. */
export interface AssembledGuest extends GuestTreeV2 {
  readonly root: OsRoot;
  readonly mounts: readonly GuestMount[];
}

/** A provider's verdict that a filesystem holds its OS root. */
export interface RootDetection {
  /** Files that made the call, for the report. */
  readonly evidence: readonly string[];
  /** Confidence, comparable across providers: the primary root is the best-scoring one. */
  readonly score: number;
}

export interface DetectContext {
  readonly layout: ImageLayoutV2;
  readonly filesystem: FilesystemInfoV2;
  readonly subvolume?: string;
  /** The filesystem (or subvolume) alone, mounted at `/`. */
  readonly tree: GuestTreeV2;
}

export interface AssembleContext {
  readonly layout: ImageLayoutV2;
  readonly root: OsRoot;
  /** The root's filesystem (or subvolume), to be mounted at `/`. */
  readonly rootFs: NodeFileSystem;
  /** Opens another filesystem of the layout; `undefined` when the backend cannot read its type. */
  open(filesystemId: string, subvolume?: string): Promise<NodeFileSystem | undefined>;
  readonly signal?: AbortSignal;
}

/** The mounts an assembly decided: the table for the path resolver, and the rows for the report. */
export interface Assembly {
  /** Filesystems in mount order, `/` first; the resolver's rule for overlapping mounts applies. */
  readonly table: readonly GuestTreeMount[];
  readonly mounts: readonly GuestMount[];
}

/** Value of `guest.os`: what rule applicability (`platforms`) matches on. */
export type GuestOs = FactValue<typeof guestOsFact>;

export interface OsProvider {
  /** The OS this provider knows: `linux`, `windows`. */
  readonly os: string;
  /** Whether the filesystem holds a root of this OS; `undefined` when not. */
  detect(ctx: DetectContext): Promise<RootDetection | undefined>;
  /** Mounts the guest's other filesystems as the OS would at boot. */
  assemble(ctx: AssembleContext): Promise<Assembly>;
  /** The `guest.os` value of one of its roots, from the plugin's own facts; default `{ os }`. */
  describe?(ctx: CollectContext): Promise<FactResult<GuestOs>>;
}
