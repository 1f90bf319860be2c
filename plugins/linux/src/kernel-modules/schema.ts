import { defineFact, type FactValue, Nullable, type Static, Type } from '@imagecheck/sdk';
import type { SegmentFormat } from './initramfs/index.js';
import { DRIVERS } from './modules.js';

const source = Nullable(
  Type.Object(
    { path: Type.String(), line: Nullable(Type.Integer()), excerpt: Type.String() },
    { description: 'Where the state was read: the file and line.' },
  ),
);

export const driverStatusSchema = Type.Object({
  name: Type.String(),
  state: Type.Enum(['builtin', 'module', 'absent', 'unknown'], {
    description:
      "`builtin`: linked into the kernel image; `module`: a loadable module file exists; `absent`: the kernel's files say it is neither; `unknown`: the kernel has no modules.builtin, config, modules.dep or module tree to tell.",
  }),
  modulePath: Nullable(Type.String({ description: 'Guest path of the module file, when a module.' })),
  dependencies: Type.Array(Type.String(), {
    description: 'Modules it needs loaded first (modules.dep), transitively, built-in ones left out.',
  }),
  inInitramfs: Nullable(
    Type.Boolean({
      description: "In this kernel's initramfs: true/false when the initramfs was read, null otherwise.",
    }),
  ),
  initramfsPath: Nullable(Type.String({ description: 'Path of the module file inside the initramfs.' })),
  dependenciesNotInInitramfs: Nullable(
    Type.Array(Type.String(), {
      description: '`dependencies` absent from the initramfs; null when the initramfs was not read.',
    }),
  ),
  source,
});
export type DriverStatus = Static<typeof driverStatusSchema>;
export type DriverState = DriverStatus['state'];

/**
 * Driver name → status for exactly `names`. One schema for every driver (patternProperties), not
 * one copy per name: the validator is generated code, and nine copies of it cost a visible share of
 * a check's start-up.
 */
function driverMap(names: readonly string[], description: string) {
  return Type.Record(Type.String(), driverStatusSchema, {
    required: [...names],
    propertyNames: { enum: [...names] },
    description,
  });
}

const SEGMENT_FORMATS = ['cpio', 'gzip', 'zstd', 'lz4-legacy', 'xz', 'lzma', 'bzip2', 'lzop'] as const;
// The list above is the initramfs reader's: a format added there must be added here.
const _sameFormats: [SegmentFormat, (typeof SEGMENT_FORMATS)[number]] extends [
  (typeof SEGMENT_FORMATS)[number],
  SegmentFormat,
]
  ? true
  : never = true;

const initramfsStatus = Type.Enum(['read', 'none', 'unreadable', 'not-read'], {
  description:
    '`read`; `none`: no initramfs file; `unreadable`: damaged or an unsupported compression (see reason); `not-read`: over the number of kernels scanned.',
});
export type InitramfsStatus = Static<typeof initramfsStatus>;

const initramfsInfo = Type.Object({
  path: Nullable(
    Type.String({ description: 'Guest path of the initramfs file, null when the kernel has none.' }),
  ),
  status: initramfsStatus,
  reason: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
  formats: Type.Optional(
    Type.Array(Type.Enum(SEGMENT_FORMATS), {
      description: 'Segment formats in file order (`cpio`, `zstd`, ...).',
    }),
  ),
  size: Type.Optional(Type.Integer({ minimum: 0 })),
  entries: Type.Optional(Type.Integer({ minimum: 0 })),
  decompressedBytes: Type.Optional(Type.Integer({ minimum: 0 })),
  moduleCount: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Number of kernel module files inside.' }),
  ),
  // Immutable: these arrays are the cached reading of the initramfs, shared between kernels.
  kernelVersions: Type.Optional(
    Type.Immutable(
      Type.Array(Type.String(), { description: 'Kernel versions whose module trees are inside.' }),
    ),
  ),
  warnings: Type.Optional(Type.Immutable(Type.Array(Type.String()))),
});
export type InitramfsInfo = Static<typeof initramfsInfo>;

const kernelDrivers = Type.Object({
  version: Type.String(),
  isDefault: Type.Boolean(),
  modulesBuiltin: Nullable(Type.String()),
  modulesDep: Nullable(Type.String()),
  config: Nullable(Type.String()),
  initramfs: initramfsInfo,
  drivers: driverMap(
    DRIVERS,
    'Driver name → status, for virtio, virtio_ring, virtio_pci, virtio_pci_modern_dev, virtio_blk, virtio_scsi, virtio_net, nvme_core, nvme.',
  ),
});
export type KernelDrivers = Static<typeof kernelDrivers>;

