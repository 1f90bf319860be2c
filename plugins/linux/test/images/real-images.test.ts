/**
 * The verdicts of the full Linux check on real Debian 12 images (built by debian-images.sh with
 * mmdebstrap and the real filesystem, GRUB and LVM tools): the good images pass every high-risk
 * item, and each variant with one fault differs from its good twin (ext4-bios) in exactly the
 * items that fault breaks, with evidence at the file and line holding the fault.
 */
import { openNative } from '@imagecheck/access-native';
import { type Evidence, inspectGuest, type Report, type ReportItem, readText } from '@imagecheck/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { plugin } from '../../src/index.js';
import { checkImage } from './check.js';
import {
  buildDebianImages,
  canBuildDebianImages,
  type DebianImageName,
  type DebianImages,
  FAULT_IMAGES,
  GOOD_IMAGES,
  imagePath,
} from './debian.js';

/** Items a good image must pass (beyond "no high-risk item fails"). */
const MUST_PASS = [
  'GUESTOS.SystemImage',
  'GUESTOS.Fstab',
  'GUESTOS.Grub',
  'GUESTOS.Virtio',
  'GUESTOS.Nvme',
  'GUESTOS.Dhcp',
  'GUESTOS.Selinux',
  'GUESTOS.RtcTimeMode',
  'GUESTOS.CloudInit',
  'GUESTOS.OnlineResizeFS',
  'GUESTOS.SupportMocInstanceTypes',
] as const;

const BOOT_MODE: Record<(typeof GOOD_IMAGES)[number], string> = {
  'ext4-bios': 'bios',
  'xfs-bios': 'bios',
  'lvm-bios': 'bios',
  'ext4-uefi': 'uefi',
};

interface Expected {
  readonly status: 'fail' | 'warn';
  /** The guest file the evidence must name, and the line (or a predicate on the file's lines). */
  readonly path?: (images: DebianImages) => string;
  readonly line?: (lines: readonly string[], images: DebianImages) => boolean[];
}

const lineMatching =
  (re: RegExp | ((images: DebianImages) => RegExp)) =>
  (lines: readonly string[], images: DebianImages): boolean[] =>
    lines.map((l) => (typeof re === 'function' ? re(images) : re).test(l));

/** For each fault variant: the items whose verdict must differ from ext4-bios, and how. */
const FAULTS: Record<(typeof FAULT_IMAGES)[number], Record<string, Expected>> = {
  'fault-fstab-uuid': {
    'GUESTOS.Fstab': {
      status: 'fail',
      path: () => '/etc/fstab',
      line: lineMatching((i) => new RegExp(`^UUID=${i.goneUuid}\\s+/srv\\s`)),
    },
  },
  'fault-grub-root': {
    'GUESTOS.Grub': {
      status: 'fail',
      path: () => '/boot/grub/grub.cfg',
      line: lineMatching((i) => new RegExp(i.goneUuid)),
    },
  },
  'fault-initramfs-novirtio': {
    'GUESTOS.Virtio': { status: 'fail', path: (i) => `/boot/initrd.img-${i.kernelVersion}` },
  },
  'fault-static-ip': {
    'GUESTOS.Dhcp': {
      status: 'fail',
      path: () => '/etc/network/interfaces',
      line: lineMatching(/^\s*(iface ens3 inet static|address 192\.168\.10\.21)/),
    },
  },
  'fault-selinux-enforcing': {
    'GUESTOS.Selinux': {
      status: 'fail',
      path: () => '/etc/selinux/config',
      line: lineMatching(/^SELINUX=enforcing$/),
    },
  },
  'fault-rtc-local': {
    'GUESTOS.RtcTimeMode': { status: 'fail', path: () => '/etc/adjtime', line: lineMatching(/^LOCAL$/) },
  },
  // Without cloud-init nothing grows the root partition and filesystem on first boot either.
  'fault-no-cloud-init': {
    'GUESTOS.CloudInit': { status: 'fail' },
    'GUESTOS.OnlineResizeFS': { status: 'fail' },
  },
};

