import type { RegKey } from '@imagecheck/formats';
import {
  type CollectContext,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  type GuestTreeV2,
  Nullable,
  type Static,
  Type,
} from '@imagecheck/sdk';
import { numberOf, regEvidence, stringOf, stringsOf } from '../registry.js';
import { fileEvidence, fileExists, guarded, guestPathOf, requireControlSet, windowsGuest } from './common.js';

/** A service (or driver) key of CurrentControlSet\Services, and whether its image file exists. */
export const serviceSchema = Type.Object(
  {
    name: Type.String(),
    present: Type.Boolean(),
    start: Nullable(
      Type.Integer({
        description: '0 boot, 1 system, 2 automatic, 3 manual (on demand), 4 disabled; null when absent.',
      }),
    ),
    type: Nullable(
      Type.Integer({
        description: '1 kernel driver, 2 filesystem driver, 0x10/0x20 Win32 service; null when absent.',
      }),
    ),
    group: Nullable(Type.String()),
    imagePath: Nullable(Type.String()),
    file: Nullable(
      Type.String({
        description:
          'The guest path of its image (ImagePath, or `System32\\drivers\\<name>.sys` for a driver without one).',
      }),
    ),
    fileExists: Type.Boolean(),
  },
  {
    description:
      'A service (or driver) key of CurrentControlSet\\Services, and whether its image file exists.',
  },
);

export type ServiceState = Static<typeof serviceSchema>;

export async function serviceState(
  tree: GuestTreeV2,
  systemRoot: string,
  services: RegKey | null,
  name: string,
  defaultFile?: string,
): Promise<ServiceState> {
  const key = services?.subkey(name) ?? null;
  const num = (n: string) => {
    const v = key?.value(n);
    return v ? numberOf(v) : null;
  };
  const imagePath = stringOf(key?.value('ImagePath'));
  const type = num('Type');
  const driver = type === 1 || type === 2;
  const file =
    imagePath !== null
      ? guestPathOf(imagePath, systemRoot)
      : key !== null && driver
        ? `${systemRoot}/System32/drivers/${name}.sys`
        : (defaultFile ?? null);
  return {
    name,
    present: key !== null,
    start: num('Start'),
    type,
    group: stringOf(key?.value('Group')),
    imagePath,
    file,
    fileExists: file === null ? false : await fileExists(tree, file),
  };
}

function serviceEvidence(ccs: string, s: ServiceState): Evidence[] {
  const key = `${ccs}\\Services\\${s.name}`;
  if (!s.present) return [regEvidence('SYSTEM', key, undefined, undefined, 'absent')];
  return [
    regEvidence('SYSTEM', key, 'Start', undefined, `Start ${s.start ?? 'absent'}`),
    ...(s.file ? [fileEvidence(s.file, s.fileExists ? 'present' : 'absent')] : []),
  ];
}

// ---- windows.virtio ----------------------------------------------------------------------------

export const virtioFact = defineFact({
  id: 'windows.virtio',
  version: '1.0.0',
  description:
    'The virtio drivers of the guest: the service keys viostor (virtio-blk), vioscsi (virtio-scsi) and netkvm (virtio-net) of CurrentControlSet\\Services (Start, Type, Group, ImagePath) and whether each driver file exists.',
  schema: Type.Object({
    viostor: serviceSchema,
    vioscsi: serviceSchema,
    netkvm: serviceSchema,
    controlSet: Type.String(),
  }),
});

/** Value of `windows.virtio`. */
export type WindowsVirtio = FactValue<typeof virtioFact>;

async function collectVirtio(ctx: CollectContext): Promise<FactResult<WindowsVirtio>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsVirtio>(async () => {
    const s = await requireControlSet(w);
    if (!s.ok) return s.result;
    const services = s.ccs.key.subkey('Services');
    const driver = (n: string) =>
      serviceState(w.tree, w.systemRoot, services, n, `${w.systemRoot}/System32/drivers/${n}.sys`);
    const [viostor, vioscsi, netkvm] = await Promise.all([
      driver('viostor'),
      driver('vioscsi'),
      driver('netkvm'),
    ]);
    return {
      status: 'ok',
      value: { viostor, vioscsi, netkvm, controlSet: s.ccs.name },
      evidence: [viostor, vioscsi, netkvm].flatMap((x) => serviceEvidence(s.ccs.name, x)),
    };
  });
}

export const virtioCollector = defineCollector(virtioFact, collectVirtio);

// ---- windows.xen -------------------------------------------------------------------------------

/**
 * Xen PV driver services: the XCP-ng/Citrix drivers (win-xenbus, win-xenvbd... INF files),
 * the old GPLPV drivers (xenpci, xenscsi...) and Red Hat's xenpv (rhelscsi, which virt-v2v
 * disables).
 */