export const driversFact = defineFact({
  id: 'linux.drivers',
  version: '1.0.0',
  description:
    "For the default kernel and every installed kernel: whether virtio (virtio, virtio_ring, virtio_pci, virtio_pci_modern_dev, virtio_blk, virtio_scsi, virtio_net) and NVMe (nvme_core, nvme) drivers are built in (/lib/modules/<v>/modules.builtin, /boot/config-<v> =y), loadable modules (modules.dep, module files) with their dependencies, and inside that kernel's initramfs (every cpio segment read: uncompressed, gzip, zstd, xz, lz4 legacy, bzip2).",
  schema: Type.Object({
    default: Nullable(kernelDrivers),
    kernels: Type.Array(kernelDrivers),
  }),
});

/** Value of `linux.drivers`. */
export type Drivers = FactValue<typeof driversFact>;

const missingModule = Type.Object(
  { name: Type.String(), modulePath: Nullable(Type.String()) },
  { description: 'A module the boot path needs that the initramfs lacks.' },
);
export type MissingModule = Static<typeof missingModule>;

/**
 * Value of `linux.virtioDrivers` and `linux.nvmeDrivers`: the default kernel's verdict inputs for
 * one device class, with the decisions the rules read precomputed (json-logic paths must be literal).
 */
function deviceSchema(drivers: readonly string[]) {
  return Type.Object({
    kernel: Type.String(),
    initramfs: Nullable(
      Type.String({ description: "Guest path of the default kernel's initramfs, null when it has none." }),
    ),
    initramfsStatus,
    initramfsLocation: Type.String({
      description:
        "Where to point a finding about the initramfs: its path, or the kernel's module tree when there is none.",
    }),
    kernelSource: Type.String({
      description:
        "Where the kernel's driver configuration was read (modules.builtin, config or modules.dep).",
    }),
    drivers: driverMap(drivers, 'Driver name → status.'),
    absent: Type.Array(Type.String(), {
      description: 'Drivers the device class needs that the kernel has neither built in nor as a module.',
    }),
    missingFromInitramfs: Type.Array(missingModule, {
      description:
        'Modules the boot disk path needs (the disk driver, its transport and their dependencies) that are not in the initramfs.',
    }),
    missingList: Type.String({ description: '`missingFromInitramfs` names, comma-separated, for messages.' }),
    optionalAbsent: Type.Array(Type.String(), {
      description: "The class's optional drivers (virtio_scsi) that the kernel lacks.",
    }),
    optionalMissingFromInitramfs: Type.Array(missingModule, {
      description: "Modules an optional driver's boot path needs that are not in the initramfs.",
    }),
    optionalMissingList: Type.String(),
    locations: Type.Record(
      Type.String(),
      Type.Object({ path: Type.String(), line: Nullable(Type.Integer()) }),
      {
        description:
          "Where each driver's state was read (file and line), for findings to point at: its modules.builtin, config or modules.dep line, else `kernelSource` with no line.",
      },
    ),
    summary: Type.String({ description: 'One line: `virtio_blk=module(initramfs) virtio_net=builtin ...`.' }),
  });
}

export const virtioDriversFact = defineFact({
  id: 'linux.virtioDrivers',
  version: '1.0.0',
  description:
    "The default kernel's virtio drivers as a KVM guest needs them: virtio_blk, virtio_net and virtio_pci built in or present as modules, and, where the disk path (virtio_blk, virtio_pci and their dependencies) is modular, present in the initramfs. Unavailable when the initramfs those modules must be in could not be read.",
  schema: deviceSchema([
    'virtio_blk',
    'virtio_net',
    'virtio_pci',
    'virtio_scsi',
    'virtio',
    'virtio_ring',
    'virtio_pci_modern_dev',
  ]),
});

export const nvmeDriversFact = defineFact({
  id: 'linux.nvmeDrivers',
  version: '1.0.0',
  description:
    "The default kernel's NVMe drivers: nvme (and nvme_core) built in or present as modules, and, where modular, present in the initramfs with their dependencies. Unavailable when the initramfs those modules must be in could not be read.",
  schema: deviceSchema(['nvme', 'nvme_core']),
});

/** Value of `linux.virtioDrivers` and `linux.nvmeDrivers`. */
export type DeviceDrivers = FactValue<typeof virtioDriversFact>;
