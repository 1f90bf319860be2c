import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collectFacts, type FactResult, loadPack, type ReportItem, runCheck } from '@imagecheck/sdk';
import { createMemoryGuest, type MemoryFiles } from '@imagecheck/sdk/testing';
import { requireTools } from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import { plugin } from '../../src/index.js';
import type { DeviceDrivers, Drivers } from '../../src/kernel-modules/index.js';
import { buildMkinitramfs, canMkinitramfs, hostKernel } from './fixtures.js';
import {
  alinux3,
  alpineVirt,
  centos7,
  debian12,
  type KernelLayout,
  kernelFiles,
  rhel9,
  suse15,
  ubuntu2404,
  VIRTIO_MODULES,
} from './layouts.js';

const PACK_DIR = fileURLToPath(new URL('../../../../rules/linux', import.meta.url));

function guestOf(files: MemoryFiles) {
  return createMemoryGuest({ filesystems: [{ type: 'ext4', mount: '/', files }] });
}

async function facts(files: MemoryFiles): Promise<Record<string, FactResult>> {
  const { facts } = await collectFacts({
    access: guestOf(files),
    plugins: [plugin],
    ids: ['linux.drivers', 'linux.virtioDrivers', 'linux.nvmeDrivers'],
  });
  return facts;
}

function ok<T>(r: FactResult | undefined): T {
  if (r?.status !== 'ok') throw new Error(`unavailable: ${r?.code ?? ''} ${r?.reason ?? 'not collected'}`);
  return r.value as T;
}

/** The two items of a full check with the plugin and the built-in pack. */
async function verdicts(files: MemoryFiles): Promise<Record<string, ReportItem>> {
  const report = await runCheck({
    access: guestOf(files),
    packs: [await loadPack(PACK_DIR)],
    plugins: [plugin],
    select: { only: ['GUESTOS.Virtio', 'GUESTOS.Nvme'] },
  });
  return Object.fromEntries(report.items.map((i) => [i.name, i]));
}

const tools = requireTools('cpio', 'find', 'sh', 'gzip', 'zstd', 'xz', 'lzma');

