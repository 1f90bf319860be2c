import type { FileSystemInfo, FsDirEntry, FsNode, NodeFileSystem } from '../access/node-fs.js';
import { createGuestTree, type GuestTreeMount } from '../access/tree.js';
import type {
  AccessCapabilitiesV1,
  AssembledGuestV1,
  DiskInfoV1,
  FilesystemInfoV1,
  FilesystemLocationV1,
  GuestAccessV1,
  GuestFileTypeV1,
  GuestTreeV1,
  ImageLayoutV1,
  LayoutWarningV1,
  MountV1,
  OsRootV1,
  PartitionInfoV1,
  VolumeInfoV1,
} from '../access/v1.js';
import { GuestPathError, UnsupportedError, UsageError } from '../errors/index.js';

/**
 * An in-memory image for tests: a terse description of partitions, filesystems and files becomes a
 * full `GuestAccessV1` (backend `memory`), whose trees go through the same `createGuestTree`
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

/** One entry of a memory filesystem. A string or bytes is a regular file with default metadata. */
export type MemoryFileSpec =
  | string
  | Uint8Array
  | (MemoryMeta & { readonly content: string | Uint8Array })
  | (MemoryMeta & { readonly symlink: string })
  | (MemoryMeta & { readonly dir: true })
  | (MemoryMeta & { readonly other: 'fifo' | 'chardev' | 'blockdev' | 'socket' });

export interface MemoryMeta {
  /** Permission bits (`0o600`), or a full st_mode; file type bits are added from the kind. */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtimeMs?: number;
}

/** Absolute paths (inside this filesystem) to entries; parent directories are implied (0o755, root). */
export type MemoryFiles = Readonly<Record<string, MemoryFileSpec>>;

export interface MemoryFileSystemOptions {
  readonly info?: FileSystemInfo;
  /** Default true. When false, lookups are still exact: the resolver's case-folding scan does the rest. */
  readonly caseSensitive?: boolean;
  readonly posixMetadata?: boolean;
  /** Called with the byte count of every `read`, for tests that check laziness. */
  readonly onRead?: (bytes: number) => void;
}

interface MemNode extends FsNode {
  readonly data?: Uint8Array;
  readonly target?: string;
  readonly children?: Map<string, MemNode>;
}

const TYPE_BITS: Record<GuestFileTypeV1, number> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  other: 0,
};
const OTHER_BITS = { fifo: 0o010000, chardev: 0o020000, blockdev: 0o060000, socket: 0o140000 } as const;

function fullMode(
  mode: number | undefined,
  type: GuestFileTypeV1,
  fallback: number,
  typeBits?: number,
): number {
  const bits = typeBits ?? TYPE_BITS[type];
  if (mode === undefined) return bits | fallback;
  return (mode & 0o170000) !== 0 ? mode : bits | mode;
}

function bad(message: string, path: string): UsageError {
  return new UsageError('memory/bad-description', message, { data: { path } });
}

/**
 * A `NodeFileSystem` over a map of files, for tests of anything that consumes one. Node ids are
 * decimal numbers (the root is `1`); symlink targets are stored verbatim, so hostile trees are easy.
 */
