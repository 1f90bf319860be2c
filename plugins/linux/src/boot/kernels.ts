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
import { fileEvidence, listDir, NO_GUEST, pathExists, unlessBug } from '../guest-files.js';
import { bootloaderFact } from './bootloader.js';
import { compareKernelVersions } from './grub.js';

/** Kernels in one /boot; a host keeps a few, a hostile image may hold thousands of names. */
export const MAX_KERNELS = 256;

const installedKernel = Type.Object({
  version: Type.String(),
  image: Type.String({ description: 'Guest path of the image (`/boot/vmlinuz-6.1.0-13-amd64`).' }),
  initrd: Type.Optional(Type.String()),
  modulesDir: Type.Boolean({ description: '`/lib/modules/<version>` exists.' }),
  config: Type.Optional(Type.String({ description: '`/boot/config-<version>`, when present.' })),
  rescue: Type.Boolean({ description: 'A rescue kernel (`vmlinuz-0-rescue-<machine-id>`, RHEL).' }),
});

const defaultKernel = Type.Object({
  version: Type.String(),
  image: Type.String(),
  initrd: Nullable(Type.String()),
  cmdline: Type.String(),
  source: Type.Enum(['grub', 'bls', 'grubenv', 'newest'], {
    description:
      "Where the choice came from: the GRUB default entry, a BLS entry, grubenv's saved_entry, or the newest kernel in /boot.",
  }),
  imageExists: Type.Boolean(),
  initrdExists: Nullable(Type.Boolean()),
  modulesDir: Type.Boolean(),
  config: Type.Optional(Type.String()),
});

export type InstalledKernel = Static<typeof installedKernel>;
export type DefaultKernel = Static<typeof defaultKernel>;

export const kernelsFact = defineFact({
  id: 'linux.kernels',
  version: '1.0.0',
  description:
    "Installed kernels (/boot images, their initramfs, /lib/modules trees, /boot/config-*) and the default kernel: the boot loader's default entry (GRUB default, grubenv saved_entry, BLS), otherwise the newest /boot image, with its command line and whether its image and module tree exist.",
  schema: Type.Object({
    default: Nullable(defaultKernel),
    installed: Type.Array(installedKernel),
    moduleTrees: Type.Array(Type.String(), {
      description: 'Versions with a `/lib/modules/<version>` directory.',
    }),
  }),
});

/** Value of `linux.kernels`. */
export type Kernels = FactValue<typeof kernelsFact>;

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
  const bl = await ctx.fact(bootloaderFact);
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

export const kernelsCollector = defineCollector(kernelsFact, collectKernels);
