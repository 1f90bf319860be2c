import type {
  AccessBackendV2,
  AccessCapabilitiesV2,
  BootFactsV2,
  DiskInfoV2,
  FilesystemInfoV2,
  FilesystemLocationV2,
  GuestAccessV2,
  ImageLayoutV2,
  LayoutWarningV2,
  NodeFileSystem,
  OpenOptionsV2,
  PartitionInfoV2,
  VolumeInfoV2,
} from '@imagecheck/access';
import {
  guardNodeFileSystem,
  InternalError,
  partitionTypeName,
  UnsupportedError,
  UsageError,
} from '@imagecheck/access';
import { type MemoryFiles, memoryFileSystem } from '@imagecheck/access/testing';

/**
 * An in-memory image for tests: a terse description of partitions, filesystems and files becomes a
 * full `GuestAccessV2` (backend `memory`). It is a backend like the others: the engine finds its
 * OS roots with the plugins' OS providers and builds its trees with the same `createGuestTree`
 * resolver, so root finding and path rules (symlinks, `..`, mounts) behave identically.
 *
 * Two ways to describe the guest:
 * - as an image: no `mount` on any filesystem; the providers find the root (os-release, ...) and
 *   assemble it from the guest's own `/etc/fstab`, exactly as for an image file;
 * - as a running system: `mount` on the filesystems (`/` marks the root); they are reported as
 *   `FilesystemInfoV2.mountpoints`, and the guest is that mount table as is, as a live system's.
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
  /**
   * Where the described running system has it mounted (`/` marks the root), reported as
   * `mountpoints`. Leave it out everywhere to describe an image assembled from its fstab.
   */
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
  readonly warnings?: readonly LayoutWarningV2[];
  readonly capabilities?: Partial<AccessCapabilitiesV2>;
  /** Boot facts as a backend would read them from sector 0; default: unknown, and ESPs by partition type. */
  readonly boot?: Partial<BootFactsV2>;
}

/** sgdisk's short type codes (gdisk `parttypes.cc`) → GPT type GUIDs. */
const SGDISK_TYPES: Readonly<Record<string, string>> = {
  EF00: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  EF02: '21686148-6449-6E6F-744E-656564454649',
  '8300': '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  '8200': '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F',
  '8E00': 'E6D6D379-F507-44C2-A23C-238F2A3DF928',
  '8304': '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709',
  EA00: 'BC13C2FF-59E6-4262-A352-B275FD6F7172',
  '0700': 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
  '0C01': 'E3C9E316-0B5C-4DB8-817D-F92DF00215AE',
  '2700': 'DE94BBA4-06D1-4D40-A16A-BFD50179D6AC',
};

const MIB = 1024 * 1024;
const DEFAULT_SIZE = 64 * MIB;
const UNREADABLE_TYPES = new Set(['swap', 'luks', 'bitlocker']);
const CASE_INSENSITIVE_TYPES = new Set(['vfat', 'exfat', 'ntfs']);
const NON_POSIX_TYPES = new Set(['vfat', 'exfat']);

/** The type as a backend reports it, named from the table every backend uses. */
function partitionType(type: string): { type: string; typeName?: string; mbr: boolean } {
  const named = (t: string, mbr: boolean) => {
    const typeName = partitionTypeName(t);
    return { type: t, mbr, ...(typeName === undefined ? {} : { typeName }) };
  };
  const code = SGDISK_TYPES[type.toUpperCase()];
  if (code !== undefined) return named(code, false);
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(type)) {
    return named(type.toUpperCase(), false);
  }
  const mbr = /^(?:0x)?([0-9a-f]{1,2})$/i.exec(type);
  if (mbr?.[1] !== undefined) return named(`0x${mbr[1].toLowerCase().padStart(2, '0')}`, true);
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
function bad(message: string, what: string): UsageError {
  return new UsageError('memory/bad-description', `memory guest: ${message}`, { data: { what } });
}

