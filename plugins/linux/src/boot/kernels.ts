import type {
  CollectContext,
  Collector,
  Evidence,
  FactDefinition,
  FactResult,
  GuestTreeV2,
} from '@imagecheck/sdk';
import { fileEvidence, listDir, NO_GUEST, pathExists, unlessBug } from '../guest-files.js';
import type { Bootloader } from './bootloader.js';
import { compareKernelVersions } from './grub.js';

/** Kernels in one /boot; a host keeps a few, a hostile image may hold thousands of names. */
export const MAX_KERNELS = 256;

export interface InstalledKernel {
  readonly version: string;
  /** Guest path of the image (`/boot/vmlinuz-6.1.0-13-amd64`). */
  readonly image: string;
  readonly initrd?: string;
  /** `/lib/modules/<version>` exists. */
  readonly modulesDir: boolean;
  /** `/boot/config-<version>`, when present. */
  readonly config?: string;
  /** A rescue kernel (`vmlinuz-0-rescue-<machine-id>`, RHEL). */
  readonly rescue: boolean;
}

export interface DefaultKernel {
  readonly version: string;
  readonly image: string;
  readonly initrd: string | null;
  readonly cmdline: string;
  /** Where the choice came from: the GRUB default entry, a BLS entry, grubenv's saved_entry, or the newest kernel in /boot. */
  readonly source: 'grub' | 'bls' | 'grubenv' | 'newest';
  readonly imageExists: boolean;
  readonly initrdExists: boolean | null;
  readonly modulesDir: boolean;
  readonly config?: string;
}

/** Value of `linux.kernels`. The drivers area reads `default.version`; keep this shape stable. */
export interface Kernels {
  readonly default: DefaultKernel | null;
  readonly installed: readonly InstalledKernel[];
  /** Versions with a `/lib/modules/<version>` directory. */
  readonly moduleTrees: readonly string[];
}

const kernelSchema = {
  type: 'object',
  required: ['version', 'image', 'modulesDir', 'rescue'],
  properties: {
    version: { type: 'string' },
    image: { type: 'string' },
    initrd: { type: 'string' },
    modulesDir: { type: 'boolean' },
    config: { type: 'string' },
    rescue: { type: 'boolean' },
  },
} as const;

export const kernelsFact: FactDefinition = {
  id: 'linux.kernels',
  version: '1.0.0',
  description:
    "Installed kernels (/boot images, their initramfs, /lib/modules trees, /boot/config-*) and the default kernel: the boot loader's default entry (GRUB default, grubenv saved_entry, BLS), otherwise the newest /boot image, with its command line and whether its image and module tree exist.",
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['default', 'installed', 'moduleTrees'],
    properties: {
      default: {
        type: ['object', 'null'],
        required: ['version', 'image', 'initrd', 'cmdline', 'source', 'imageExists', 'modulesDir'],
        properties: {
          version: { type: 'string' },
          image: { type: 'string' },
          initrd: { type: ['string', 'null'] },
          cmdline: { type: 'string' },
          source: { enum: ['grub', 'bls', 'grubenv', 'newest'] },
          imageExists: { type: 'boolean' },
          initrdExists: { type: ['boolean', 'null'] },
          modulesDir: { type: 'boolean' },
          config: { type: 'string' },
        },
      },
      installed: { type: 'array', items: kernelSchema },
      moduleTrees: { type: 'array', items: { type: 'string' } },
    },
  },
};

const IMAGE_RE = /^(?:vmlinuz|vmlinux|Image|bzImage|kernel|uImage)-(.+)$/;
const INITRD_NAMES = (v: string): string[] => [
  `initrd.img-${v}`,
  `initramfs-${v}.img`,
  `initrd-${v}`,
  `initramfs-${v}`,
  `initrd-${v}.img`,
];

/** The version a kernel file name carries; Alpine's flavours (`vmlinuz-virt`) map to `/lib/modules/*-virt`. */
export function versionFromImage(name: string, moduleTrees: readonly string[]): string | undefined {
  const m = IMAGE_RE.exec(name);
  if (!m) return undefined;
  const v = m[1] as string;
  if (/^\d/.test(v)) return v;
  const flavoured = moduleTrees.filter((t) => t.endsWith(`-${v}`)).sort(compareKernelVersions);
  return flavoured[flavoured.length - 1] ?? v;
}

async function firstExisting(
  tree: GuestTreeV2,
  dir: string,
  names: readonly string[],
): Promise<string | undefined> {
  for (const n of names) if (await pathExists(tree, `${dir}/${n}`)) return `${dir}/${n}`;
  return undefined;
}

