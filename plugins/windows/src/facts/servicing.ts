import {
  type CollectContext,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  isAbsent,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { numberOf, regEvidence, stringsOf } from '../registry.js';
import { fileEvidence, fileExists, guarded, requireControlSet, requireHive, windowsGuest } from './common.js';
import { serviceSchema, serviceState } from './services.js';
import { versionFact } from './version.js';

const CBS = 'Microsoft\\Windows\\CurrentVersion\\Component Based Servicing';
const WU = 'Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update';

// ---- windows.pending ---------------------------------------------------------------------------

export const pendingFact = defineFact({
  id: 'windows.pending',
  version: '1.0.0',
  description:
    'Servicing left for the next boot: the WindowsUpdate RebootRequired key, the Component Based Servicing RebootPending / RebootInProgress / PackagesPending keys, Session Manager PendingFileRenameOperations(2), WinSxS\\pending.xml, and on Windows 6.0/6.1 the CBS packages of the SHA-2 code signing update KB4474419 with their CurrentState.',
  schema: Type.Object({
    updateRebootRequired: Type.Boolean({
      description: 'SOFTWARE ...\\WindowsUpdate\\Auto Update\\RebootRequired key.',
    }),
    cbsRebootPending: Type.Boolean({
      description: 'SOFTWARE ...\\Component Based Servicing\\RebootPending key.',
    }),
    cbsRebootInProgress: Type.Boolean(),
    cbsPackagesPending: Type.Boolean(),
    pendingFileRenames: Type.Array(Type.String(), {
      description:
        'CurrentControlSet\\Control\\Session Manager PendingFileRenameOperations(2): their non-empty entries (sources and destinations).',
    }),
    pendingXml: Type.Boolean({
      description:
        '%SystemRoot%\\WinSxS\\pending.xml: a component store transaction waiting for the next boot.',
    }),
    sha2: Type.Object(
      {
        needed: Type.Boolean(),
        installed: Type.Array(Type.String()),
        packages: Type.Array(Type.String()),
      },
      {
        description:
          'SHA-2 code signing support (KB4474419) on Windows 6.0 and 6.1, which the SHA-2 signed virtio drivers need: `needed` is true on those versions; `installed` lists the CBS packages of KB4474419 whose CurrentState is 0x70 (Installed) or more.',
      },
    ),
  }),
});

/** Value of `windows.pending`: servicing work Windows left for the next boot. */
export type WindowsPending = FactValue<typeof pendingFact>;

/** CBS CurrentState 0x70: Installed (0x80 Permanent); "CBS Servicing States Chart". */
const CBS_INSTALLED = 0x70;
const MAX_RENAMES = 50;

async function collectPending(ctx: CollectContext): Promise<FactResult<WindowsPending>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsPending>(async () => {
    const soft = await requireHive(w, 'SOFTWARE');
    if (!soft.ok) return soft.result;
    const s = await requireControlSet(w);
    if (!s.ok) return s.result;
    const evidence: Evidence[] = [];
    const key = (path: string) => {
      const present = soft.hive.key(path) !== null;
      if (present) evidence.push(regEvidence('SOFTWARE', path, undefined, undefined, 'present'));
      return present;
    };
    const sm = `${s.ccs.name}\\Control\\Session Manager`;
    const renames: string[] = [];
    for (const name of ['PendingFileRenameOperations', 'PendingFileRenameOperations2']) {
      const v = s.hive.key(sm)?.value(name) ?? null;
      if (v === null) continue;
      // Pairs of source and destination (an empty destination deletes); the non-empty entries are kept.
      for (const e of stringsOf(v)) if (renames.length < MAX_RENAMES) renames.push(e);
      evidence.push(regEvidence('SYSTEM', sm, name, v));
    }
    const pendingXmlPath = `${w.systemRoot}/WinSxS/pending.xml`;
    const pendingXml = await fileExists(w.tree, pendingXmlPath);
    if (pendingXml) evidence.push(fileEvidence(pendingXmlPath, 'present'));
    const ver = await ctx.fact(versionFact);
    const majorMinor = ver.status === 'ok' ? ver.value.majorMinor : null;
    const needed = majorMinor === '6.0' || majorMinor === '6.1';
    const packages: string[] = [];
    const installed: string[] = [];
    if (needed) {
      const pk = soft.hive.key(`${CBS}\\Packages`);
      for (const name of pk?.subkeyNames() ?? []) {
        if (!/^Package_for_KB4474419~/i.test(name)) continue;
        packages.push(name);
        const v = pk?.subkey(name)?.value('CurrentState') ?? null;
        const state = v ? numberOf(v) : null;
        if (state !== null && state >= CBS_INSTALLED) installed.push(name);
        evidence.push(regEvidence('SOFTWARE', `${CBS}\\Packages\\${name}`, 'CurrentState', v));
      }
      if (packages.length === 0)
        evidence.push(
          regEvidence('SOFTWARE', `${CBS}\\Packages`, undefined, undefined, 'no KB4474419 package'),
        );
    }
    return {
      status: 'ok',
      value: {
        updateRebootRequired: key(`${WU}\\RebootRequired`),
        cbsRebootPending: key(`${CBS}\\RebootPending`),
        cbsRebootInProgress: key(`${CBS}\\RebootInProgress`),
        cbsPackagesPending: key(`${CBS}\\PackagesPending`),
        pendingFileRenames: renames,
        pendingXml,
        sha2: { needed, installed, packages },
      },
      evidence,
    };
  });
}

