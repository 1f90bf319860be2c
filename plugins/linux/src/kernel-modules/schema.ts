import type { FactDefinition } from '@imagecheck/sdk';
import { DRIVERS } from './modules.js';

const source = {
  type: ['object', 'null'],
  required: ['path', 'line', 'excerpt'],
  properties: { path: { type: 'string' }, line: { type: ['integer', 'null'] }, excerpt: { type: 'string' } },
} as const;

const driverStatus = {
  type: 'object',
  required: [
    'name',
    'state',
    'modulePath',
    'dependencies',
    'inInitramfs',
    'initramfsPath',
    'dependenciesNotInInitramfs',
    'source',
  ],
  properties: {
    name: { type: 'string' },
    state: { enum: ['builtin', 'module', 'absent', 'unknown'] },
    modulePath: { type: ['string', 'null'] },
    dependencies: { type: 'array', items: { type: 'string' } },
    inInitramfs: { type: ['boolean', 'null'] },
    initramfsPath: { type: ['string', 'null'] },
    dependenciesNotInInitramfs: { type: ['array', 'null'], items: { type: 'string' } },
    source,
  },
} as const;

const initramfs = {
  type: 'object',
  required: ['path', 'status'],
  properties: {
    path: { type: ['string', 'null'] },
    status: { enum: ['read', 'none', 'unreadable', 'not-read'] },
    reason: { type: 'string' },
    code: { type: 'string' },
    formats: {
      type: 'array',
      items: { enum: ['cpio', 'gzip', 'zstd', 'lz4-legacy', 'xz', 'lzma', 'bzip2', 'lzop'] },
    },
    size: { type: 'integer', minimum: 0 },
    entries: { type: 'integer', minimum: 0 },
    decompressedBytes: { type: 'integer', minimum: 0 },
    moduleCount: { type: 'integer', minimum: 0 },
    kernelVersions: { type: 'array', items: { type: 'string' } },
    warnings: { type: 'array', items: { type: 'string' } },
  },
} as const;

const kernelDrivers = {
  type: 'object',
  required: ['version', 'isDefault', 'modulesBuiltin', 'modulesDep', 'config', 'initramfs', 'drivers'],
  properties: {
    version: { type: 'string' },
    isDefault: { type: 'boolean' },
    modulesBuiltin: { type: ['string', 'null'] },
    modulesDep: { type: ['string', 'null'] },
    config: { type: ['string', 'null'] },
    initramfs,
    // One schema for every driver (additionalProperties), not one copy per name: the validator
    // is generated code, and nine copies of it cost a visible share of a check's start-up.
    drivers: {
      type: 'object',
      required: DRIVERS,
      propertyNames: { enum: DRIVERS },
      additionalProperties: driverStatus,
    },
  },
} as const;

export const driversFact: FactDefinition = {
  id: 'linux.drivers',
  version: '1.0.0',
  description:
    "For the default kernel and every installed kernel: whether virtio (virtio, virtio_ring, virtio_pci, virtio_pci_modern_dev, virtio_blk, virtio_scsi, virtio_net) and NVMe (nvme_core, nvme) drivers are built in (/lib/modules/<v>/modules.builtin, /boot/config-<v> =y), loadable modules (modules.dep, module files) with their dependencies, and inside that kernel's initramfs (every cpio segment read: uncompressed, gzip, zstd, xz, lz4 legacy, bzip2).",
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['default', 'kernels'],
    properties: {
      default: { anyOf: [{ type: 'null' }, { $ref: '#/$defs/kernel' }] },
      kernels: { type: 'array', items: { $ref: '#/$defs/kernel' } },
    },
    $defs: { kernel: kernelDrivers },
  },
};

function deviceSchema(drivers: readonly string[]): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: [
      'kernel',
      'initramfs',
      'initramfsStatus',
      'initramfsLocation',
      'kernelSource',
      'drivers',
      'absent',
      'missingFromInitramfs',
      'missingList',
      'optionalAbsent',
      'optionalMissingFromInitramfs',
      'optionalMissingList',
      'locations',
      'summary',
    ],
    properties: {
      kernel: { type: 'string' },
      initramfs: { type: ['string', 'null'] },
      initramfsStatus: { enum: ['read', 'none', 'unreadable', 'not-read'] },
      initramfsLocation: { type: 'string' },
      kernelSource: { type: 'string' },
      drivers: {
        type: 'object',
        required: drivers,
        propertyNames: { enum: drivers },
        additionalProperties: driverStatus,
      },
      absent: { type: 'array', items: { type: 'string' } },
      missingFromInitramfs: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'modulePath'],
          properties: { name: { type: 'string' }, modulePath: { type: ['string', 'null'] } },
        },
      },
      missingList: { type: 'string' },
      optionalAbsent: { type: 'array', items: { type: 'string' } },
      optionalMissingFromInitramfs: { $ref: '#/properties/missingFromInitramfs' },
      optionalMissingList: { type: 'string' },
      locations: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          required: ['path', 'line'],
          properties: { path: { type: 'string' }, line: { type: ['integer', 'null'] } },
        },
      },
      summary: { type: 'string' },
    },
  };
}

export const virtioDriversFact: FactDefinition = {
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
};

export const nvmeDriversFact: FactDefinition = {
  id: 'linux.nvmeDrivers',
  version: '1.0.0',
  description:
    "The default kernel's NVMe drivers: nvme (and nvme_core) built in or present as modules, and, where modular, present in the initramfs with their dependencies. Unavailable when the initramfs those modules must be in could not be read.",
  schema: deviceSchema(['nvme', 'nvme_core']),
};