describe.skipIf(!tools)(
  'linux.drivers over distribution layouts (initramfs made by cpio and the real compressors)',
  () => {
    it('Debian 12 cloud: virtio modules in the zstd initramfs, NVMe built in, with file and line', async () => {
      const f = await facts(await kernelFiles([debian12()]));
      const d = ok<Drivers>(f['linux.drivers']);
      expect(d.default?.version).toBe('6.1.0-28-cloud-amd64');
      expect(d.default?.initramfs).toMatchObject({
        status: 'read',
        formats: ['zstd'],
        moduleCount: Object.keys(VIRTIO_MODULES).length,
      });
      const blk = d.default?.drivers.virtio_blk;
      expect(blk).toMatchObject({
        state: 'module',
        modulePath: '/lib/modules/6.1.0-28-cloud-amd64/kernel/drivers/block/virtio_blk.ko',
        dependencies: ['virtio', 'virtio_ring'],
        inInitramfs: true,
        initramfsPath: 'usr/lib/modules/6.1.0-28-cloud-amd64/kernel/drivers/block/virtio_blk.ko',
        dependenciesNotInInitramfs: [],
      });
      expect(blk?.source).toEqual({
        path: '/lib/modules/6.1.0-28-cloud-amd64/modules.dep',
        line: 6,
        excerpt:
          'kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
      });
      expect(d.default?.drivers.nvme).toMatchObject({
        state: 'builtin',
        source: { path: '/lib/modules/6.1.0-28-cloud-amd64/modules.builtin', line: 2 },
      });
      const v = ok<DeviceDrivers>(f['linux.virtioDrivers']);
      expect(v.absent).toEqual([]);
      expect(v.missingFromInitramfs).toEqual([]);
      expect(v.summary).toContain('virtio_blk=module(initramfs)');
      expect(ok<DeviceDrivers>(f['linux.nvmeDrivers']).summary).toBe('nvme=builtin nvme_core=builtin');
    });

    it('built-in state read from /boot/config when modules.builtin does not list it (Alibaba Cloud Linux 3)', async () => {
      const f = await facts(await kernelFiles([alinux3()]));
      const v = ok<DeviceDrivers>(f['linux.virtioDrivers']);
      expect(v.drivers.virtio_blk).toMatchObject({
        state: 'builtin',
        source: { path: '/boot/config-5.10.134-16.al8.x86_64', line: 6, excerpt: 'CONFIG_VIRTIO_BLK=y' },
      });
      expect(v.drivers.virtio_scsi?.state).toBe('module');
      expect(v.missingFromInitramfs).toEqual([]);
    });

    it('CentOS 7 (3.10, gzip after early microcode) and RHEL 9 (.ko.xz, zstd after early microcode)', async () => {
      for (const layout of [centos7(), rhel9()]) {
        const f = await facts(await kernelFiles([layout]));
        const d = ok<Drivers>(f['linux.drivers']);
        expect(d.default?.initramfs.formats).toEqual(['cpio', layout.compression]);
        const v = ok<DeviceDrivers>(f['linux.virtioDrivers']);
        expect(v.missingFromInitramfs).toEqual([]);
        expect(v.drivers.virtio_blk?.modulePath).toBe(
          `/lib/modules/${layout.version}/kernel/drivers/block/virtio_blk.ko.xz`,
        );
        expect(ok<DeviceDrivers>(f['linux.nvmeDrivers']).drivers.nvme).toMatchObject({
          state: 'module',
          dependencies: ['nvme_core'],
          inInitramfs: true,
        });
      }
    });

    it('Alpine virt flavour: vmlinuz-virt, initramfs-virt, .ko.gz', async () => {
      const f = await facts(await kernelFiles([alpineVirt()]));
      const v = ok<DeviceDrivers>(f['linux.virtioDrivers']);
      expect(v.kernel).toBe('6.6.31-0-virt');
      expect(v.initramfs).toBe('/boot/initramfs-virt');
      expect(v.missingFromInitramfs).toEqual([]);
    });

    it('Ubuntu 24.04: everything built in; the early microcode cpio and the zstd archive are both read', async () => {
      const f = await facts(await kernelFiles([ubuntu2404()]));
      const d = ok<Drivers>(f['linux.drivers']);
      expect(d.default?.initramfs.formats).toEqual(['cpio', 'zstd']);
      const v = ok<DeviceDrivers>(f['linux.virtioDrivers']);
      expect(Object.values(v.drivers).map((s) => s.state)).toEqual(Array(7).fill('builtin'));
    });

    it('openSUSE with an xz initramfs (.ko.zst modules, /boot/initrd-<v>)', async () => {
      const f = await facts(await kernelFiles([suse15('xz')]));
      expect(ok<Drivers>(f['linux.drivers']).default?.initramfs.formats).toEqual(['xz']);
      expect(ok<DeviceDrivers>(f['linux.virtioDrivers']).missingFromInitramfs).toEqual([]);
    });

    it('an lzma initramfs: the entry says unreadable and the virtio fact is unavailable, never a pass', async () => {
      const f = await facts(await kernelFiles([suse15('lzma')]));
      const d = ok<Drivers>(f['linux.drivers']);
      expect(d.default?.initramfs).toMatchObject({
        path: '/boot/initrd-6.4.0-150600.23.25-default',
        status: 'unreadable',
        code: 'initramfs/unsupported-compression',
      });
      expect(d.default?.drivers.virtio_blk?.inInitramfs).toBeNull();
      const v = f['linux.virtioDrivers'];
      expect(v?.status).toBe('unavailable');
      expect(v?.status === 'unavailable' && v.reason).toMatch(/could not be read.*virtio_blk/);
    });

    it('every installed kernel is reported, the default (newest) first', async () => {
      const f = await facts(await kernelFiles([rhel9(), centos7({ initrd: undefined })]));
      const d = ok<Drivers>(f['linux.drivers']);
      expect(d.kernels.map((k) => [k.version, k.isDefault, k.initramfs.status])).toEqual([
        ['5.14.0-362.8.1.el9_3.x86_64', true, 'read'],
        ['3.10.0-1160.el7.x86_64', false, 'none'],
      ]);
    });

    it('a tree depmod never ran on: module files found where the build puts them', async () => {
      const f = await facts(await kernelFiles([debian12({ depmod: false })]));
      const v = ok<DeviceDrivers>(f['linux.virtioDrivers']);
      expect(v.drivers.virtio_blk).toMatchObject({
        state: 'module',
        dependencies: ['virtio', 'virtio_ring'],
        source: { line: null },
      });
      expect(v.missingFromInitramfs).toEqual([]);
    });
  },
);