function item(report: Report, name: string): ReportItem {
  const found = report.items.find((i) => i.name === name);
  if (found === undefined)
    throw new Error(`the report has no ${name} (items: ${report.items.map((i) => i.name).join(', ')})`);
  return found;
}

function describeItem(i: ReportItem): string {
  return `${i.name}: ${i.status} (${i.value}) ${i.message}`;
}

async function guestLines(path: string, file: string): Promise<string[]> {
  const access = await openNative(path);
  try {
    const { guest, guestError } = await inspectGuest(access, { plugins: [plugin] });
    if (guest === undefined) throw new Error(`no guest: ${guestError}`);
    return (await readText(guest, file)).split('\n');
  } finally {
    await access.close();
  }
}

describe.skipIf(!canBuildDebianImages())('real Debian 12 images', () => {
  let images: DebianImages;
  const reports = new Map<DebianImageName, Report>();
  const report = async (name: DebianImageName): Promise<Report> => {
    let r = reports.get(name);
    if (r === undefined) {
      r = (await checkImage(imagePath(images, name))).report;
      reports.set(name, r);
    }
    return r;
  };

  beforeAll(async () => {
    images = await buildDebianImages();
  });

  describe.each(GOOD_IMAGES)('%s (good)', (name) => {
    it('passes every high-risk item and decides every item', async () => {
      const r = await report(name);
      const high = r.items.filter(
        (i) => i.riskLevel === 'high' && (i.status === 'fail' || i.status === 'error'),
      );
      expect(high.map(describeItem)).toEqual([]);
      expect(r.items.filter((i) => i.status === 'error').map(describeItem)).toEqual([]);
    });

    it.each(MUST_PASS)('passes %s', async (id) => {
      const i = item(await report(name), id);
      expect(i.status, describeItem(i)).toBe('pass');
    });

    it('reports Debian 12, x86_64, its kernel and its boot mode', async () => {
      const r = await report(name);
      expect(item(r, 'GUESTOS.Platform').value).toMatch(/debian/i);
      expect(item(r, 'GUESTOS.OSVersion').value).toMatch(/^12\b|\b12\.\d+|bookworm/i);
      expect(item(r, 'GUESTOS.Architecture').value).toBe('x86_64');
      expect(item(r, 'GUESTOS.KernelVersion').value).toContain(images.kernelVersion);
      expect(item(r, 'GUESTOS.BootMode').value).toBe(BOOT_MODE[name]);
    });
  });

  describe.each(FAULT_IMAGES)('%s', (name) => {
    const expected = FAULTS[name];

    it('differs from ext4-bios in exactly the items its fault breaks', async () => {
      const good = await report('ext4-bios');
      const bad = await report(name);
      const changed = Object.fromEntries(
        bad.items
          .filter((i) => good.items.find((g) => g.name === i.name)?.status !== i.status)
          .map((i) => [i.name, i.status]),
      );
      expect(changed).toEqual(Object.fromEntries(Object.entries(expected).map(([id, e]) => [id, e.status])));
    });

    it.each(Object.entries(expected))('%s names its evidence', async (id, e) => {
      const i = item(await report(name), id);
      expect(i.message.length).toBeGreaterThan(0);
      expect(i.repair?.text ?? '', 'a failing item carries a repair text').not.toBe('');
      if (e.path === undefined) return;
      const path = e.path(images);
      const files = i.evidence.filter((ev: Evidence) => ev.kind === 'file' && ev.path === path);
      expect(files.length, `evidence of ${describeItem(i)}: ${JSON.stringify(i.evidence)}`).toBeGreaterThan(
        0,
      );
      if (e.line === undefined) return;
      const lines = await guestLines(imagePath(images, name), path);
      const wanted = e.line(lines, images);
      const hit = files.some((ev) => ev.line !== undefined && wanted[ev.line - 1] === true);
      expect(hit, `evidence lines ${files.map((f) => f.line).join(',')} of ${path}`).toBe(true);
    });
  });
});
