import { type MemoryFiles, memoryFileSystem } from '@imagecheck/access/testing';
import { createGuestTree, type GuestTreeMount } from '@imagecheck/access';
import type {
  AccessCapabilitiesV2,
  AssembledGuestV2,
  DiskInfoV2,
  FilesystemInfoV2,
  FilesystemLocationV2,
  GuestAccessV2,
  GuestFileTypeV2,
  GuestTreeV2,
  ImageLayoutV2,
  LayoutWarningV2,
  MountV2,
  OsRootV2,
  PartitionInfoV2,
  VolumeInfoV2,
} from '@imagecheck/access';
import { GuestPathError, UnsupportedError, UsageError } from '@imagecheck/access';

/**
 * An in-memory image for tests: a terse description of partitions, filesystems and files becomes a
 * full `GuestAccessV2` (backend `memory`), whose trees go through the same `createGuestTree`
 * resolver as the real backends, so path rules (symlinks, `..`, mounts) behave identically.
 *
 * ```ts
 * const access = createMemoryGuest({
 *   partitions: [{ type: 'EF00' }, { type: '8300' }],
 *   filesystems: [
 *     { id: 'p1', type: 'vfat', uuid: 'ABCD-1234', mount: '/boot/efi', files: { '/EFI/BOOT/BOOTX64.EFI': 'MZ' } },
 *     { id: 'p2', type: 'ext4', uuid: '…', mount: '/', files: {
 *       '/etc/fstab': 'UUID=… / ext4 defaults 0 1\n',
 *       '/etc/ssh/sshd_config': { content: 'PermitRootLogin no\n', mode: 0o600 },
 *       '/bin/sh': { symlink: 'dash' },
 *       '/var/empty': { dir: true },
 *     } },
 *   ],
 * });
 * ```
 */

export interface MemoryPartitionSpec {
  /** 1-based; default: position in the list + 1. */
  readonly number?: number;
  /**
   * GPT type GUID, an sgdisk type code (`EF00`, `EF02`, `8300`, `8200`, `8E00`, `0700`, `0C01`,
   * `2700`, `8304`, `EA00`), or an MBR type (`0x83`, `83`).
   */
  readonly type: string;
  readonly start?: number;
  /** Default 64 MiB. */
  readonly size?: number;
  readonly uuid?: string;
  readonly label?: string;
  readonly bootable?: boolean;
  readonly typeName?: string;
  readonly kind?: PartitionInfoV2['kind'];
}

export interface MemoryFilesystemSpec {
  /** Default from `location`: `p<n>`, `lvm/<vg>/<lv>` or `disk`; else `p<index+1>` when there are partitions. */
  readonly id?: string;
  readonly type: string;
  readonly uuid?: string;
  readonly label?: string;
  readonly subUuid?: string;
  /** Default 64 MiB (or the partition's size). */
  readonly size?: number;
  /** A location, a partition number, or `'disk'`; default derived from `id`. */
  readonly location?: FilesystemLocationV2 | number | 'disk';
  /** Mount point in the assembled root; `/` marks the OS root. */
  readonly mount?: string;
  /** Default true, except for `swap`, `luks`, `bitlocker`. */
  readonly readable?: boolean;
  /** Default false for `vfat`, `exfat`, `ntfs`. */
  readonly caseSensitive?: boolean;
  /** Default false for `vfat`, `exfat`. */
  readonly posixMetadata?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly files?: MemoryFiles;
}

export interface MemoryGuestDescription {
  /** Default `memory:guest`. */
  readonly imagePath?: string;
  readonly disk?: Partial<Omit<DiskInfoV2, 'partitions'>>;
  readonly partitions?: readonly MemoryPartitionSpec[];
  readonly volumes?: readonly VolumeInfoV2[];
  readonly filesystems?: readonly MemoryFilesystemSpec[];
  /** Default: one primary root, the filesystem mounted at `/`. */
  readonly roots?: readonly OsRootV2[];
  readonly warnings?: readonly LayoutWarningV2[];
  /** Extra `MountV2` rows for the assembled root (unresolved fstab entries, say). */
  readonly extraMounts?: readonly MountV2[];
  readonly capabilities?: Partial<AccessCapabilitiesV2>;
}

