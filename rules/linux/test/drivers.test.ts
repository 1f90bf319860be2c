import { fileURLToPath } from 'node:url';
import linuxPlugin from '@imagecheck/plugin-linux';
import { loadPack } from '@imagecheck/sdk';
import { RuleTester } from '@imagecheck/sdk/testing';
import { describe, it } from 'vitest';

const pack = await loadPack(fileURLToPath(new URL('..', import.meta.url)));
RuleTester.describe = describe;
RuleTester.it = it;
// The plugin that collects these facts in a real check: the facts each case gives by hand must
// have the shape of its fact schemas.
const ruleTester = new RuleTester({ pack, plugins: [linuxPlugin] });

const LINUX = { os: 'linux' };
const KVER = '6.1.0-28-cloud-amd64';
const INITRD = `/boot/initrd.img-${KVER}`;
const BUILTIN = `/lib/modules/${KVER}/modules.builtin`;
const DEP = `/lib/modules/${KVER}/modules.dep`;

type State = 'builtin' | 'module' | 'absent';

/** A driver as the collector reports it (plugins/linux/src/kernel-modules/collect.ts). */
function driver(
  name: string,
  state: State,
  inInitramfs: boolean | null = state === 'module' ? true : null,
  deps: string[] = [],
) {
  const file = `/lib/modules/${KVER}/kernel/drivers/${name}.ko`;
  return {
    name,
    state,
    modulePath: state === 'module' ? file : null,
    dependencies: deps,
    inInitramfs,
    initramfsPath: inInitramfs ? `usr/lib/modules/${KVER}/kernel/drivers/${name}.ko` : null,
    dependenciesNotInInitramfs: inInitramfs === null ? null : [],
    source:
      state === 'builtin'
        ? { path: BUILTIN, line: 40, excerpt: `kernel/drivers/${name}.ko` }
        : state === 'module'
          ? { path: DEP, line: 284, excerpt: `kernel/drivers/${name}.ko:` }
          : null,
  };
}

/** Where each driver's state was read; a driver the kernel lacks points at the config line saying so. */
function locations(drivers: Record<string, ReturnType<typeof driver>>) {
  return Object.fromEntries(
    Object.values(drivers).map((d) => [
      d.name,
      d.source ? { path: d.source.path, line: d.source.line } : { path: `/boot/config-${KVER}`, line: 2401 },
    ]),
  );
}

interface Missing {
  name: string;
  modulePath: string | null;
}

/** `linux.virtioDrivers` of a Debian cloud kernel: virtio modular and in the initramfs. */
function virtio(
  over: {
    states?: Partial<Record<string, State>>;
    missing?: string[];
    optionalMissing?: string[];
    initramfs?: string | null;
  } = {},
) {
  const states: Record<string, State> = {
    virtio_blk: 'module',
    virtio_net: 'module',
    virtio_pci: 'module',
    virtio_scsi: 'module',
    virtio: 'module',
    virtio_ring: 'module',
    virtio_pci_modern_dev: 'module',
    ...over.states,
  } as Record<string, State>;
  const drivers = Object.fromEntries(Object.entries(states).map(([n, s]) => [n, driver(n, s)]));
  const missing: Missing[] = (over.missing ?? []).map((name) => ({
    name,
    modulePath: `/lib/modules/${KVER}/kernel/drivers/${name}.ko`,
  }));
  const optionalMissing: Missing[] = (over.optionalMissing ?? []).map((name) => ({ name, modulePath: null }));
  const initramfs = over.initramfs === undefined ? INITRD : over.initramfs;
  const required = ['virtio_blk', 'virtio_net', 'virtio_pci'];
  return {
    kernel: KVER,
    initramfs,
    initramfsStatus: initramfs === null ? 'none' : 'read',
    initramfsLocation: initramfs ?? `/lib/modules/${KVER}`,
    kernelSource: BUILTIN,
    drivers,
    absent: required.filter((n) => states[n] === 'absent'),
    missingFromInitramfs: missing,
    missingList: missing.map((m) => m.name).join(', '),
    optionalAbsent: states.virtio_scsi === 'absent' ? ['virtio_scsi'] : [],
    optionalMissingFromInitramfs: optionalMissing,
    optionalMissingList: optionalMissing.map((m) => m.name).join(', '),
    locations: locations(drivers),
    summary: Object.entries(states)
      .map(([n, s]) => `${n}=${s === 'module' ? 'module(initramfs)' : s}`)
      .join(' '),
  };
}

