import type { RegKey } from '@imagecheck/formats';
import type {
  CollectContext,
  Collector,
  Evidence,
  FactDefinition,
  FactResult,
  GuestTreeV2,
} from '@imagecheck/sdk';
import { numberOf, regEvidence, stringOf, stringsOf } from '../registry.js';
import { fileEvidence, fileExists, guarded, guestPathOf, requireControlSet, windowsGuest } from './common.js';

/** A service (or driver) key of CurrentControlSet\Services, and whether its image file exists. */
export interface ServiceState {
  readonly name: string;
  readonly present: boolean;
  /** 0 boot, 1 system, 2 automatic, 3 manual (on demand), 4 disabled; null when absent. */
  readonly start: number | null;
  /** 1 kernel driver, 2 filesystem driver, 0x10/0x20 Win32 service; null when absent. */
  readonly type: number | null;
  readonly group: string | null;
  readonly imagePath: string | null;
  /** The guest path of its image (ImagePath, or `System32\drivers\<name>.sys` for a driver without one). */
  readonly file: string | null;
  readonly fileExists: boolean;
}

export const serviceSchema = {
  type: 'object',
  required: ['name', 'present', 'start', 'type', 'group', 'imagePath', 'file', 'fileExists'],
  properties: {
    name: { type: 'string' },
    present: { type: 'boolean' },
    start: { type: ['integer', 'null'] },
    type: { type: ['integer', 'null'] },
    group: { type: ['string', 'null'] },
    imagePath: { type: ['string', 'null'] },
    file: { type: ['string', 'null'] },
    fileExists: { type: 'boolean' },
  },
};

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

/** Value of `windows.virtio`. */
export interface WindowsVirtio {
  /** viostor (virtio-blk), vioscsi (virtio-scsi), netkvm (virtio-net): their service keys and files. */
  readonly viostor: ServiceState;
  readonly vioscsi: ServiceState;
  readonly netkvm: ServiceState;
  readonly controlSet: string;
}

export const virtioFact: FactDefinition = {
  id: 'windows.virtio',
  version: '1.0.0',
  description:
    'The virtio drivers of the guest: the service keys viostor (virtio-blk), vioscsi (virtio-scsi) and netkvm (virtio-net) of CurrentControlSet\\Services (Start, Type, Group, ImagePath) and whether each driver file exists.',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['viostor', 'vioscsi', 'netkvm', 'controlSet'],
    properties: {
      viostor: serviceSchema,
      vioscsi: serviceSchema,
      netkvm: serviceSchema,
      controlSet: { type: 'string' },
    },
  },
};

async function collectVirtio(ctx: CollectContext): Promise<FactResult<WindowsVirtio>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsVirtio>(async () => {
    const s = await requireControlSet(w);
    if (!s.ok) return s.result;
    const services = s.ccs.key.subkey('Services');
    const [viostor, vioscsi, netkvm] = await Promise.all(
      ['viostor', 'vioscsi', 'netkvm'].map((n) =>
        serviceState(w.tree, w.systemRoot, services, n, `${w.systemRoot}/System32/drivers/${n}.sys`),
      ),
    );
    const all = [viostor, vioscsi, netkvm] as ServiceState[];
    return {
      status: 'ok',
      value: { viostor: all[0], vioscsi: all[1], netkvm: all[2], controlSet: s.ccs.name } as WindowsVirtio,
      evidence: all.flatMap((x) => serviceEvidence(s.ccs.name, x)),
    };
  });
}

export const virtioCollector: Collector<WindowsVirtio> = { fact: 'windows.virtio', collect: collectVirtio };

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

/** Value of `windows.xen`. */
export interface WindowsXen {
  /** Xen services that exist in CurrentControlSet\Services. */
  readonly services: readonly ServiceState[];
  /** Xen drivers listed in device class filters. */
  readonly classFilters: readonly {
    readonly class: string;
    readonly guid: string;
    readonly list: string;
    readonly driver: string;
  }[];
  /** `Services\XenPCI\Parameters\hide_devices`, which hides emulated (and virtio) devices; null when absent or empty. */
  readonly hideDevices: string | null;
  readonly controlSet: string;
}

