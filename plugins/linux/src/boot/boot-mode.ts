import {
  type CollectContext,
  createGuestTree,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  type GuestTreeV2,
  type MbrBootCodeKindV2,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { isAbsent } from '../guest-files.js';
import { architectureFact } from '../os/architecture.js';
import { BIOS_BOOT_GPT_TYPE, espFilesystem } from './devices.js';

/** The MBR boot code kinds a backend reports in `layout.disk.boot` (access contract v2). */
const BOOT_CODE_KINDS = ['grub2', 'grub-legacy', 'syslinux', 'windows', 'empty', 'unknown'] as const;
export type BootCodeKind = (typeof BOOT_CODE_KINDS)[number];
// The list above is the access contract's: a kind added there must be added here.
const _sameKinds: [BootCodeKind, MbrBootCodeKindV2] extends [MbrBootCodeKindV2, BootCodeKind] ? true : never =
  true;

export const bootModeFact = defineFact({
  id: 'linux.bootMode',
  version: '1.0.0',
  description:
    'Firmware paths that can start this disk: UEFI (an EFI system partition holding a loader: EFI/BOOT/BOOT<arch>.EFI, EFI/<vendor>/shim*.efi or grub*.efi) and BIOS (boot code in the MBR, and on GPT a BIOS boot partition holding a GRUB core image).',
  schema: Type.Object({
    mode: Type.Enum(['uefi', 'bios', 'uefi-and-bios', 'none'], {
      description: '`uefi`, `bios`, `uefi-and-bios`, or `none` when neither firmware path finds a loader.',
    }),
    uefi: Type.Object({
      bootable: Type.Boolean(),
      esp: Nullable(
        Type.Object(
          { filesystem: Type.String(), partition: Nullable(Type.Integer()), type: Type.String() },
          { description: 'The ESP: filesystem id and partition number; null when the image has none.' },
        ),
      ),
      loaders: Type.Array(Type.Object({ path: Type.String(), architecture: Type.String() }), {
        description:
          'Loaders found on it (`/EFI/BOOT/BOOTX64.EFI`), with the architecture their name is for.',
      }),
      note: Nullable(Type.String()),
    }),
    bios: Type.Object({
      bootable: Type.Boolean(),
      bootCode: Nullable(
        Type.Enum(BOOT_CODE_KINDS, {
          description:
            'Boot code in sector 0, as the backend identified it; null when the backend does not report it.',
        }),
      ),
      embeddedCore: Nullable(
        Type.String({ description: 'GRUB core image embedded after the MBR (MBR-partitioned disks).' }),
      ),
      biosBootPartition: Nullable(Type.Object({ partition: Type.Integer(), core: Nullable(Type.String()) })),
      note: Nullable(Type.String()),
    }),
  }),
});

/** Value of `linux.bootMode`. */
export type BootMode = FactValue<typeof bootModeFact>;

/** UEFI removable-media names (UEFI 2.10 §3.5.1.1) and the distributions' shim/GRUB names, by architecture. */
const ARCH_SUFFIX: Record<string, string> = {
  x64: 'x86_64',
  aa64: 'aarch64',
  ia32: 'i386',
  riscv64: 'riscv64',
  loongarch64: 'loongarch64',
  arm: 'arm',
};
const LOADER_RE = /^(?:boot|shim|grub)(x64|aa64|ia32|riscv64|loongarch64|arm)\.efi$/i;
const MAX_ESP_VENDORS = 64;

async function names(tree: GuestTreeV2, dir: string): Promise<{ name: string; type: string }[]> {
  try {
    return (await tree.readdir(dir)).slice(0, 512);
  } catch (err) {
    if (isAbsent(err)) return [];
    throw err;
  }
}

async function collectBootMode(ctx: CollectContext): Promise<FactResult<BootMode>> {
  const { layout } = ctx;
  const evidence: Evidence[] = [];
  // UEFI.
  const espFs = espFilesystem(ctx);
  const loaders: { path: string; architecture: string }[] = [];
  let uefiNote: string | null = null;
  if (!espFs) uefiNote = 'no EFI system partition';
  else if (!espFs.readable) uefiNote = `the EFI system partition holds ${espFs.type}, which cannot be read`;
  else {
    const tree = createGuestTree([{ mountpoint: '/', fs: await ctx.access.openFilesystem(espFs.id) }]);
    const efi = (await names(tree, '/')).find((e) => e.type === 'dir' && e.name.toUpperCase() === 'EFI');
    if (efi) {
      for (const vendor of (await names(tree, `/${efi.name}`))
        .filter((e) => e.type === 'dir')
        .slice(0, MAX_ESP_VENDORS)) {
        for (const f of await names(tree, `/${efi.name}/${vendor.name}`)) {
          const m = LOADER_RE.exec(f.name);
          if (!m || f.type !== 'file') continue;
          // EFI/BOOT holds only BOOT<arch>.EFI; vendor folders hold shim/grub.
          const isBootDir = vendor.name.toUpperCase() === 'BOOT';
          if (isBootDir !== f.name.toLowerCase().startsWith('boot')) continue;
          loaders.push({
            path: `/${efi.name}/${vendor.name}/${f.name}`,
            architecture: ARCH_SUFFIX[(m[1] as string).toLowerCase()] ?? 'unknown',
          });
        }
      }
    }
    if (loaders.length === 0)
      uefiNote =
        'the EFI system partition holds no boot loader (EFI/BOOT/BOOT<arch>.EFI, EFI/<vendor>/shim or grub)';
  }
  // Firmware only starts a loader built for its own architecture: an x86_64 guest needs *x64.efi.
  const arch = ctx.guest ? await ctx.fact(architectureFact) : undefined;
  const guestArch = arch?.status === 'ok' ? arch.value.architecture : undefined;
  const usable = guestArch === undefined ? loaders : loaders.filter((l) => l.architecture === guestArch);
  if (loaders.length > 0 && usable.length === 0) {
    uefiNote = `the EFI system partition holds loaders for ${[...new Set(loaders.map((l) => l.architecture))].join(', ')} only, not for ${guestArch}`;
  }
  const espPart = espFs?.location.kind === 'partition' ? espFs.location.partition : null;
  if (espFs)
    evidence.push({
      kind: 'partition',
      ...(espPart === null ? {} : { partition: espPart }),
      filesystem: espFs.id,
      note: `EFI system partition (${espFs.type}); loaders: ${loaders.map((l) => l.path).join(', ') || 'none'}`,
    });

  // BIOS.
  const boot = layout.disk.boot;
  const mbr = boot.mbrBootCode;
  const bootCode: BootCodeKind | null = mbr.known ? mbr.kind : null;
  const embedded = mbr.known ? (mbr.embeddedCore ?? null) : null;
  const bbpPart = layout.disk.partitions.find((p) => p.type.toUpperCase() === BIOS_BOOT_GPT_TYPE);
  const biosBootPartition = bbpPart
    ? {
        partition: bbpPart.number,
        core: boot.biosBootPartition?.partition === bbpPart.number ? boot.biosBootPartition.core : null,
      }
    : null;
  let biosNote: string | null = null;
  let biosOk = false;
  const hasCode = bootCode !== null && bootCode !== 'empty' && bootCode !== 'windows';
  if (mbr.known === false) {
    biosNote = `the MBR boot code is not known: ${mbr.reason}`;
    biosOk = biosBootPartition !== null && biosBootPartition.core !== 'empty';
  } else if (!hasCode) {
    biosNote = bootCode === 'empty' ? 'the MBR holds no boot code' : 'the MBR holds Windows boot code';
  } else if (layout.disk.partitionTable === 'gpt' && bootCode === 'grub2') {
    biosOk = biosBootPartition !== null && biosBootPartition.core === 'grub2' && embedded !== 'missing';
    if (!biosOk)
      biosNote = biosBootPartition
        ? 'the BIOS boot partition holds no GRUB core image'
        : "GRUB's boot.img is in the MBR but the GPT disk has no BIOS boot partition for its core image";
  } else if (bootCode === 'grub2' && layout.disk.partitionTable === 'mbr') {
    biosOk = embedded === 'grub2' || embedded === null;
    if (embedded === null) biosNote = 'the GRUB core image after the MBR was not identified';
  } else biosOk = true;
  evidence.push({
    kind: 'image',
    note: `MBR boot code: ${bootCode ?? 'not reported'}${biosBootPartition ? `; BIOS boot partition ${biosBootPartition.partition} (core: ${biosBootPartition.core ?? 'not reported'})` : ''}`,
  });

  const uefiOk = usable.length > 0;
  const mode: BootMode['mode'] =
    uefiOk && biosOk ? 'uefi-and-bios' : uefiOk ? 'uefi' : biosOk ? 'bios' : 'none';
  return {
    status: 'ok',
    value: {
      mode,
      uefi: {
        bootable: uefiOk,
        esp: espFs ? { filesystem: espFs.id, partition: espPart, type: espFs.type } : null,
        loaders,
        note: uefiNote,
      },
      bios: { bootable: biosOk, bootCode, embeddedCore: embedded, biosBootPartition, note: biosNote },
    },
    evidence,
  };
}

export const bootModeCollector = defineCollector(bootModeFact, collectBootMode);
