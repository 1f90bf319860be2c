import {
  type CollectContext,
  type Collector,
  defineCollector,
  type Evidence,
  type FactKey,
  type FactResult,
  type GuestTreeV2,
  isImagecheckError,
  isInternalError,
} from '@imagecheck/sdk';
import { kernelsFact } from '../boot/kernels.js';
import { errorCode, fileEvidence, isAbsent, NO_GUEST } from '../guest-files.js';
import { type InitramfsModules, type RangeInput, readInitramfsModules } from './initramfs/index.js';
import { DRIVERS, type DriverStatus, driverStatus, readModuleIndex } from './modules.js';
import {
  type DeviceDrivers,
  type Drivers,
  driversFact,
  type InitramfsInfo,
  type KernelDrivers,
  type MissingModule,
  nvmeDriversFact,
  virtioDriversFact,
} from './schema.js';

/** Kernels whose initramfs is read in one check; distributions keep 2-3, the rest are listed as not read. */
export const MAX_KERNELS_SCANNED = 8;

function rangeInput(tree: GuestTreeV2, path: string, size: number): RangeInput {
  return {
    size,
    read: (offset, length) => tree.readFile(path, { offset, length, maxBytes: length }),
  };
}

async function readInitramfs(
  ctx: CollectContext,
  tree: GuestTreeV2,
  path: string | null,
  cache: Map<string, InitramfsModules | InitramfsInfo>,
): Promise<{ info: InitramfsInfo; modules?: InitramfsModules }> {
  if (path === null)
    return { info: { path: null, status: 'none', reason: 'no initramfs file for this kernel' } };
  let real: string;
  let size: number;
  try {
    real = await tree.realpath(path);
    const st = await tree.stat(real);
    if (st.type !== 'file') return { info: { path, status: 'none', reason: `${path} is not a file` } };
    size = st.size;
  } catch (err) {
    if (isAbsent(err)) return { info: { path, status: 'none', reason: `${path} does not exist` } };
    if (isInternalError(err)) throw err;
    const code = errorCode(err);
    return {
      info: { path, status: 'unreadable', reason: (err as Error).message, ...(code ? { code } : {}) },
    };
  }
  let hit = cache.get(real);
  if (!hit) {
    try {
      hit = await readInitramfsModules(
        rangeInput(tree, real, size),
        ctx.signal ? { signal: ctx.signal } : {},
      );
    } catch (err) {
      if (!isImagecheckError(err) || isInternalError(err)) throw err;
      hit = { path, status: 'unreadable', reason: err.message, code: err.code };
    }
    cache.set(real, hit);
  }
  if ('status' in hit) return { info: { ...hit, path } };
  return {
    info: {
      path,
      status: 'read',
      formats: hit.segments.map((s) => s.format),
      size: hit.size,
      entries: hit.entries,
      decompressedBytes: hit.decompressedBytes,
      moduleCount: hit.modules.length,
      kernelVersions: hit.kernelVersions,
      ...(hit.warnings.length > 0 ? { warnings: hit.warnings } : {}),
    },
    modules: hit,
  };
}

