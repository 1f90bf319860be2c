import { GuestPathError, InternalError, UsageError } from '../errors.js';
import type { FileSystemInfo, FsDirEntry, FsNode, NodeFileSystem } from '../node-fs.js';
import type { GuestFileTypeV2 } from '../v2.js';

/**
 * A node-level filesystem over a map of files, for tests: the in-memory test guest and the
 * conformance suite's reference backend build their trees from it, so path rules (symlinks,
 * `..`, mounts) go through the same `createGuestTree` resolver as every real backend.
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

const TYPE_BITS: Record<GuestFileTypeV2, number> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  other: 0,
};
const OTHER_BITS = { fifo: 0o010000, chardev: 0o020000, blockdev: 0o060000, socket: 0o140000 } as const;

function fullMode(
  mode: number | undefined,
  type: GuestFileTypeV2,
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
        throw new InternalError('memory/not-a-directory', `node ${dir.id} is not a directory`, {
          data: { id: dir.id },
        });
      }
      return d.children.get(name);
    },
    async readdir(dir) {
      const d = get(dir);
      if (d.children === undefined) {
        throw new InternalError('memory/not-a-directory', `node ${dir.id} is not a directory`, {
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