/** EFI system partition types (GPT and MBR), for the default boot facts. */
const ESP_TYPES = new Set(['C12A7328-F81F-11D2-BA4B-00A0C93EC93B', '0xef']);

/** Builds an in-memory `GuestAccessV2` from a description (see the module comment). */
export function createMemoryGuest(
  description: MemoryGuestDescription = {},
  options: Pick<OpenOptionsV2, 'signal'> = {},
): GuestAccessV2 {
  const { signal } = options;
  signal?.throwIfAborted();
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
      ...(spec.mount === undefined ? {} : { mountpoints: [spec.mount] }),
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

  if (fsSpecs.filter((s) => s.mount === '/').length > 1)
    throw bad('more than one filesystem is mounted at /', '/');

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
    boot: {
      mbrBootCode: { known: false, reason: 'the in-memory guest has no sector 0' },
      espPartitions: partitions
        .filter((p) => ESP_TYPES.has(p.type.startsWith('0x') ? p.type.toLowerCase() : p.type.toUpperCase()))
        .map((p) => p.number),
      ...description.boot,
    },
  };
  const layout: ImageLayoutV2 = {
    disk,
    volumes: description.volumes ?? [],
    filesystems,
    warnings: description.warnings ?? [],
  };
  const readableTypes = [...new Set(filesystems.filter((f) => f.readable).map((f) => f.type))].sort();
  const capabilities: AccessCapabilitiesV2 = {
    layout: true,
    bootFacts: description.boot?.mbrBootCode !== undefined,
    filesystemTree: true,
    readableFilesystems: readableTypes,
    posixMetadata: true,
    ...description.capabilities,
  };

  let closed = false;
  function checkOpen(): void {
    signal?.throwIfAborted();
    if (closed) throw new InternalError('access/closed', 'the memory guest is used after close()');
  }
  /** As the native backend's: every call checks the guest is open and not aborted. */
  const wrappers = new Map<string, NodeFileSystem>();
  function guarded(id: string, fs: NodeFileSystem): NodeFileSystem {
    const known = wrappers.get(id);
    if (known !== undefined) return known;
    const wrapper = guardNodeFileSystem(fs, checkOpen);
    wrappers.set(id, wrapper);
    return wrapper;
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
    specificationVersion: 'v2',
    backend: 'memory',
    capabilities,
    imagePath: description.imagePath ?? 'memory:guest',
    async inspect() {
      checkOpen();
      return layout;
    },
    async openFilesystem(filesystemId: string): Promise<NodeFileSystem> {
      checkOpen();
      return guarded(filesystemId, treeOf(filesystemId));
    },
    async listSubvolumes(filesystemId: string): Promise<readonly string[]> {
      checkOpen();
      if (!filesystems.some((f) => f.id === filesystemId)) {
        throw new UsageError('access/unknown-filesystem', `no filesystem ${filesystemId}`, {
          data: { filesystem: filesystemId },
        });
      }
      return [];
    },
    stats() {
      return { bytesRead: totalRead, readCalls };
    },
    async close() {
      closed = true;
    },
  };
}

/**
 * A backend over described images: `open(name)` builds the memory guest described under that
 * name, honouring the `signal` as every backend must.
 */
export function createMemoryBackend(
  images: Readonly<Record<string, MemoryGuestDescription>>,
): AccessBackendV2 {
  return {
    specificationVersion: 'v2',
    name: 'memory',
    async open(imagePath, options = {}) {
      options.signal?.throwIfAborted();
      const description = images[imagePath];
      if (description === undefined) {
        throw new UsageError('memory/unknown-image', `no memory image named ${imagePath}`, {
          data: { path: imagePath, known: Object.keys(images) },
        });
      }
      return createMemoryGuest(
        { ...description, imagePath },
        options.signal === undefined ? {} : { signal: options.signal },
      );
    },
  };
}