async function collectDrivers(ctx: CollectContext): Promise<FactResult<Drivers>> {
  const guest = ctx.guest;
  if (!guest) return { status: 'unavailable', reason: NO_GUEST, evidence: [] };
  const k = await ctx.fact(kernelsFact);
  if (k.status !== 'ok') {
    return {
      status: 'unavailable',
      reason: `the kernels are not known: ${k.reason}`,
      ...(k.code ? { code: k.code } : {}),
      evidence: k.evidence,
    };
  }
  // One entry per version: the default kernel first, then the other installed ones.
  const wanted: { version: string; initrd: string | null; config: string | undefined; isDefault: boolean }[] =
    [];
  const def = k.value.default;
  if (def) wanted.push({ version: def.version, initrd: def.initrd, config: def.config, isDefault: true });
  for (const i of k.value.installed) {
    if (wanted.some((w) => w.version === i.version)) continue;
    wanted.push({ version: i.version, initrd: i.initrd ?? null, config: i.config, isDefault: false });
  }
  const cache = new Map<string, InitramfsModules | InitramfsInfo>();
  const evidence: Evidence[] = [];
  const kernels: KernelDrivers[] = [];
  for (const [n, w] of wanted.entries()) {
    const index = await readModuleIndex(guest, w.version, w.config);
    const { info, modules } =
      n < MAX_KERNELS_SCANNED
        ? await readInitramfs(ctx, guest, w.initrd, cache)
        : {
            info: {
              path: w.initrd,
              status: 'not-read' as const,
              reason: `only ${MAX_KERNELS_SCANNED} kernels are read`,
            },
            modules: undefined,
          };
    // Only modules of this kernel's own tree (or outside any versioned tree) can be loaded by it:
    // an initramfs left over from another kernel does not help.
    const inside = modules
      ? new Set([...(modules.modulesByVersion[w.version] ?? []), ...(modules.modulesByVersion[''] ?? [])])
      : undefined;
    const builtinInside = new Set(modules?.builtin ?? []);
    const drivers: Record<string, DriverStatus> = {};
    for (const name of DRIVERS) {
      const s = driverStatus(index, name);
      // An initramfs of the same kernel may list a driver in its own modules.builtin: the same fact.
      const inInitramfs = inside ? inside.has(name) || builtinInside.has(name) : null;
      drivers[name] = {
        ...s,
        inInitramfs,
        initramfsPath: modules?.modulePaths[name] ?? null,
        dependenciesNotInInitramfs: inside
          ? s.dependencies.filter((x) => !inside.has(x) && !builtinInside.has(x))
          : null,
      };
    }
    for (const p of [
      index.modulesBuiltin,
      index.modulesDep,
      index.config,
      info.status === 'read' ? info.path : null,
    ]) {
      if (p && !evidence.some((e) => e.path === p))
        evidence.push(fileEvidence(p, undefined, undefined, `kernel ${w.version}`));
    }
    kernels.push({
      version: w.version,
      isDefault: w.isDefault,
      modulesBuiltin: index.modulesBuiltin,
      modulesDep: index.modulesDep,
      config: index.config,
      initramfs: info,
      drivers,
    });
  }
  return { status: 'ok', value: { default: kernels.find((x) => x.isDefault) ?? null, kernels }, evidence };
}

export const driversCollector = defineCollector(driversFact, collectDrivers);

interface DeviceClass {
  readonly fact: FactKey<DeviceDrivers>;
  /** Drivers the class needs at all. */
  readonly required: readonly string[];
  /** Drivers (with their dependencies) that must be in the initramfs when they are modules: the boot disk path. */
  readonly bootPath: readonly string[];
  /** Drivers a rule may require by parameter (virtio_scsi): checked like `required` + `bootPath`, reported apart. */
  readonly optional: readonly string[];
  /** Drivers reported too. */
  readonly reported: readonly string[];
}

export const VIRTIO: DeviceClass = {
  fact: virtioDriversFact,
  required: ['virtio_blk', 'virtio_net', 'virtio_pci'],
  bootPath: ['virtio_blk', 'virtio_pci'],
  optional: ['virtio_scsi'],
  reported: ['virtio', 'virtio_ring', 'virtio_pci_modern_dev'],
};
export const NVME: DeviceClass = {
  fact: nvmeDriversFact,
  required: ['nvme'],
  bootPath: ['nvme'],
  optional: [],
  reported: ['nvme_core'],
};

function describe(s: DriverStatus): string {
  if (s.state !== 'module') return s.state;
  return s.inInitramfs === null ? 'module' : s.inInitramfs ? 'module(initramfs)' : 'module(not in initramfs)';
}

/** The modules (drivers that are modules, and their dependencies) the given drivers need at boot. */
function neededModules(k: KernelDrivers, names: readonly string[]): Map<string, DriverStatus | undefined> {
  const needed = new Map<string, DriverStatus | undefined>();
  for (const n of names) {
    const s = k.drivers[n];
    if (s?.state !== 'module') continue;
    needed.set(n, s);
    for (const dep of s.dependencies) if (!needed.has(dep)) needed.set(dep, k.drivers[dep]);
  }
  return needed;
}

