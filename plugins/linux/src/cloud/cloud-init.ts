import {
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  FormatError,
  type GuestTreeV2,
  Nullable,
  type Static,
  Type,
} from '@imagecheck/sdk';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { kernelsFact } from '../boot/kernels.js';
import { fileEvidence, globConfig, isExecutable, noGuest, pathExists, readOptional } from '../guest-files.js';
import { hasSystemd, serviceState } from '../services.js';
import { fstabFact } from '../storage/fstab.js';

/**
 * `linux.cloudInit`: whether cloud-init will run on the first boot of an instance, what its
 * configuration says about the network and about growing the root partition and filesystem, and
 * every other first-boot grower (growroot in the initramfs, systemd-repart, systemd-growfs).
 *
 * cloud-init's configuration is `/etc/cloud/cloud.cfg` and then `/etc/cloud/cloud.cfg.d/*.cfg` in
 * lexical order, merged recursively with later files winning (cloud-init `read_conf_d` +
 * `mergemanydict`). Its modules run only when listed in `cloud_init_modules`,
 * `cloud_config_modules` or `cloud_final_modules`. It is disabled by `/etc/cloud/cloud-init.disabled`
 * or `cloud-init=disabled` on the kernel command line (cloud-init "boot stages": the generator).
 */

export const CLOUD_CFG = '/etc/cloud/cloud.cfg';
export const DISABLED_FILE = '/etc/cloud/cloud-init.disabled';
/** Units of cloud-init before 24.3 and after it (cloud-init-main and cloud-init-network). */
const UNITS_OLD = [
  'cloud-init-local.service',
  'cloud-init.service',
  'cloud-config.service',
  'cloud-final.service',
];
const UNITS_NEW = [
  'cloud-init-main.service',
  'cloud-init-local.service',
  'cloud-init-network.service',
  'cloud-config.service',
  'cloud-final.service',
];
/** The SysV/OpenRC script names (Alpine, older Debian). */
const SCRIPTS = ['cloud-init-local', 'cloud-init', 'cloud-config', 'cloud-final'];
/** cloud.cfg.d files merged at most. */
const MAX_CFG_FILES = 256;

const where = Type.Object({ path: Nullable(Type.String()), line: Nullable(Type.Integer()) });
export type Where = Static<typeof where>;

const problem = Type.Object({ reason: Type.String(), path: Type.String(), line: Nullable(Type.Integer()) });
export type Problem = Static<typeof problem>;

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** cloud-init's merge of config files: dicts recursively, later wins, everything else replaced. */
export function mergeConfig(base: Json, over: Json, depth = 0): Json {
  if (depth > 32)
    throw new FormatError('cloud-init/config-too-deep', 'cloud-init configuration nests deeper than 32', {
      data: { cap: 32 },
    });
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObj(b) && isObj(v) ? mergeConfig(b, v, depth + 1) : v;
  }
  return out;
}

function falsy(v: unknown): boolean {
  return v === false || (typeof v === 'string' && ['false', 'off', 'no', '0'].includes(v.toLowerCase()));
}

function moduleNames(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((m) => (Array.isArray(m) ? String(m[0]) : isObj(m) ? String(m.name ?? '') : String(m)))
    .map((n) => n.replace(/^cc_/, ''));
}

/** Reads and merges cloud.cfg and cloud.cfg.d; remembers where each top-level key was last set. */
export async function readCloudConfig(
  tree: GuestTreeV2,
): Promise<{ config: Json; files: string[]; where: Map<string, { path: string; line: number }> }> {
  const files: string[] = [];
  const where = new Map<string, { path: string; line: number }>();
  let config: Json = {};
  const dropins = await globConfig(tree, '/etc/cloud/cloud.cfg.d/*.cfg');
  if (dropins.length > MAX_CFG_FILES) {
    throw new FormatError('cloud-init/too-many-files', `${dropins.length} files in /etc/cloud/cloud.cfg.d`, {
      data: { cap: MAX_CFG_FILES },
    });
  }
  for (const path of [CLOUD_CFG, ...dropins]) {
    const text = await readOptional(tree, path);
    if (text === undefined) continue;
    files.push(path);
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false });
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new FormatError(
        'cloud-init/bad-yaml',
        `${path}: ${e?.message.split('\n')[0] ?? 'invalid YAML'}`,
        {
          data: { path, line: e?.linePos?.[0]?.line },
        },
      );
    }
    let js: unknown;
    try {
      js = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // The yaml package refuses an alias bomb with a plain ReferenceError: damage, not a bug.
      throw new FormatError('cloud-init/bad-yaml', `${path}: ${(err as Error).message}`, {
        data: { path },
        cause: err,
      });
    }
    if (!isObj(js)) continue;
    if (isMap(doc.contents)) {
      for (const pair of doc.contents.items) {
        if (!isScalar(pair.key)) continue;
        const r = pair.key.range;
        // Nested keys are recorded as `key.sub` so that `network.config` can point at its own line.
        where.set(String(pair.key.value), { path, line: r ? lc.linePos(r[0]).line : 1 });
        if (isMap(pair.value)) {
          for (const sub of pair.value.items) {
            if (!isScalar(sub.key)) continue;
            const sr = sub.key.range;
            where.set(`${String(pair.key.value)}.${String(sub.key.value)}`, {
              path,
              line: sr ? lc.linePos(sr[0]).line : 1,
            });
          }
        }
      }
    }
    config = mergeConfig(config, js);
  }
  return { config, files, where };
}