describe.skipIf(!tools)(
  'GUESTOS.Virtio and GUESTOS.Nvme end to end (plugin + pack over memory guests)',
  () => {
    it('good images pass: Debian, Ubuntu, RHEL 9, CentOS 7, Alibaba Cloud Linux, openSUSE (xz), Alpine', async () => {
      for (const layout of [
        debian12(),
        ubuntu2404(),
        rhel9(),
        centos7(),
        alinux3(),
        suse15('xz'),
        alpineVirt(),
      ]) {
        const v = await verdicts(await kernelFiles([layout]));
        expect([layout.version, v['GUESTOS.Virtio']?.status, v['GUESTOS.Nvme']?.status]).toEqual([
          layout.version,
          'pass',
          'pass',
        ]);
      }
    });

    it('an initramfs without virtio (built on a non-virtio host) fails high, pointing at the initramfs', async () => {
      const layout = debian12({ initramfsModules: ['fs/ext4/ext4'] });
      const v = await verdicts(await kernelFiles([layout]));
      const item = v['GUESTOS.Virtio'];
      expect(item).toMatchObject({ status: 'fail', riskLevel: 'high' });
      expect(item?.message).toBe(
        'The initramfs of kernel 6.1.0-28-cloud-amd64 (/boot/initrd.img-6.1.0-28-cloud-amd64) lacks virtio_blk, virtio, virtio_ring, virtio_pci, virtio_pci_legacy_dev, virtio_pci_modern_dev, which are modules of that kernel: the instance will not find its root disk.',
      );
      expect(item?.findings?.[0]?.evidence[0]).toMatchObject({
        kind: 'file',
        path: '/boot/initrd.img-6.1.0-28-cloud-amd64',
      });
      expect(item?.repair?.script?.content).toContain('update-initramfs -u -k all');
      expect(v['GUESTOS.Nvme']?.status).toBe('pass');
    });

    it('dependencies count: virtio_blk present but virtio_ring left out still fails', async () => {
      const mods = Object.keys(VIRTIO_MODULES).filter((m) => m !== 'drivers/virtio/virtio_ring');
      const v = await verdicts(await kernelFiles([debian12({ initramfsModules: mods })]));
      expect(v['GUESTOS.Virtio']?.message).toMatch(/lacks virtio_ring, which are modules/);
    });

    it("an initramfs holding another kernel's modules (a stale copy) fails", async () => {
      const files = await kernelFiles([debian12()]);
      const other = await kernelFiles([debian12({ version: '6.1.0-13-cloud-amd64' })]);
      files['/boot/initrd.img-6.1.0-28-cloud-amd64'] = other[
        '/boot/initrd.img-6.1.0-28-cloud-amd64'
      ] as Uint8Array;
      const f = await facts(files);
      expect(ok<Drivers>(f['linux.drivers']).default?.initramfs.kernelVersions).toEqual([
        '6.1.0-13-cloud-amd64',
      ]);
      const v = await verdicts(files);
      expect(v['GUESTOS.Virtio']?.status).toBe('fail');
      expect(v['GUESTOS.Virtio']?.message).toMatch(/lacks virtio_blk/);
    });

    it('no initramfs at all with a modular virtio_blk fails', async () => {
      const v = await verdicts(await kernelFiles([debian12({ initrd: undefined })]));
      expect(v['GUESTOS.Virtio']).toMatchObject({ status: 'fail' });
      expect(v['GUESTOS.Virtio']?.message).toMatch(
        /^Kernel 6\.1\.0-28-cloud-amd64 has no initramfs, but virtio_blk/,
      );
    });

    it('a kernel built without virtio_net fails with the config line as evidence', async () => {
      const base = debian12();
      const layout: KernelLayout = {
        ...base,
        modules: Object.fromEntries(
          Object.entries(base.modules).filter(([m]) => m !== 'drivers/net/virtio_net'),
        ),
        initramfsModules: base.initramfsModules.filter((m) => m !== 'drivers/net/virtio_net'),
        configLines: base.configLines.map((l) =>
          l === 'CONFIG_VIRTIO_NET=m' ? '# CONFIG_VIRTIO_NET is not set' : l,
        ),
      };
      const f = await facts(await kernelFiles([layout]));
      expect(ok<DeviceDrivers>(f['linux.virtioDrivers']).drivers.virtio_net).toMatchObject({
        state: 'absent',
        source: {
          path: '/boot/config-6.1.0-28-cloud-amd64',
          line: 9,
          excerpt: '# CONFIG_VIRTIO_NET is not set',
        },
      });
      const v = await verdicts(await kernelFiles([layout]));
      expect(v['GUESTOS.Virtio']?.findings?.map((x) => x.messageId)).toEqual(['noVirtioNet']);
      expect(v['GUESTOS.Virtio']?.findings?.[0]?.evidence[0]).toMatchObject({
        path: '/boot/config-6.1.0-28-cloud-amd64',
        line: 9,
      });
    });

    it('RHEL 9 with a hostonly dracut image without nvme: Nvme fails medium, Virtio passes', async () => {
      const layout = rhel9({ initramfsModules: Object.keys(VIRTIO_MODULES) });
      const v = await verdicts(await kernelFiles([layout]));
      expect(v['GUESTOS.Virtio']?.status).toBe('pass');
      expect(v['GUESTOS.Nvme']).toMatchObject({ status: 'fail', riskLevel: 'medium' });
      expect(v['GUESTOS.Nvme']?.message).toMatch(/lacks nvme, nvme_core/);
    });

    it('an lzma initramfs gives error, not pass', async () => {
      const v = await verdicts(await kernelFiles([suse15('lzma')]));
      expect(v['GUESTOS.Virtio']?.status).toBe('error');
      expect(v['GUESTOS.Virtio']?.message).toMatch(/initramfs\/unsupported-compression/);
      expect(v['GUESTOS.Nvme']?.status).toBe('error');
    });

    it('an image without kernels: error', async () => {
      const v = await verdicts({ '/etc/os-release': 'ID=debian\n' });
      expect(v['GUESTOS.Virtio']?.status).toBe('error');
    });
  },
);