/** sgdisk's short type codes (gdisk `parttypes.cc`) → GPT type GUIDs, with the names gdisk prints. */
const SGDISK_TYPES: Readonly<Record<string, readonly [string, string]>> = {
  EF00: ['C12A7328-F81F-11D2-BA4B-00A0C93EC93B', 'EFI System'],
  EF02: ['21686148-6449-6E6F-744E-656564454649', 'BIOS boot partition'],
  '8300': ['0FC63DAF-8483-4772-8E79-3D69D8477DE4', 'Linux filesystem'],
  '8200': ['0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', 'Linux swap'],
  '8E00': ['E6D6D379-F507-44C2-A23C-238F2A3DF928', 'Linux LVM'],
  '8304': ['4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', 'Linux x86-64 root (/)'],
  EA00: ['BC13C2FF-59E6-4262-A352-B275FD6F7172', 'Linux extended boot'],
  '0700': ['EBD0A0A2-B9E5-4433-87C0-68B6B72699C7', 'Microsoft basic data'],
  '0C01': ['E3C9E316-0B5C-4DB8-817D-F92DF00215AE', 'Microsoft reserved'],
  '2700': ['DE94BBA4-06D1-4D40-A16A-BFD50179D6AC', 'Windows RE'],
};

const MIB = 1024 * 1024;
const DEFAULT_SIZE = 64 * MIB;
const UNREADABLE_TYPES = new Set(['swap', 'luks', 'bitlocker']);
const CASE_INSENSITIVE_TYPES = new Set(['vfat', 'exfat', 'ntfs']);
const NON_POSIX_TYPES = new Set(['vfat', 'exfat']);

function partitionType(type: string): { type: string; typeName?: string; mbr: boolean } {
  const code = SGDISK_TYPES[type.toUpperCase()];
  if (code !== undefined) return { type: code[0], typeName: code[1], mbr: false };
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(type)) {
    return { type: type.toUpperCase(), mbr: false };
  }
  const mbr = /^(?:0x)?([0-9a-f]{1,2})$/i.exec(type);
  if (mbr?.[1] !== undefined) return { type: `0x${mbr[1].toLowerCase().padStart(2, '0')}`, mbr: true };
  throw bad(`unknown partition type ${type}: use a GUID, an sgdisk code or an MBR byte`, type);
}

function locationOf(spec: MemoryFilesystemSpec, index: number, hasPartitions: boolean): FilesystemLocationV2 {
  const loc = spec.location;
  if (typeof loc === 'number') return { kind: 'partition', partition: loc };
  if (loc === 'disk') return { kind: 'disk' };
  if (loc !== undefined) return loc;
  const id = spec.id;
  if (id === 'disk') return { kind: 'disk' };
  const p = id === undefined ? undefined : /^p(\d+)$/.exec(id);
  if (p?.[1] !== undefined) return { kind: 'partition', partition: Number(p[1]) };
  const lvm = id === undefined ? undefined : /^lvm\/([^/]+)\/([^/]+)$/.exec(id);
  if (lvm?.[1] !== undefined && lvm[2] !== undefined) return { kind: 'lvm', vg: lvm[1], lv: lvm[2] };
  return hasPartitions ? { kind: 'partition', partition: index + 1 } : { kind: 'disk' };
}

function idOf(loc: FilesystemLocationV2): string {
  if (loc.kind === 'partition') return `p${loc.partition}`;
  if (loc.kind === 'lvm') return `lvm/${loc.vg}/${loc.lv}`;
  return 'disk';
}

