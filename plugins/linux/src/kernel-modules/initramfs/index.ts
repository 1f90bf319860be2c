import type { CpioEntry } from './cpio.js';
import { type InitramfsSegment, type RangeInput, type ScanOptions, scanInitramfs } from './reader.js';

export { decodeLz4Block, LZ4_LEGACY_MAGIC } from '@imagecheck/binary';
export { type CpioEntry, CpioReader, MAX_CPIO_ENTRIES, MAX_CPIO_NAME_SIZE, normaliseName } from './cpio.js';
export {
  detectSegment,
  type InitramfsScan,
  type InitramfsSegment,
  MAX_DECOMPRESSED_BYTES,
  MAX_SEGMENTS,
  type RangeInput,
  type ScanOptions,
  type SegmentFormat,
  scanInitramfs,
} from './reader.js';

/** What a driver check needs from an initramfs: the kernel modules it carries. */
export interface InitramfsModules {
  readonly size: number;
  readonly segments: readonly InitramfsSegment[];
  readonly entries: number;
  readonly decompressedBytes: number;
  /** Module names (`virtio_blk`; dashes folded to underscores) of every `.ko[.xz|.zst|.gz]` file. */
  readonly modules: readonly string[];
  /** Path of each module file, by name (the first one seen). */
  readonly modulePaths: Readonly<Record<string, string>>;
  /**
   * Module names by the kernel version of the `lib/modules/<version>` tree holding them; modules
   * outside any such tree are under `''`. The kernel only loads modules of its own version.
   */
  readonly modulesByVersion: Readonly<Record<string, readonly string[]>>;
  /** Kernel versions of the `lib/modules/<version>` trees inside. */
  readonly kernelVersions: readonly string[];
  /** Module names listed in a `modules.builtin` inside the initramfs, when one is there. */
  readonly builtin?: readonly string[];
  /** Module names listed in `modules.order` inside the initramfs, when one is there. */
  readonly order?: readonly string[];
  readonly warnings: readonly string[];
}

const MODULE_FILE = /(?:^|\/)([^/]+)\.ko(?:\.xz|\.zst|\.gz)?$/;
const MODULE_TREE = /^(?:usr\/)?lib\/modules\/([^/]+)\/(.+)$/;

/** `virtio-blk`, `virtio_blk.ko.zst` and `virtio_blk` name one module (modprobe folds `-` to `_`). */
export function moduleName(fileOrName: string): string {
  const m = MODULE_FILE.exec(fileOrName);
  const base = m?.[1] ?? fileOrName.slice(fileOrName.lastIndexOf('/') + 1);
  return base.replaceAll('-', '_');
}

/** Reads an initramfs and lists its modules; see `scanInitramfs` for the format and limits. */
export async function readInitramfsModules(
  input: RangeInput,
  options: Pick<ScanOptions, 'maxDecompressedBytes' | 'signal'> = {},
): Promise<InitramfsModules> {
  const paths = new Map<string, string>();
  const versions = new Set<string>();
  const byVersion = new Map<string, Set<string>>();
  const onEntry = (e: CpioEntry): void => {
    const tree = MODULE_TREE.exec(e.name);
    if (tree?.[1]) versions.add(tree[1]);
    if ((e.mode & 0o170000) !== 0o100000) return;
    const m = MODULE_FILE.exec(e.name);
    if (!m?.[1]) return;
    const name = m[1].replaceAll('-', '_');
    if (!paths.has(name)) paths.set(name, e.name);
    const v = tree?.[1] ?? '';
    const set = byVersion.get(v) ?? new Set<string>();
    byVersion.set(v, set);
    set.add(name);
  };
  const capture = (name: string): boolean => {
    const tree = MODULE_TREE.exec(name);
    return tree?.[2] === 'modules.builtin' || tree?.[2] === 'modules.order';
  };
  const scan = await scanInitramfs(input, { ...options, onEntry, capture });
  const listed = (file: string): string[] | undefined => {
    let found: string[] | undefined;
    for (const [name, v] of scan.captured) {
      if (!name.endsWith(`/${file}`)) continue;
      found ??= [];
      for (const line of new TextDecoder('latin1').decode(v.data).split('\n')) {
        const t = line.trim();
        if (t !== '') found.push(moduleName(t));
      }
    }
    return found ? [...new Set(found)].sort() : undefined;
  };
  const builtin = listed('modules.builtin');
  const order = listed('modules.order');
  return {
    size: scan.size,
    segments: scan.segments,
    entries: scan.entries,
    decompressedBytes: scan.decompressedBytes,
    modules: [...paths.keys()].sort(),
    modulePaths: Object.fromEntries([...paths].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    modulesByVersion: Object.fromEntries(
      [...byVersion].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([v, set]) => [v, [...set].sort()]),
    ),
    kernelVersions: [...versions].sort(),
    ...(builtin ? { builtin } : {}),
    ...(order ? { order } : {}),
    warnings: scan.warnings,
  };
}