async function firstExisting(tree: GuestTreeV2, paths: readonly string[]): Promise<string | null> {
  for (const p of paths) if (await pathExists(tree, p)) return p;
  return null;
}

export const cloudInitFact = defineFact({
  id: 'linux.cloudInit',
  version: '1.0.0',
  description:
    'cloud-init: installed (executable and Python package), version, units enabled, disabled by file or kernel command line, merged cloud.cfg(.d) settings for network, growpart and resize_rootfs; other first-boot growers (growroot in the initramfs, systemd-repart, systemd-growfs), and whether the root grows on first boot.',
  schema: Type.Object({
    installed: Type.Boolean(),
    executable: Nullable(Type.String()),
    pythonPackage: Nullable(Type.String()),
    version: Nullable(Type.String()),
    initSystem: Type.Enum(['systemd', 'sysvinit-or-openrc']),
    units: Type.Array(
      Type.Object({
        name: Type.String(),
        present: Type.Boolean(),
        enabled: Type.Boolean(),
        masked: Type.Boolean(),
        via: Nullable(Type.String()),
      }),
    ),
    unitsEnabled: Type.Boolean(),
    notEnabledUnits: Type.Array(Type.String()),
    disabledBy: Nullable(Type.Enum(['file', 'cmdline'])),
    disabledWhere: where,
    kernelCmdline: Nullable(
      Type.String({
        description:
          "Default kernel's command line from `linux.kernels`; null when that fact is unavailable.",
      }),
    ),
    configFiles: Type.Array(Type.String()),
    active: Type.Boolean(),
    rendersNetwork: Type.Boolean(),
    networkConfigDisabled: Type.Boolean(),
    networkConfigWhere: where,
    growpart: Type.Object({
      listed: Type.Boolean(),
      mode: Type.String(),
      devices: Type.Array(Type.String()),
      where,
      enabled: Type.Boolean(),
    }),
    resizeRootfs: Type.Object({
      listed: Type.Boolean(),
      value: Type.String(),
      where,
      enabled: Type.Boolean(),
    }),
    growroot: Type.Object({
      growpartBinary: Nullable(Type.String()),
      initramfsTools: Nullable(Type.String()),
      dracut: Nullable(Type.String()),
      systemdRepart: Nullable(Type.String()),
      systemdGrowfs: Nullable(Type.String()),
    }),
    onlineResize: Type.Object({
      ok: Type.Boolean(),
      by: Type.Array(Type.String()),
      problems: Type.Array(problem),
    }),
  }),
});

export type CloudInitFact = FactValue<typeof cloudInitFact>;

const NOWHERE: Where = { path: null, line: null };