/** Guesses the OS of a root from the files it holds, as the native root finder would. */
function osOf(files: MemoryFiles): { os: OsRootV2['os']; evidence: string[] } {
  const paths = Object.keys(files);
  const win = paths.find((p) => p.toLowerCase() === '/windows/system32/config/system');
  if (win !== undefined) return { os: 'windows', evidence: [win] };
  const linux = ['/etc/os-release', '/usr/lib/os-release', '/etc/fstab'].filter((p) => paths.includes(p));
  if (linux.length > 0) return { os: 'linux', evidence: linux };
  return { os: 'unknown', evidence: [] };
}

/** Builds an in-memory `GuestAccessV2` from a description (see the module comment). */
export function createMemoryGuest(description: MemoryGuestDescription = {}): GuestAccessV2 {
  const partSpecs = description.partitions ?? [];
  const partitions: PartitionInfoV2[] = [];
  let cursor = MIB; // the first partition at 1 MiB, as every partitioning tool aligns it
  let anyMbr = false;
  partSpecs.forEach((p, i) => {
    const t = partitionType(p.type);
    anyMbr ||= t.mbr;
    const size = p.size ?? DEFAULT_SIZE;
    const start = p.start ?? cursor;
    cursor = start + size;
    partitions.push({
      number: p.number ?? i + 1,
      start,
      size,
      type: t.type,
      ...((p.typeName ?? t.typeName) ? { typeName: p.typeName ?? t.typeName } : {}),
      ...(p.uuid === undefined ? {} : { uuid: p.uuid }),
      ...(p.label === undefined ? {} : { label: p.label }),
      ...(p.bootable === undefined ? {} : { bootable: p.bootable }),
      kind: p.kind ?? (t.mbr ? 'primary' : 'gpt'),
    });
  });

  const fsSpecs = description.filesystems ?? [];
  const trees = new Map<string, NodeFileSystem>();
  const filesystems: FilesystemInfoV2[] = [];
  const ids = new Set<string>();
  let totalRead = 0;
  let readCalls = 0;
  const onRead = (n: number): void => {
    totalRead += n;
    readCalls++;
  };
  fsSpecs.forEach((spec, i) => {
    const location = locationOf(spec, i, partitions.length > 0);
    const id = spec.id ?? idOf(location);
    if (ids.has(id)) throw bad(`duplicate filesystem id ${id}`, id);
    ids.add(id);
    const part =
      location.kind === 'partition' ? partitions.find((p) => p.number === location.partition) : undefined;
    const readable = spec.readable ?? !UNREADABLE_TYPES.has(spec.type);
    filesystems.push({
      id,
      type: spec.type,
      ...(spec.uuid === undefined ? {} : { uuid: spec.uuid }),
      ...(spec.label === undefined ? {} : { label: spec.label }),
      ...(spec.subUuid === undefined ? {} : { subUuid: spec.subUuid }),
      size: spec.size ?? part?.size ?? DEFAULT_SIZE,
      location,
      readable,
      ...(spec.details === undefined ? {} : { details: spec.details }),
    });
    if (readable) {
      trees.set(
        id,
        memoryFileSystem(spec.files ?? {}, {
          info: {
            type: spec.type,
            ...(spec.uuid === undefined ? {} : { uuid: spec.uuid }),
            ...(spec.label === undefined ? {} : { label: spec.label }),
          },
          caseSensitive: spec.caseSensitive ?? !CASE_INSENSITIVE_TYPES.has(spec.type),
          posixMetadata: spec.posixMetadata ?? !NON_POSIX_TYPES.has(spec.type),
          onRead,
        }),
      );
    }
  });

  const rootSpecs = fsSpecs.filter((s) => s.mount === '/');
  if (rootSpecs.length > 1) throw bad('more than one filesystem is mounted at /', '/');
  const primaryId = rootSpecs[0] === undefined ? undefined : filesystems[fsSpecs.indexOf(rootSpecs[0])]?.id;
  const roots: OsRootV2[] =
    description.roots !== undefined
      ? [...description.roots]
      : primaryId === undefined || rootSpecs[0] === undefined
        ? []
        : [{ id: primaryId, filesystem: primaryId, ...osOf(rootSpecs[0].files ?? {}), primary: true }];

  const lastPartEnd = partitions.reduce((m, p) => Math.max(m, p.start + p.size), 0);
  const sumFs = filesystems.reduce((s, f) => s + f.size, 0);
  const disk: DiskInfoV2 = {
    format: 'raw',
    // The GPT backup header and entries need the last 33 sectors; 1 MiB keeps the disk aligned.
    virtualSize: partitions.length > 0 ? lastPartEnd + MIB : sumFs,
    sectorSize: 512,
    partitionTable: partitions.length === 0 ? 'none' : anyMbr ? 'mbr' : 'gpt',
    ...description.disk,
    partitions,
  };
  const layout: ImageLayoutV2 = {
    disk,
    volumes: description.volumes ?? [],
    filesystems,
    roots,
    warnings: description.warnings ?? [],
  };
  const readableTypes = [...new Set(filesystems.filter((f) => f.readable).map((f) => f.type))].sort();
  const capabilities: AccessCapabilitiesV2 = {
    layout: true,
    guestTree: true,
    filesystemTree: true,
    readableFilesystems: readableTypes,
    posixMetadata: true,
    ...description.capabilities,
  };

  let closed = false;
  function checkOpen(): void {
    if (closed) throw new UsageError('access/closed', 'the memory guest was closed');
  }
  function treeOf(id: string): NodeFileSystem {
    const info = filesystems.find((f) => f.id === id);
    if (info === undefined) {
      throw new UsageError('access/unknown-filesystem', `no filesystem ${id}`, { data: { filesystem: id } });
    }
    const fs = trees.get(id);
    if (fs === undefined) {
      throw new UnsupportedError(
        'access/unreadable-filesystem',
        `filesystem ${id} (${info.type}) is not readable`,
        {
          data: { filesystem: id, type: info.type },
        },
      );
    }
    return fs;
  }

  return {
    specificationVersion: 'v1',
    backend: 'memory',
    capabilities,
    imagePath: description.imagePath ?? 'memory:guest',
    async inspect() {
      checkOpen();
      return layout;
    },
    async openRoot(rootId?: string): Promise<AssembledGuestV2> {
      checkOpen();
      const root =
        rootId === undefined
          ? (roots.find((r) => r.primary) ?? roots[0])
          : roots.find((r) => r.id === rootId);
      if (root === undefined) {
        if (rootId !== undefined)
          throw new UsageError('access/unknown-root', `no OS root ${rootId}`, { data: { root: rootId } });
        throw new UnsupportedError('access/no-root', 'the image has no operating system root');
      }
      const mounts: GuestTreeMount[] = [{ mountpoint: '/', fs: treeOf(root.filesystem) }];
      const mountRows: MountV2[] = [{ mountpoint: '/', filesystem: root.filesystem }];
      // Only the primary root gets the other filesystems' mount points: they describe its fstab.
      if (root.filesystem === primaryId) {
        fsSpecs.forEach((spec, i) => {
          const info = filesystems[i];
          if (info === undefined || spec.mount === undefined || spec.mount === '/') return;
          const fs = trees.get(info.id);
          if (fs === undefined) {
            mountRows.push({ mountpoint: spec.mount, reason: `${info.type} is not readable` });
            return;
          }
          mounts.push({ mountpoint: spec.mount, fs });
          mountRows.push({ mountpoint: spec.mount, filesystem: info.id });
        });
        mountRows.push(...(description.extraMounts ?? []));
      }
      const tree = createGuestTree(mounts);
      return { ...tree, root, mounts: mountRows };
    },
    async openFilesystem(filesystemId: string): Promise<GuestTreeV2> {
      checkOpen();
      return createGuestTree([{ mountpoint: '/', fs: treeOf(filesystemId) }]);
    },
    stats() {
      return { bytesRead: totalRead, readCalls };
    },
    async close() {
      closed = true;
    },
  };
}