export const pendingCollector = defineCollector(pendingFact, collectPending);

// ---- windows.deviceInstall ---------------------------------------------------------------------

export const deviceInstallFact = defineFact({
  id: 'windows.deviceInstall',
  version: '1.0.0',
  description:
    "Whether Windows can install drivers for the cloud's devices: DeviceInstallDisabled (Services\\DeviceInstall\\Parameters, or Services\\PlugPlay\\Parameters before 2016), the non-zero device installation restriction policies (SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions), and the PlugPlay and DeviceInstall services.",
  schema: Type.Object({
    deviceInstallDisabled: Nullable(
      Type.Integer({
        description:
          'DeviceInstallDisabled under Services\\DeviceInstall\\Parameters (2016+) or Services\\PlugPlay\\Parameters.',
      }),
    ),
    restrictions: Type.Array(Type.String(), {
      description:
        'Non-zero values of SOFTWARE\\Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions (DenyUnspecified...).',
    }),
    plugPlay: serviceSchema,
    deviceInstall: serviceSchema,
  }),
});

/** Value of `windows.deviceInstall`: what lets Windows install drivers for new devices. */
export type WindowsDeviceInstall = FactValue<typeof deviceInstallFact>;

const RESTRICTIONS = 'Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions';

async function collectDeviceInstall(ctx: CollectContext): Promise<FactResult<WindowsDeviceInstall>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsDeviceInstall>(async () => {
    const s = await requireControlSet(w);
    if (!s.ok) return s.result;
    const evidence: Evidence[] = [];
    const services = s.ccs.key.subkey('Services');
    let disabled: number | null = null;
    for (const svc of ['DeviceInstall', 'PlugPlay']) {
      const v = services?.subkey(svc)?.subkey('Parameters')?.value('DeviceInstallDisabled') ?? null;
      if (v === null) continue;
      const n = numberOf(v);
      evidence.push(
        regEvidence('SYSTEM', `${s.ccs.name}\\Services\\${svc}\\Parameters`, 'DeviceInstallDisabled', v),
      );
      if (n !== null && (disabled === null || n !== 0)) disabled = n;
    }
    const restrictions: string[] = [];
    const soft = await requireHive(w, 'SOFTWARE');
    const rk = soft.ok ? soft.hive.key(RESTRICTIONS) : null;
    for (const v of rk?.values() ?? []) {
      const n = numberOf(v);
      if (n !== null && n !== 0) {
        restrictions.push(v.name);
        evidence.push(regEvidence('SOFTWARE', RESTRICTIONS, v.name, v));
      }
    }
    const plugPlay = await serviceState(w.tree, w.systemRoot, services, 'PlugPlay');
    const deviceInstall = await serviceState(w.tree, w.systemRoot, services, 'DeviceInstall');
    evidence.push(
      regEvidence(
        'SYSTEM',
        `${s.ccs.name}\\Services\\PlugPlay`,
        'Start',
        undefined,
        `Start ${plugPlay.start ?? 'absent'}`,
      ),
    );
    return {
      status: 'ok',
      value: { deviceInstallDisabled: disabled, restrictions, plugPlay, deviceInstall },
      evidence,
    };
  });
}

export const deviceInstallCollector = defineCollector(deviceInstallFact, collectDeviceInstall);

// ---- windows.publicDesktop ---------------------------------------------------------------------

export const publicDesktopFact = defineFact({
  id: 'windows.publicDesktop',
  version: '1.0.0',
  description:
    "Whether the public desktop's folder settings file, Users\\Public\\Desktop\\desktop.ini, exists on C:.",
  schema: Type.Object({
    path: Type.String(),
    desktopIni: Type.Boolean({ description: '`Users\\Public\\Desktop\\desktop.ini` exists.' }),
  }),
});

/** Value of `windows.publicDesktop`. */
export type WindowsPublicDesktop = FactValue<typeof publicDesktopFact>;

async function collectPublicDesktop(ctx: CollectContext): Promise<FactResult<WindowsPublicDesktop>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsPublicDesktop>(async () => {
    const path = '/Users/Public/Desktop/desktop.ini';
    let present = false;
    try {
      present = (await w.tree.stat(path)).type === 'file';
    } catch (err) {
      if (!isAbsent(err)) throw err;
    }
    return {
      status: 'ok',
      value: { path, desktopIni: present },
      evidence: [fileEvidence(path, present ? 'present' : 'absent')],
    };
  });
}

export const publicDesktopCollector = defineCollector(publicDesktopFact, collectPublicDesktop);