export const XEN_SERVICES = [
  'xenbus',
  'xenfilt',
  'xenvbd',
  'xendisk',
  'xennet',
  'xenvif',
  'xeniface',
  'xenpci',
  'xenscsi',
  'xenvbd_filter',
  'xenhide',
  'rhelscsi',
] as const;

/** Device setup classes whose Upper/LowerFilters Xen drivers add themselves to (xenbus filters.c, GPLPV). */
export const FILTER_CLASSES: Record<string, string> = {
  '{4d36e97d-e325-11ce-bfc1-08002be10318}': 'System',
  '{4d36e96a-e325-11ce-bfc1-08002be10318}': 'HDC',
  '{4d36e967-e325-11ce-bfc1-08002be10318}': 'DiskDrive',
  '{4d36e97b-e325-11ce-bfc1-08002be10318}': 'SCSIAdapter',
  '{4d36e972-e325-11ce-bfc1-08002be10318}': 'Net',
};

const filterList = Type.Enum(['UpperFilters', 'LowerFilters']);

export const xenFact = defineFact({
  id: 'windows.xen',
  version: '1.0.0',
  description:
    'Xen PV drivers left in the guest: the Xen service keys present in CurrentControlSet\\Services (xenbus, xenfilt, xenvbd, xendisk, xennet, xenvif, xeniface, GPLPV xenpci/xenscsi, Red Hat rhelscsi) with Start and file, Xen drivers named in the UpperFilters/LowerFilters of the System, HDC, DiskDrive, SCSIAdapter and Net classes, and XenPCI\\Parameters\\hide_devices.',
  schema: Type.Object({
    services: Type.Array(serviceSchema, {
      description: 'Xen services that exist in CurrentControlSet\\Services.',
    }),
    classFilters: Type.Array(
      Type.Object({
        class: Type.String(),
        guid: Type.String(),
        list: filterList,
        driver: Type.String(),
      }),
      { description: 'Xen drivers listed in device class filters.' },
    ),
    hideDevices: Nullable(
      Type.String({
        description:
          '`Services\\XenPCI\\Parameters\\hide_devices`, which hides emulated (and virtio) devices; null when absent or empty.',
      }),
    ),
    controlSet: Type.String(),
  }),
});

/** Value of `windows.xen`. */
export type WindowsXen = FactValue<typeof xenFact>;

async function collectXen(ctx: CollectContext): Promise<FactResult<WindowsXen>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsXen>(async () => {
    const s = await requireControlSet(w);
    if (!s.ok) return s.result;
    const ccs = s.ccs.name;
    const services = s.ccs.key.subkey('Services');
    const present: ServiceState[] = [];
    for (const n of XEN_SERVICES) {
      const st = await serviceState(w.tree, w.systemRoot, services, n);
      if (st.present) present.push(st);
    }
    const evidence: Evidence[] = present.flatMap((x) => serviceEvidence(ccs, x));
    const classFilters: WindowsXen['classFilters'][number][] = [];
    const classRoot = s.ccs.key.subkey('Control')?.subkey('Class') ?? null;
    for (const [guid, cls] of Object.entries(FILTER_CLASSES)) {
      const k = classRoot?.subkey(guid) ?? null;
      if (k === null) continue;
      for (const list of ['UpperFilters', 'LowerFilters'] as const) {
        const v = k.value(list);
        for (const driver of stringsOf(v)) {
          if (/^xen/i.test(driver) || /^rhel/i.test(driver)) {
            classFilters.push({ class: cls, guid, list, driver });
            evidence.push(regEvidence('SYSTEM', `${ccs}\\Control\\Class\\${guid}`, list, v));
          }
        }
      }
    }
    const hv = services?.subkey('XenPCI')?.subkey('Parameters')?.value('hide_devices') ?? null;
    const hide = stringsOf(hv).join(', ');
    if (hv) evidence.push(regEvidence('SYSTEM', `${ccs}\\Services\\XenPCI\\Parameters`, 'hide_devices', hv));
    return {
      status: 'ok',
      value: { services: present, classFilters, hideDevices: hide === '' ? null : hide, controlSet: ccs },
      evidence:
        evidence.length > 0
          ? evidence
          : [regEvidence('SYSTEM', `${ccs}\\Services`, undefined, undefined, 'no Xen service')],
    };
  });
}

export const xenCollector = defineCollector(xenFact, collectXen);

// ---- windows.cloudAssistant --------------------------------------------------------------------

export const cloudAssistantFact = defineFact({
  id: 'windows.cloudAssistant',
  version: '1.0.0',
  description:
    "The vendor's Cloud Assistant agent: the AliyunService service key of CurrentControlSet\\Services (Start, ImagePath) and whether its executable exists.",
  schema: Type.Object({ service: serviceSchema }),
});

/** Value of `windows.cloudAssistant`: the Alibaba Cloud Assistant service. */
export type WindowsCloudAssistant = FactValue<typeof cloudAssistantFact>;