function nvme(over: { nvme?: State; core?: State; missing?: string[]; initramfs?: string | null } = {}) {
  const states: Record<string, State> = { nvme: over.nvme ?? 'builtin', nvme_core: over.core ?? 'builtin' };
  const missing: Missing[] = (over.missing ?? []).map((name) => ({
    name,
    modulePath: `/lib/modules/${KVER}/kernel/drivers/nvme/host/${name}.ko`,
  }));
  const initramfs = over.initramfs === undefined ? INITRD : over.initramfs;
  return {
    kernel: KVER,
    initramfs,
    initramfsStatus: initramfs === null ? 'none' : 'read',
    initramfsLocation: initramfs ?? `/lib/modules/${KVER}`,
    kernelSource: BUILTIN,
    drivers: Object.fromEntries(Object.entries(states).map(([n, s]) => [n, driver(n, s)])),
    absent: states.nvme === 'absent' ? ['nvme'] : [],
    missingFromInitramfs: missing,
    missingList: missing.map((m) => m.name).join(', '),
    optionalAbsent: [],
    optionalMissingFromInitramfs: [],
    optionalMissingList: '',
    locations: locations(Object.fromEntries(Object.entries(states).map(([n, s]) => [n, driver(n, s)]))),
    summary: Object.entries(states)
      .map(([n, s]) => `${n}=${s}`)
      .join(' '),
  };
}

const V = (value: unknown) => ({ 'guest.os': LINUX, 'linux.virtioDrivers': value });
const N = (value: unknown) => ({ 'guest.os': LINUX, 'linux.nvmeDrivers': value });