export const xenFact: FactDefinition = {
  id: 'windows.xen',
  version: '1.0.0',
  description:
    'Xen PV drivers left in the guest: the Xen service keys present in CurrentControlSet\\Services (xenbus, xenfilt, xenvbd, xendisk, xennet, xenvif, xeniface, GPLPV xenpci/xenscsi, Red Hat rhelscsi) with Start and file, Xen drivers named in the UpperFilters/LowerFilters of the System, HDC, DiskDrive, SCSIAdapter and Net classes, and XenPCI\\Parameters\\hide_devices.',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['services', 'classFilters', 'hideDevices', 'controlSet'],
    properties: {
      services: { type: 'array', items: serviceSchema },
      classFilters: {
        type: 'array',
        items: {
          type: 'object',
          required: ['class', 'guid', 'list', 'driver'],
          properties: {
            class: { type: 'string' },
            guid: { type: 'string' },
            list: { enum: ['UpperFilters', 'LowerFilters'] },
            driver: { type: 'string' },
          },
        },
      },
      hideDevices: { type: ['string', 'null'] },
      controlSet: { type: 'string' },
    },
  },
};

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

export const xenCollector: Collector<WindowsXen> = { fact: 'windows.xen', collect: collectXen };

// ---- windows.cloudAssistant --------------------------------------------------------------------

/** Value of `windows.cloudAssistant`: the Alibaba Cloud Assistant service. */
export interface WindowsCloudAssistant {
  readonly service: ServiceState;
}

export const cloudAssistantFact: FactDefinition = {
  id: 'windows.cloudAssistant',
  version: '1.0.0',
  description:
    "The vendor's Cloud Assistant agent: the AliyunService service key of CurrentControlSet\\Services (Start, ImagePath) and whether its executable exists.",
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['service'],
    properties: { service: serviceSchema },
  },
};

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

export const cloudAssistantCollector: Collector<WindowsCloudAssistant> = {
  fact: 'windows.cloudAssistant',
  collect: collectCloudAssistant,
};

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

/** Value of `windows.storageDrivers`. */
export interface WindowsStorageDrivers {
  readonly controlSet: string;
  /** Boot-start (Start 0) kernel and filesystem drivers registered. */
  readonly bootStartCount: number;
  /** Those whose image file is absent. */
  readonly bootStartMissing: readonly ServiceState[];
  /** Every entry of the storage classes' filters, with the service it names. */
  readonly classFilters: readonly {
    readonly class: string;
    readonly guid: string;
    readonly list: string;
    readonly driver: string;
    readonly service: ServiceState;
  }[];
}

export const storageDriversFact: FactDefinition = {
  id: 'windows.storageDrivers',
  version: '1.0.0',
  description:
    'The drivers on the path to the boot disk: how many boot-start (Start 0) kernel and filesystem drivers CurrentControlSet\\Services registers and which of them lack their image file, and every UpperFilters/LowerFilters entry of the DiskDrive, SCSIAdapter, Volume and HDC device classes with the service it names (present, Start, file).',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['controlSet', 'bootStartCount', 'bootStartMissing', 'classFilters'],
    properties: {
      controlSet: { type: 'string' },
      bootStartCount: { type: 'integer' },
      bootStartMissing: { type: 'array', items: serviceSchema },
      classFilters: {
        type: 'array',
        items: {
          type: 'object',
          required: ['class', 'guid', 'list', 'driver', 'service'],
          properties: {
            class: { type: 'string' },
            guid: { type: 'string' },
            list: { enum: ['UpperFilters', 'LowerFilters'] },
            driver: { type: 'string' },
            service: serviceSchema,
          },
        },
      },
    },
  },
};

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

export const storageDriversCollector: Collector<WindowsStorageDrivers> = {
  fact: 'windows.storageDrivers',
  collect: collectStorageDrivers,
};
