import { FormatError, type GuestTreeV2 } from '@imagecheck/sdk';
import { isAbsent, listDir } from '../guest-files.js';
import { moduleName } from './initramfs/index.js';
import type { DriverStatus } from './schema.js';

/**
 * What a kernel's own files say about a driver: built into the image, or a loadable module, and
 * which modules it needs.
 *
 * Sources, in the order they are trusted:
 * - `/lib/modules/<v>/modules.builtin`: one `kernel/<path>/<name>.ko` per line for every driver
 *   linked into the image (written by kbuild; kmod's `modinfo` reads it).
 * - `/boot/config-<v>`: `CONFIG_<SYMBOL>=y` (built in) or `=m` (module); the symbol of each driver
 *   comes from its Makefile line (`obj-$(CONFIG_VIRTIO_BLK) += virtio_blk.o`).
 * - `/lib/modules/<v>/modules.dep`: `<path>.ko[.xz|.zst|.gz]: <dependency paths...>` per module
 *   (written by depmod); modprobe loads the dependencies first.
 * - Without modules.dep (a tree depmod never ran on), the module files themselves under
 *   `/lib/modules/<v>/kernel/drivers/...`.
 */

/** The drivers this area reports, with the kernel config symbol that builds each one. */
export const DRIVER_CONFIG: Readonly<Record<string, string>> = {
  virtio: 'CONFIG_VIRTIO',
  virtio_ring: 'CONFIG_VIRTIO',
  virtio_pci: 'CONFIG_VIRTIO_PCI',
  virtio_pci_modern_dev: 'CONFIG_VIRTIO_PCI_LIB',
  virtio_blk: 'CONFIG_VIRTIO_BLK',
  virtio_scsi: 'CONFIG_SCSI_VIRTIO',
  virtio_net: 'CONFIG_VIRTIO_NET',
  nvme_core: 'CONFIG_NVME_CORE',
  nvme: 'CONFIG_BLK_DEV_NVME',
};
export const DRIVERS = Object.keys(DRIVER_CONFIG);

/**
 * Where the module files live in the source tree, for trees without modules.dep; and the
 * dependencies each has in mainline kernels (drivers/virtio/Makefile, drivers/nvme/host/Makefile),
 * used only then.
 */