export const cloudInitCollector = defineCollector(
  cloudInitFact,
  async (ctx): Promise<FactResult<CloudInitFact>> => {
    const g = ctx.guest;
    if (g === undefined) return noGuest('linux.cloudInit');
    const evidence: Evidence[] = [];

    const executable = (await isExecutable(g, '/usr/bin/cloud-init')) ? '/usr/bin/cloud-init' : null;
    // Python 2.7 too: CentOS/RHEL 7 ship cloud-init in /usr/lib/python2.7/site-packages.
    const pkgDirs = [
      ...(await globConfig(g, '/usr/lib/python3*/{site,dist}-packages/cloudinit')),
      ...(await globConfig(g, '/usr/lib64/python3*/site-packages/cloudinit')),
      ...(await globConfig(g, '/usr/lib/python2.7/{site,dist}-packages/cloudinit')),
    ];
    const pythonPackage = pkgDirs[0] ?? null;
    const installed = executable !== null && pythonPackage !== null;
    let version: string | null = null;
    if (pythonPackage !== null) {
      const v = await readOptional(g, `${pythonPackage}/version.py`, 64 * 1024);
      version = v === undefined ? null : (/__VERSION__\s*=\s*["']([^"']+)["']/.exec(v)?.[1] ?? null);
    }
    if (executable !== null) evidence.push(fileEvidence(executable));
    if (pythonPackage !== null)
      evidence.push(
        fileEvidence(
          pythonPackage,
          undefined,
          undefined,
          version === null ? undefined : `version ${version}`,
        ),
      );

    // Units: the generation whose files exist; SysV/OpenRC scripts when the guest has no systemd.
    const systemd = await hasSystemd(g);
    let units: CloudInitFact['units'];
    if (systemd) {
      const main = await serviceState(g, 'cloud-init-main.service');
      const names = main.present ? UNITS_NEW : UNITS_OLD;
      units = await Promise.all(
        names.map(async (name) => {
          const s = await serviceState(g, name);
          return { name, present: s.present, enabled: s.enabled, masked: s.masked, via: s.via };
        }),
      );
    } else {
      units = await Promise.all(
        SCRIPTS.map(async (name) => {
          const s = await serviceState(g, `${name}.service`, name);
          return { name, present: s.present, enabled: s.enabled, masked: s.masked, via: s.via };
        }),
      );
    }
    const notEnabledUnits = units.filter((u) => !u.enabled).map((u) => u.name);
    const unitsEnabled = installed && notEnabledUnits.length === 0;
    for (const u of units)
      if (u.via !== null)
        evidence.push(
          fileEvidence(u.via, undefined, undefined, `${u.name} ${u.enabled ? 'enabled' : 'masked'}`),
        );

    // Disabled: the marker file, or the default kernel's command line.
    const kernels = await ctx.fact(kernelsFact);
    const kernelCmdline = kernels.status === 'ok' ? (kernels.value.default?.cmdline ?? null) : null;
    let disabledBy: CloudInitFact['disabledBy'] = null;
    let disabledWhere: Where = NOWHERE;
    if (await pathExists(g, DISABLED_FILE)) {
      disabledBy = 'file';
      disabledWhere = { path: DISABLED_FILE, line: null };
      evidence.push(fileEvidence(DISABLED_FILE, undefined, undefined, 'cloud-init disabled'));
    } else if (kernelCmdline?.split(/\s+/).includes('cloud-init=disabled')) {
      disabledBy = 'cmdline';
      const src = kernels.status === 'ok' ? kernels.evidence.find((e) => e.kind === 'file') : undefined;
      disabledWhere = { path: src?.path ?? null, line: src?.line ?? null };
      evidence.push(...(src ? [src] : []));
    }

    const { config, files, where } = await readCloudConfig(g);
    const at = (key: string): Where => {
      const w = where.get(key);
      return w === undefined ? NOWHERE : { path: w.path, line: w.line };
    };
    const modules = new Set([
      ...moduleNames(config.cloud_init_modules),
      ...moduleNames(config.cloud_config_modules),
      ...moduleNames(config.cloud_final_modules),
    ]);

    const net = config.network;
    const networkConfigDisabled = isObj(net) && net.config === 'disabled';
    const active = installed && unitsEnabled && disabledBy === null;

    const gp = isObj(config.growpart) ? config.growpart : {};
    const gpMode = gp.mode === undefined ? 'auto' : falsy(gp.mode) ? 'off' : String(gp.mode);
    const gpDevices = Array.isArray(gp.devices) ? gp.devices.map(String) : ['/'];
    const growpartListed = modules.has('growpart');
    const rr = config.resize_rootfs;
    const rrValue = rr === undefined ? 'true' : String(rr);
    const resizeListed = modules.has('resizefs') || modules.has('resize_rootfs');

    // Other growers.
    const growpartBinary = await firstExisting(g, [
      '/usr/bin/growpart',
      '/usr/sbin/growpart',
      '/bin/growpart',
    ]);
    const initramfsTools = await firstExisting(g, [
      '/usr/share/initramfs-tools/scripts/local-bottom/growroot',
      '/usr/share/initramfs-tools/scripts/init-premount/growroot',
      '/etc/initramfs-tools/scripts/local-bottom/growroot',
    ]);
    const dracut = (await globConfig(g, '/usr/lib/dracut/modules.d/*growroot*'))[0] ?? null;
    const repartConfs = [
      ...(await globConfig(g, '/etc/repart.d/*.conf')),
      ...(await globConfig(g, '/usr/lib/repart.d/*.conf')),
    ];
    const repartBin = await firstExisting(g, ['/usr/bin/systemd-repart', '/bin/systemd-repart']);
    const systemdRepart = repartBin !== null && repartConfs.length > 0 ? (repartConfs[0] ?? null) : null;
    let systemdGrowfs: string | null = null;
    const fstab = await ctx.fact(fstabFact);
    if (fstab.status === 'ok') {
      const root = fstab.value.entries.find(
        (e) => e.mountpoint === '/' && e.options.includes('x-systemd.growfs'),
      );
      if (root !== undefined) systemdGrowfs = `/etc/fstab:${root.line}`;
    }

    const problems: Problem[] = [];
    const viaCloudInit = (() => {
      if (!installed) {
        problems.push({
          reason: 'cloud-init is not installed',
          path: executable ?? '/usr/bin/cloud-init',
          line: null,
        });
        return false;
      }
      const before = problems.length;
      if (disabledBy !== null)
        problems.push({
          reason: `cloud-init is disabled by ${disabledBy === 'file' ? DISABLED_FILE : 'cloud-init=disabled on the kernel command line'}`,
          path: disabledWhere.path ?? DISABLED_FILE,
          line: disabledWhere.line,
        });
      if (!unitsEnabled)
        problems.push({
          reason: `cloud-init units not enabled: ${notEnabledUnits.join(', ')}`,
          path: '/etc/systemd/system',
          line: null,
        });
      if (!growpartListed)
        problems.push({
          reason: 'the growpart module is not in cloud_init_modules (or the config or final modules)',
          path: at('cloud_init_modules').path ?? CLOUD_CFG,
          line: at('cloud_init_modules').line,
        });
      if (gpMode === 'off')
        problems.push({
          reason: 'growpart mode is off',
          path: at('growpart.mode').path ?? at('growpart').path ?? CLOUD_CFG,
          line: at('growpart.mode').line ?? at('growpart').line,
        });
      if (!gpDevices.includes('/'))
        problems.push({
          reason: `growpart devices ${JSON.stringify(gpDevices)} do not include /`,
          path: at('growpart.devices').path ?? CLOUD_CFG,
          line: at('growpart.devices').line,
        });
      if (growpartBinary === null && gpMode !== 'off' && gpMode !== 'gpart')
        problems.push({
          reason: 'the growpart tool is missing (package cloud-guest-utils or cloud-utils-growpart)',
          path: '/usr/bin/growpart',
          line: null,
        });
      if (!resizeListed)
        problems.push({
          reason: 'the resizefs module is not in cloud_init_modules',
          path: at('cloud_init_modules').path ?? CLOUD_CFG,
          line: at('cloud_init_modules').line,
        });
      if (falsy(rr))
        problems.push({
          reason: `resize_rootfs is ${rrValue}`,
          path: at('resize_rootfs').path ?? CLOUD_CFG,
          line: at('resize_rootfs').line,
        });
      return problems.length === before;
    })();
    const by: string[] = [];
    if (viaCloudInit) by.push('cloud-init');
    if (initramfsTools !== null && growpartBinary !== null) by.push('initramfs-tools growroot');
    if (dracut !== null) by.push('dracut growroot');
    if (systemdRepart !== null) by.push('systemd-repart');
    if (systemdGrowfs !== null) by.push('systemd-growfs');
    const ok = by.length > 0;

    return {
      status: 'ok',
      value: {
        installed,
        executable,
        pythonPackage,
        version,
        initSystem: systemd ? 'systemd' : 'sysvinit-or-openrc',
        units,
        unitsEnabled,
        notEnabledUnits,
        disabledBy,
        disabledWhere,
        kernelCmdline,
        configFiles: files,
        active,
        rendersNetwork: active && !networkConfigDisabled,
        networkConfigDisabled,
        networkConfigWhere: networkConfigDisabled ? at('network.config') : NOWHERE,
        growpart: {
          listed: growpartListed,
          mode: gpMode,
          devices: gpDevices,
          where: at('growpart'),
          enabled: growpartListed && gpMode !== 'off' && gpDevices.includes('/'),
        },
        resizeRootfs: {
          listed: resizeListed,
          value: rrValue,
          where: at('resize_rootfs'),
          enabled: resizeListed && !falsy(rr),
        },
        growroot: { growpartBinary, initramfsTools, dracut, systemdRepart, systemdGrowfs },
        onlineResize: { ok, by, problems: ok ? [] : problems },
      },
      evidence: [...evidence, ...files.map((f) => fileEvidence(f))],
    };
  },
);