ruleTester.run('GUESTOS.Virtio', {
  valid: [
    { name: 'Debian cloud kernel: virtio modules, all in the initramfs', facts: V(virtio()) },
    {
      name: 'Ubuntu / Alibaba Cloud Linux: virtio built in, no initramfs needed for it',
      facts: V(
        virtio({
          states: {
            virtio_blk: 'builtin',
            virtio_pci: 'builtin',
            virtio_net: 'builtin',
            virtio: 'builtin',
            virtio_ring: 'builtin',
          },
        }),
      ),
    },
    {
      name: 'a built-in virtio disk path and no initramfs at all',
      facts: V(
        virtio({
          states: { virtio_blk: 'builtin', virtio_pci: 'builtin', virtio: 'builtin', virtio_ring: 'builtin' },
          initramfs: null,
        }),
      ),
    },
    {
      name: 'virtio_scsi absent is fine by default',
      facts: V(virtio({ states: { virtio_scsi: 'absent' }, optionalMissing: [] })),
    },
    {
      name: 'requireVirtioScsi with virtio_scsi in the initramfs',
      facts: V(virtio()),
      params: { requireVirtioScsi: true },
    },
  ],
  invalid: [
    {
      name: 'no virtio_blk in the kernel',
      facts: V(virtio({ states: { virtio_blk: 'absent' } })),
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'noVirtioBlk' }],
      message: /has no virtio_blk driver/,
    },
    {
      name: 'no virtio_pci transport',
      facts: V(virtio({ states: { virtio_pci: 'absent' } })),
      status: 'fail',
      findings: [{ messageId: 'noVirtioPci' }],
    },
    {
      name: 'no virtio_net: boots unreachable',
      facts: V(virtio({ states: { virtio_net: 'absent' } })),
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'noVirtioNet', line: 2401 }],
    },
    {
      name: 'an initramfs built with MODULES=dep on a non-virtio host',
      facts: V(virtio({ missing: ['virtio_blk', 'virtio_pci', 'virtio', 'virtio_ring'] })),
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'notInInitramfs' }],
      message: `The initramfs of kernel ${KVER} (${INITRD}) lacks virtio_blk, virtio_pci, virtio, virtio_ring, which are modules of that kernel: the instance will not find its root disk.`,
    },
    {
      name: 'modular virtio_blk and no initramfs at all',
      facts: V(virtio({ initramfs: null, missing: ['virtio_blk', 'virtio_pci', 'virtio', 'virtio_ring'] })),
      status: 'fail',
      findings: [{ messageId: 'noInitramfs' }],
      message: new RegExp(
        `Kernel ${KVER} has no initramfs, but virtio_blk, virtio_pci, virtio, virtio_ring are modules`,
      ),
    },
    {
      name: 'no virtio at all: disk, transport and network',
      facts: V(virtio({ states: { virtio_blk: 'absent', virtio_pci: 'absent', virtio_net: 'absent' } })),
      status: 'fail',
      findings: [{ messageId: 'noVirtioBlk' }, { messageId: 'noVirtioPci' }, { messageId: 'noVirtioNet' }],
    },
    {
      name: 'requireVirtioScsi and the kernel has none',
      facts: V(virtio({ states: { virtio_scsi: 'absent' } })),
      params: { requireVirtioScsi: true },
      status: 'fail',
      findings: [{ messageId: 'noVirtioScsi' }],
    },
    {
      name: 'requireVirtioScsi and the initramfs lacks it',
      facts: V(virtio({ optionalMissing: ['virtio_scsi'] })),
      params: { requireVirtioScsi: true },
      status: 'fail',
      findings: [{ messageId: 'scsiNotInInitramfs' }],
    },
    {
      name: 'the initramfs could not be read (lzma): error, never a pass',
      facts: { 'guest.os': LINUX },
      unavailable: {
        'linux.virtioDrivers': `the initramfs ${INITRD} of kernel ${KVER} could not be read (lzma-compressed initramfs segment at offset 0: imagecheck does not decompress lzma)`,
      },
      status: 'error',
      message: /could not be read/,
    },
  ],
});

ruleTester.run('GUESTOS.Nvme', {
  valid: [
    { name: 'Debian cloud kernel: nvme and nvme_core built in', facts: N(nvme()) },
    {
      name: 'RHEL: nvme modules inside the dracut initramfs',
      facts: N(nvme({ nvme: 'module', core: 'module' })),
    },
    {
      name: 'bootFromNvme false: a module missing from the initramfs is accepted',
      facts: N(nvme({ nvme: 'module', core: 'module', missing: ['nvme', 'nvme_core'] })),
      params: { bootFromNvme: false },
    },
  ],
  invalid: [
    {
      name: 'no nvme driver at all',
      facts: N(nvme({ nvme: 'absent', core: 'absent' })),
      status: 'fail',
      riskLevel: 'medium',
      findings: [{ messageId: 'noNvme' }],
      message: /has no nvme driver/,
    },
    {
      name: 'nvme is a module the initramfs lacks (dracut hostonly on a non-NVMe host)',
      facts: N(nvme({ nvme: 'module', core: 'module', missing: ['nvme', 'nvme_core'] })),
      status: 'fail',
      riskLevel: 'medium',
      findings: [{ messageId: 'notInInitramfs' }],
      message: `The initramfs of kernel ${KVER} (${INITRD}) lacks nvme, nvme_core, which are modules of that kernel: an instance with an NVMe system disk will not find its root.`,
    },
    {
      name: 'the drivers fact is unavailable (no default kernel)',
      facts: { 'guest.os': LINUX },
      unavailable: { 'linux.nvmeDrivers': 'the image has no default kernel' },
      status: 'error',
    },
  ],
});