async function collectKernels(ctx: CollectContext): Promise<FactResult<Kernels>> {
  const guest = ctx.guest;
  if (!guest) return { status: 'unavailable', reason: NO_GUEST, evidence: [] };
  const evidence: Evidence[] = [];
  const moduleTrees = (await listDir(guest, '/lib/modules', MAX_KERNELS)).sort(compareKernelVersions);
  const bootNames = await listDir(guest, '/boot', 4 * MAX_KERNELS);
  const installed: InstalledKernel[] = [];
  for (const name of bootNames) {
    if (installed.length >= MAX_KERNELS) break;
    if (name.endsWith('.hmac') || name.endsWith('.sig') || name.endsWith('.old')) continue;
    const version = versionFromImage(name, moduleTrees);
    if (!version) continue;
    const image = `/boot/${name}`;
    const st = await guest.stat(image).catch(unlessBug(undefined));
    if (st?.type !== 'file') continue;
    const flavour = IMAGE_RE.exec(name)?.[1] as string;
    const initrd = await firstExisting(guest, '/boot', [
      ...INITRD_NAMES(version),
      ...(flavour !== version ? INITRD_NAMES(flavour) : []),
    ]);
    const config = await firstExisting(guest, '/boot', [
      `config-${version}`,
      ...(flavour !== version ? [`config-${flavour}`] : []),
    ]);
    installed.push({
      version,
      image,
      ...(initrd ? { initrd } : {}),
      modulesDir: moduleTrees.includes(version),
      ...(config ? { config } : {}),
      rescue: version.includes('rescue'),
    });
    evidence.push(fileEvidence(image, undefined, undefined, 'kernel image'));
  }
  installed.sort((a, b) => compareKernelVersions(a.version, b.version));

  let def: DefaultKernel | null = null;
  const bl = await ctx.fact<Bootloader>('linux.bootloader');
  const entry = bl.status === 'ok' ? bl.value.defaultEntry : null;
  if (bl.status === 'ok' && entry?.kernel) {
    const image = guestKernelPath(ctx, entry.filesystem, entry.kernelPath ?? entry.kernel);
    let real = image;
    // A missing or unreadable image is reported through imageExists.
    real = await guest.realpath(image).catch(unlessBug(image));
    const base = real.slice(real.lastIndexOf('/') + 1);
    const version =
      versionFromImage(base, moduleTrees) ??
      (base === 'vmlinuz' || base === 'vmlinux' ? (moduleTrees[moduleTrees.length - 1] ?? base) : base);
    const initrdInner = entry.initrdPaths[entry.initrdPaths.length - 1];
    const initrd = initrdInner === undefined ? null : guestKernelPath(ctx, entry.filesystem, initrdInner);
    const config = installed.find((k) => k.version === version)?.config;
    def = {
      version,
      image: real,
      initrd,
      cmdline: entry.cmdline,
      source: entry.source === 'grubenv' ? 'grubenv' : entry.source === 'bls' ? 'bls' : 'grub',
      imageExists:
        entry.kernelExists === true || (entry.kernelExists === null && (await pathExists(guest, real))),
      initrdExists: entry.initrdExists,
      modulesDir: moduleTrees.includes(version),
      ...(config ? { config } : {}),
    };
    evidence.push(fileEvidence(entry.file, entry.line, `linux ${entry.kernel}`, 'default boot entry'));
  } else {
    const newest = installed.filter((k) => !k.rescue).at(-1) ?? installed.at(-1);
    if (newest) {
      def = {
        version: newest.version,
        image: newest.image,
        initrd: newest.initrd ?? null,
        cmdline: '',
        source: 'newest',
        imageExists: true,
        initrdExists: newest.initrd ? true : null,
        modulesDir: newest.modulesDir,
        ...(newest.config ? { config: newest.config } : {}),
      };
    }
  }
  if (moduleTrees.length > 0)
    evidence.push(fileEvidence('/lib/modules', undefined, moduleTrees.join(' '), 'kernel module trees'));
  return { status: 'ok', value: { default: def, installed, moduleTrees }, evidence };
}

/** A path GRUB loads from filesystem `fsId` as the guest sees it (`/vmlinuz-…` on a separate /boot is `/boot/vmlinuz-…`). */
function guestKernelPath(ctx: CollectContext, fsId: string | null, inner: string): string {
  const guest = ctx.guest;
  if (!guest || fsId === null || fsId === guest.root.filesystem) return inner;
  const m = guest.mounts.find((x) => x.filesystem === fsId && x.mountpoint !== '/');
  return m ? `${m.mountpoint}${inner}` : inner;
}

export const kernelsCollector: Collector<Kernels> = { fact: 'linux.kernels', collect: collectKernels };