const FALLBACK_DIRS = ['drivers/virtio', 'drivers/block', 'drivers/net', 'drivers/scsi', 'drivers/nvme/host'];
const FALLBACK_DEPS: Readonly<Record<string, readonly string[]>> = {
  virtio_ring: ['virtio'],
  virtio_pci_modern_dev: [],
  virtio_pci: ['virtio', 'virtio_ring', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev'],
  virtio_blk: ['virtio', 'virtio_ring'],
  virtio_scsi: ['virtio', 'virtio_ring'],
  virtio_net: ['virtio', 'virtio_ring', 'net_failover', 'failover'],
  nvme: ['nvme_core'],
};

/** modules.dep and config files are read whole: Debian's generic modules.dep is ~0.5 MB. */
export const MAX_MODULE_INDEX_BYTES = 32 * 1024 * 1024;
/** Modules read from one modules.dep; a distribution kernel ships ~6,000. */
export const MAX_MODULES = 100_000;
/** Dependency closure walked per driver. */
const MAX_CLOSURE = 512;

export interface SourceLine {
  readonly path: string;
  readonly line: number;
  readonly excerpt: string;
}

export interface KernelModuleIndex {
  readonly version: string;
  /** Which of the sources were found (guest paths), null when absent. */
  readonly modulesBuiltin: string | null;
  readonly modulesDep: string | null;
  readonly config: string | null;
  /** Built-in module name → the line saying so. */
  readonly builtin: ReadonlyMap<string, SourceLine>;
  /** Config symbol → value and line (`y`, `m`, or `n` for `# CONFIG_X is not set`). */
  readonly configValues: ReadonlyMap<string, { value: string; at: SourceLine }>;
  /** Loadable module name → its file (guest path), the line of modules.dep naming it, its direct dependencies. */
  readonly modules: ReadonlyMap<string, { path: string; at?: SourceLine; deps: readonly string[] }>;
}

async function readText(tree: GuestTreeV2, path: string): Promise<string | undefined> {
  try {
    const st = await tree.stat(path);
    if (st.type !== 'file') return undefined;
    if (st.size > MAX_MODULE_INDEX_BYTES) {
      throw new FormatError(
        'linux/module-index-too-large',
        `${path} is ${st.size} bytes, over ${MAX_MODULE_INDEX_BYTES}`,
        {
          data: { path, actual: st.size, expected: MAX_MODULE_INDEX_BYTES },
        },
      );
    }
    return new TextDecoder('utf-8').decode(await tree.readFile(path, { maxBytes: MAX_MODULE_INDEX_BYTES }));
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}

/** Reads what the kernel `version`'s files say about its modules. */
export async function readModuleIndex(
  tree: GuestTreeV2,
  version: string,
  configPath: string | undefined,
): Promise<KernelModuleIndex> {
  const dir = `/lib/modules/${version}`;
  const builtin = new Map<string, SourceLine>();
  const builtinPath = `${dir}/modules.builtin`;
  const builtinText = await readText(tree, builtinPath);
  if (builtinText !== undefined) {
    forLines(builtinText, (t, line) => {
      if (t.endsWith('.ko')) builtin.set(moduleName(t), { path: builtinPath, line, excerpt: t });
    });
  }

  const configValues = new Map<string, { value: string; at: SourceLine }>();
  const cfgPath = configPath ?? `/boot/config-${version}`;
  const cfgText = await readText(tree, cfgPath);
  if (cfgText !== undefined) {
    forLines(cfgText, (t, line) => {
      const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(t);
      const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(t);
      const sym = set?.[1] ?? unset?.[1];
      if (!sym) return;
      configValues.set(sym, { value: set ? (set[2] ?? '') : 'n', at: { path: cfgPath, line, excerpt: t } });
    });
  }

  const modules = new Map<string, { path: string; at?: SourceLine; deps: string[] }>();
  const depPath = `${dir}/modules.dep`;
  const depText = await readText(tree, depPath);
  if (depText !== undefined) {
    forLines(depText, (t, line) => {
      const colon = t.indexOf(':');
      if (colon <= 0) return;
      if (modules.size >= MAX_MODULES) {
        throw new FormatError('linux/too-many-modules', `${depPath} lists more than ${MAX_MODULES} modules`, {
          data: { path: depPath, line, expected: MAX_MODULES },
        });
      }
      const file = t.slice(0, colon);
      const deps = t
        .slice(colon + 1)
        .split(/\s+/)
        .filter((d) => d !== '')
        .map(moduleName);
      const name = moduleName(file);
      const path = file.startsWith('/') ? file : `${dir}/${file}`;
      if (!modules.has(name))
        modules.set(name, { path, at: { path: depPath, line, excerpt: t.slice(0, 200) }, deps });
    });
  } else {
    // No modules.dep: look for the files where the kernel's build puts them.
    for (const sub of FALLBACK_DIRS) {
      const d = `${dir}/kernel/${sub}`;
      for (const f of await listDir(tree, d, 4096)) {
        if (!/\.ko(?:\.xz|\.zst|\.gz)?$/.test(f)) continue;
        const name = moduleName(f);
        if (!modules.has(name)) modules.set(name, { path: `${d}/${f}`, deps: [] });
      }
    }
    for (const [name, m] of modules) {
      m.deps = (FALLBACK_DEPS[name] ?? []).filter((d) => modules.has(d));
    }
  }

  return {
    version,
    modulesBuiltin: builtinText === undefined ? null : builtinPath,
    modulesDep: depText === undefined ? null : depPath,
    config: cfgText === undefined ? null : cfgPath,
    builtin,
    configValues,
    modules,
  };
}

function forLines(text: string, fn: (trimmed: string, line: number) => void): void {
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const t = text.slice(start, end).trim();
    if (t !== '') fn(t, line);
    start = end + 1;
  }
}

export type { DriverState, DriverStatus } from './schema.js';

/** Whether the index has anything to decide with. */
export function indexKnows(index: KernelModuleIndex): boolean {
  return (
    index.modulesBuiltin !== null ||
    index.config !== null ||
    index.modulesDep !== null ||
    index.modules.size > 0
  );
}

function isBuiltin(index: KernelModuleIndex, name: string): SourceLine | undefined {
  const b = index.builtin.get(name);
  if (b) return b;
  const sym = DRIVER_CONFIG[name];
  const c = sym ? index.configValues.get(sym) : undefined;
  return c?.value === 'y' ? c.at : undefined;
}

/** The state of driver `name` in the kernel the index describes, before looking at an initramfs. */
export function driverStatus(
  index: KernelModuleIndex,
  name: string,
): Omit<DriverStatus, 'inInitramfs' | 'initramfsPath' | 'dependenciesNotInInitramfs'> {
  const b = isBuiltin(index, name);
  if (b) return { name, state: 'builtin', modulePath: null, dependencies: [], source: { ...b } };
  const m = index.modules.get(name);
  if (m) {
    return {
      name,
      state: 'module',
      modulePath: m.path,
      dependencies: closure(index, name),
      source: m.at ? { ...m.at } : { path: m.path, line: null, excerpt: m.path },
    };
  }
  const sym = DRIVER_CONFIG[name];
  const c = sym ? index.configValues.get(sym) : undefined;
  if (!indexKnows(index)) return { name, state: 'unknown', modulePath: null, dependencies: [], source: null };
  return {
    name,
    state: 'absent',
    modulePath: null,
    dependencies: [],
    source: c ? { ...c.at } : null,
  };
}

/** Loadable modules `name` needs, transitively (modules.dep lists the closure already; older trees may not). */
function closure(index: KernelModuleIndex, name: string): string[] {
  const seen = new Set<string>();
  const stack = [...(index.modules.get(name)?.deps ?? [])];
  while (stack.length > 0 && seen.size < MAX_CLOSURE) {
    const d = stack.pop() as string;
    if (seen.has(d) || d === name || index.builtin.has(d)) continue;
    seen.add(d);
    stack.push(...(index.modules.get(d)?.deps ?? []));
  }
  return [...seen].sort();
}