describe.skipIf(!canMkinitramfs())(
  "the host kernel's real module tree with real initramfs-tools images",
  () => {
    async function hostGuest(initrd: string): Promise<MemoryFiles> {
      const v = hostKernel() as string;
      const dir = `/lib/modules/${v}`;
      return {
        '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
        [`/boot/vmlinuz-${v}`]: 'kernel image placeholder',
        [`/boot/config-${v}`]: new Uint8Array(readFileSync(`/boot/config-${v}`)),
        [`/boot/initrd.img-${v}`]: new Uint8Array(readFileSync(initrd)),
        [`${dir}/modules.builtin`]: new Uint8Array(readFileSync(`${dir}/modules.builtin`)),
        [`${dir}/modules.dep`]: new Uint8Array(readFileSync(`${dir}/modules.dep`)),
      };
    }

    it('MODULES=most: Virtio and Nvme pass', { timeout: 600_000 }, async () => {
      const { path } = await buildMkinitramfs('most');
      const v = await verdicts(await hostGuest(path));
      expect(v['GUESTOS.Virtio']?.status).toBe('pass');
      expect(v['GUESTOS.Nvme']?.status).toBe('pass');
    });

    it('MODULES=list with no modules: Virtio fails, naming virtio_blk', { timeout: 600_000 }, async () => {
      const { path } = await buildMkinitramfs('none');
      const v = await verdicts(await hostGuest(path));
      expect(v['GUESTOS.Virtio']?.status).toBe('fail');
      expect(v['GUESTOS.Virtio']?.message).toMatch(/lacks virtio_blk/);
    });
  },
);