async function collectCloudAssistant(ctx: CollectContext): Promise<FactResult<WindowsCloudAssistant>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsCloudAssistant>(async () => {
    const s = await requireControlSet(w);
    if (!s.ok) return s.result;
    const service = await serviceState(w.tree, w.systemRoot, s.ccs.key.subkey('Services'), 'AliyunService');
    return { status: 'ok', value: { service }, evidence: serviceEvidence(s.ccs.name, service) };
  });
}

export const cloudAssistantCollector = defineCollector(cloudAssistantFact, collectCloudAssistant);

// ---- windows.storageDrivers --------------------------------------------------------------------

/** Storage device classes whose Upper/LowerFilters sit on the path to the boot disk. */
export const STORAGE_CLASSES: Record<string, string> = {
  '{4d36e967-e325-11ce-bfc1-08002be10318}': 'DiskDrive',
  '{4d36e97b-e325-11ce-bfc1-08002be10318}': 'SCSIAdapter',
  '{71a27cdd-812a-11d0-bec7-08002be2092f}': 'Volume',
  '{4d36e96a-e325-11ce-bfc1-08002be10318}': 'HDC',
};

/** Services looked at, at most (a Windows 10 SYSTEM hive has about 700). */
const MAX_SERVICES = 8192;

export const storageDriversFact = defineFact({
  id: 'windows.storageDrivers',
  version: '1.0.0',
  description:
    'The drivers on the path to the boot disk: how many boot-start (Start 0) kernel and filesystem drivers CurrentControlSet\\Services registers and which of them lack their image file, and every UpperFilters/LowerFilters entry of the DiskDrive, SCSIAdapter, Volume and HDC device classes with the service it names (present, Start, file).',
  schema: Type.Object({
    controlSet: Type.String(),
    bootStartCount: Type.Integer({
      minimum: 0,
      description: 'Boot-start (Start 0) kernel and filesystem drivers registered.',
    }),
    bootStartMissing: Type.Array(serviceSchema, { description: 'Those whose image file is absent.' }),
    classFilters: Type.Array(
      Type.Object({
        class: Type.String(),
        guid: Type.String(),
        list: filterList,
        driver: Type.String(),
        service: serviceSchema,
      }),
      { description: "Every entry of the storage classes' filters, with the service it names." },
    ),
  }),
});

/** Value of `windows.storageDrivers`. */
export type WindowsStorageDrivers = FactValue<typeof storageDriversFact>;

async function collectStorageDrivers(ctx: CollectContext): Promise<FactResult<WindowsStorageDrivers>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsStorageDrivers>(async () => {
    const s = await requireControlSet(w);
    if (!s.ok) return s.result;
    const ccs = s.ccs.name;
    const services = s.ccs.key.subkey('Services');
    const evidence: Evidence[] = [];
    let bootStartCount = 0;
    const bootStartMissing: ServiceState[] = [];
    for (const key of (services?.subkeys() ?? []).slice(0, MAX_SERVICES)) {
      const start = key.value('Start');
      const type = key.value('Type');
      if (!start || numberOf(start) !== 0 || !type || ![1, 2].includes(numberOf(type) ?? -1)) continue;
      bootStartCount++;
      const st = await serviceState(w.tree, w.systemRoot, services, key.name);
      if (!st.fileExists) {
        bootStartMissing.push(st);
        evidence.push(...serviceEvidence(ccs, st));
      }
    }
    const classFilters: WindowsStorageDrivers['classFilters'][number][] = [];
    const classRoot = s.ccs.key.subkey('Control')?.subkey('Class') ?? null;
    for (const [guid, cls] of Object.entries(STORAGE_CLASSES)) {
      const k = classRoot?.subkey(guid) ?? null;
      for (const list of ['UpperFilters', 'LowerFilters'] as const) {
        const v = k?.value(list) ?? null;
        for (const driver of stringsOf(v)) {
          const service = await serviceState(w.tree, w.systemRoot, services, driver);
          classFilters.push({ class: cls, guid, list, driver, service });
          evidence.push(regEvidence('SYSTEM', `${ccs}\\Control\\Class\\${guid}`, list, v));
          if (!service.present || !service.fileExists) evidence.push(...serviceEvidence(ccs, service));
        }
      }
    }
    return {
      status: 'ok',
      value: { controlSet: ccs, bootStartCount, bootStartMissing, classFilters },
      evidence:
        evidence.length > 0
          ? evidence
          : [
              regEvidence(
                'SYSTEM',
                `${ccs}\\Services`,
                undefined,
                undefined,
                `${bootStartCount} boot-start drivers, all with their files`,
              ),
            ],
    };
  });
}

export const storageDriversCollector = defineCollector(storageDriversFact, collectStorageDrivers);