/** Of `neededModules`, those the initramfs lacks (all of them when the kernel has no initramfs). */
function missingFromInitramfs(k: KernelDrivers, names: readonly string[]): MissingModule[] {
  const notInside = new Set<string>();
  for (const n of names) {
    const s = k.drivers[n];
    if (s?.state !== 'module') continue;
    if (s.inInitramfs !== true) notInside.add(n);
    for (const x of s.dependenciesNotInInitramfs ?? s.dependencies) notInside.add(x);
  }
  const out: MissingModule[] = [];
  for (const [n, s] of neededModules(k, names)) {
    if (notInside.has(n)) out.push({ name: n, modulePath: s?.modulePath ?? null });
  }
  return out;
}

function deviceCollector(cls: DeviceClass): Collector<DeviceDrivers> {
  return {
    fact: cls.fact.id,
    async collect(ctx): Promise<FactResult<DeviceDrivers>> {
      const d = await ctx.fact(driversFact);
      if (d.status !== 'ok') return d;
      const k = d.value.default;
      if (!k)
        return { status: 'unavailable', reason: 'the image has no default kernel', evidence: d.evidence };
      const drivers: Record<string, DriverStatus> = {};
      for (const n of [...cls.required, ...cls.optional, ...cls.reported]) {
        const s = k.drivers[n];
        if (s) drivers[n] = s;
      }
      const unknown = cls.required.filter((n) => drivers[n]?.state === 'unknown');
      if (unknown.length > 0) {
        return {
          status: 'unavailable',
          reason: `kernel ${k.version} has no modules.builtin, /boot/config, modules.dep or module files to tell whether ${unknown.join(', ')} exist`,
          evidence: d.evidence,
        };
      }
      const absent = cls.required.filter((n) => drivers[n]?.state === 'absent');
      const optionalAbsent = cls.optional.filter((n) => drivers[n]?.state === 'absent');
      const needed = [...neededModules(k, cls.bootPath).keys()];
      if (needed.length > 0 && (k.initramfs.status === 'unreadable' || k.initramfs.status === 'not-read')) {
        return {
          status: 'unavailable',
          reason: `the initramfs ${k.initramfs.path} of kernel ${k.version} could not be read (${k.initramfs.reason ?? k.initramfs.status}), and ${needed.join(', ')} are modules that must be in it`,
          ...(k.initramfs.code ? { code: k.initramfs.code } : {}),
          evidence: k.initramfs.path
            ? [fileEvidence(k.initramfs.path, undefined, undefined, 'initramfs')]
            : d.evidence,
        };
      }
      const missing = missingFromInitramfs(k, cls.bootPath);
      // An unreadable initramfs leaves the optional drivers undecided: reported as missing only when read.
      const optionalMissing =
        k.initramfs.status === 'read' || k.initramfs.status === 'none'
          ? missingFromInitramfs(k, cls.optional)
          : [];
      const source = k.modulesBuiltin ?? k.config ?? k.modulesDep ?? `/lib/modules/${k.version}`;
      const evidence: Evidence[] = [];
      for (const n of cls.required) {
        const s = drivers[n];
        if (s?.source)
          evidence.push(
            fileEvidence(s.source.path, s.source.line ?? undefined, s.source.excerpt, `${n}: ${describe(s)}`),
          );
      }
      if (k.initramfs.path && k.initramfs.status === 'read') {
        evidence.push(
          fileEvidence(
            k.initramfs.path,
            undefined,
            undefined,
            `initramfs: ${k.initramfs.moduleCount} modules`,
          ),
        );
      }
      return {
        status: 'ok',
        value: {
          kernel: k.version,
          initramfs: k.initramfs.path,
          initramfsStatus: k.initramfs.status,
          initramfsLocation: k.initramfs.path ?? `/lib/modules/${k.version}`,
          kernelSource: source,
          drivers,
          absent,
          missingFromInitramfs: missing,
          missingList: missing.map((m) => m.name).join(', '),
          optionalAbsent,
          optionalMissingFromInitramfs: optionalMissing,
          optionalMissingList: optionalMissing.map((m) => m.name).join(', '),
          locations: Object.fromEntries(
            Object.values(drivers).map((x) => [
              x.name,
              x.source ? { path: x.source.path, line: x.source.line } : { path: source, line: null },
            ]),
          ),
          summary: Object.values(drivers)
            .map((s) => `${s.name}=${describe(s)}`)
            .join(' '),
        },
        evidence,
      };
    },
  };
}

export const virtioCollector = deviceCollector(VIRTIO);
export const nvmeCollector = deviceCollector(NVME);