export function memoryFileSystem(
  files: MemoryFiles = {},
  options: MemoryFileSystemOptions = {},
): NodeFileSystem {
  const enc = new TextEncoder();
  const nodes = new Map<string, MemNode>();
  let nextId = 1;
  function make(node: Omit<MemNode, 'id' | 'nlink'>): MemNode {
    const id = String(nextId++);
    const full: MemNode = { ...node, id, nlink: node.type === 'dir' ? 2 : 1 };
    nodes.set(id, full);
    return full;
  }
  function dirNode(meta: MemoryMeta = {}): MemNode {
    return make({
      type: 'dir',
      size: 4096,
      mode: fullMode(meta.mode, 'dir', 0o755),
      uid: meta.uid ?? 0,
      gid: meta.gid ?? 0,
      children: new Map(),
      ...(meta.mtimeMs === undefined ? {} : { mtimeMs: meta.mtimeMs }),
    });
  }
  const root = dirNode(
    files['/'] !== undefined && typeof files['/'] === 'object' ? (files['/'] as MemoryMeta) : {},
  );

  function ensureDir(parts: readonly string[], path: string): MemNode {
    let cur = root;
    for (const part of parts) {
      const kids = cur.children;
      if (kids === undefined) throw bad(`a parent of ${path} is not a directory`, path);
      let next = kids.get(part);
      if (next === undefined) {
        next = dirNode();
        kids.set(part, next);
      }
      cur = next;
    }
    if (cur.children === undefined) throw bad(`a parent of ${path} is not a directory`, path);
    return cur;
  }

  // Shortest paths first, so an explicit directory's metadata is applied before its children exist.
  const entries = Object.entries(files).sort(([a], [b]) => a.split('/').length - b.split('/').length);
  for (const [path, spec] of entries) {
    if (!path.startsWith('/')) throw bad(`memory file paths are absolute: ${path}`, path);
    const parts = path.split('/').filter((p) => p !== '');
    if (parts.some((p) => p === '.' || p === '..'))
      throw bad(`memory file paths are canonical: ${path}`, path);
    const name = parts.pop();
    if (name === undefined) continue; // the root's own metadata, applied above
    const parent = ensureDir(parts, path);
    const kids = parent.children as Map<string, MemNode>;
    let node: MemNode;
    if (typeof spec === 'string' || spec instanceof Uint8Array) {
      const data = typeof spec === 'string' ? enc.encode(spec) : spec;
      node = make({ type: 'file', size: data.length, mode: 0o100644, uid: 0, gid: 0, data });
    } else {
      const meta = {
        uid: spec.uid ?? 0,
        gid: spec.gid ?? 0,
        ...(spec.mtimeMs === undefined ? {} : { mtimeMs: spec.mtimeMs }),
      };
      if ('content' in spec) {
        const data = typeof spec.content === 'string' ? enc.encode(spec.content) : spec.content;
        node = make({
          type: 'file',
          size: data.length,
          mode: fullMode(spec.mode, 'file', 0o644),
          ...meta,
          data,
        });
      } else if ('symlink' in spec) {
        node = make({
          type: 'symlink',
          size: enc.encode(spec.symlink).length,
          mode: fullMode(spec.mode, 'symlink', 0o777),
          ...meta,
          target: spec.symlink,
        });
      } else if ('dir' in spec) {
        node = dirNode(spec);
      } else if ('other' in spec) {
        node = make({
          type: 'other',
          size: 0,
          mode: fullMode(spec.mode, 'other', 0o644, OTHER_BITS[spec.other]),
          ...meta,
        });
      } else {
        throw bad(`unrecognised memory file entry at ${path}`, path);
      }
    }
    if (kids.has(name)) throw bad(`duplicate memory file entry: ${path}`, path);
    kids.set(name, node);
  }

  function get(node: FsNode): MemNode {
    const n = nodes.get(node.id);
    if (n === undefined)
      throw new GuestPathError('guest/ENOENT', `no node ${node.id}`, { data: { id: node.id } });
    return n;
  }

  return {
    info: options.info ?? { type: 'memory' },
    caseSensitive: options.caseSensitive ?? true,
    posixMetadata: options.posixMetadata ?? true,
    async root() {
      return root;
    },
    async lookup(dir, name) {
      const d = get(dir);
      if (d.children === undefined) {
        throw new GuestPathError('guest/ENOTDIR', `node ${dir.id} is not a directory`, {
          data: { id: dir.id },
        });
      }
      return d.children.get(name);
    },
    async readdir(dir) {
      const d = get(dir);
      if (d.children === undefined) {
        throw new GuestPathError('guest/ENOTDIR', `node ${dir.id} is not a directory`, {
          data: { id: dir.id },
        });
      }
      return [...d.children].map(([name, n]): FsDirEntry => ({ name, type: n.type, id: n.id }));
    },
    async node(id) {
      const n = nodes.get(id);
      if (n === undefined) throw new GuestPathError('guest/ENOENT', `no node ${id}`, { data: { id } });
      return n;
    },
    async read(file, offset, length) {
      const data = get(file).data ?? new Uint8Array(0);
      const out = data.subarray(Math.min(offset, data.length), Math.min(offset + length, data.length));
      options.onRead?.(out.length);
      return out;
    },
    async readlink(link) {
      const n = get(link);
      if (n.target === undefined) {
        throw new GuestPathError('guest/EINVAL', `node ${link.id} is not a symlink`, {
          data: { id: link.id },
        });
      }
      return n.target;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The memory image.

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
  readonly kind?: PartitionInfoV1['kind'];
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
  readonly location?: FilesystemLocationV1 | number | 'disk';
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
  readonly disk?: Partial<Omit<DiskInfoV1, 'partitions'>>;
  readonly partitions?: readonly MemoryPartitionSpec[];
  readonly volumes?: readonly VolumeInfoV1[];
  readonly filesystems?: readonly MemoryFilesystemSpec[];
  /** Default: one primary root, the filesystem mounted at `/`. */
  readonly roots?: readonly OsRootV1[];
  readonly warnings?: readonly LayoutWarningV1[];
  /** Extra `MountV1` rows for the assembled root (unresolved fstab entries, say). */
  readonly extraMounts?: readonly MountV1[];
  readonly capabilities?: Partial<AccessCapabilitiesV1>;
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

function locationOf(spec: MemoryFilesystemSpec, index: number, hasPartitions: boolean): FilesystemLocationV1 {
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

function idOf(loc: FilesystemLocationV1): string {
  if (loc.kind === 'partition') return `p${loc.partition}`;
  if (loc.kind === 'lvm') return `lvm/${loc.vg}/${loc.lv}`;
  return 'disk';
}

/** Guesses the OS of a root from the files it holds, as the native root finder would. */
function osOf(files: MemoryFiles): { os: OsRootV1['os']; evidence: string[] } {
  const paths = Object.keys(files);
  const win = paths.find((p) => p.toLowerCase() === '/windows/system32/config/system');
  if (win !== undefined) return { os: 'windows', evidence: [win] };
  const linux = ['/etc/os-release', '/usr/lib/os-release', '/etc/fstab'].filter((p) => paths.includes(p));
  if (linux.length > 0) return { os: 'linux', evidence: linux };
  return { os: 'unknown', evidence: [] };
}

/** Builds an in-memory `GuestAccessV1` from a description (see the module comment). */
export function createMemoryGuest(description: MemoryGuestDescription = {}): GuestAccessV1 {
  const partSpecs = description.partitions ?? [];
  const partitions: PartitionInfoV1[] = [];
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
  const filesystems: FilesystemInfoV1[] = [];
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
  const roots: OsRootV1[] =
    description.roots !== undefined
      ? [...description.roots]
      : primaryId === undefined || rootSpecs[0] === undefined
        ? []
        : [{ id: primaryId, filesystem: primaryId, ...osOf(rootSpecs[0].files ?? {}), primary: true }];

  const lastPartEnd = partitions.reduce((m, p) => Math.max(m, p.start + p.size), 0);
  const sumFs = filesystems.reduce((s, f) => s + f.size, 0);
  const disk: DiskInfoV1 = {
    format: 'raw',
    // The GPT backup header and entries need the last 33 sectors; 1 MiB keeps the disk aligned.
    virtualSize: partitions.length > 0 ? lastPartEnd + MIB : sumFs,
    sectorSize: 512,
    partitionTable: partitions.length === 0 ? 'none' : anyMbr ? 'mbr' : 'gpt',
    ...description.disk,
    partitions,
  };
  const layout: ImageLayoutV1 = {
    disk,
    volumes: description.volumes ?? [],
    filesystems,
    roots,
    warnings: description.warnings ?? [],
  };
  const readableTypes = [...new Set(filesystems.filter((f) => f.readable).map((f) => f.type))].sort();
  const capabilities: AccessCapabilitiesV1 = {
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
    async openRoot(rootId?: string): Promise<AssembledGuestV1> {
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
      const mountRows: MountV1[] = [{ mountpoint: '/', filesystem: root.filesystem }];
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
    async openFilesystem(filesystemId: string): Promise<GuestTreeV1> {
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
