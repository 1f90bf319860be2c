import {
  type CollectContext,
  type Collector,
  createGuestTree,
  type Evidence,
  type FactDefinition,
  type FactResult,
  type GuestTreeV2,
  type MbrBootCodeKindV2,
} from '@imagecheck/sdk';
import { isAbsent } from '../guest-files.js';
import type { Architecture } from '../os/architecture.js';
import { BIOS_BOOT_GPT_TYPE, espFilesystem } from './devices.js';

/** The MBR boot code kind a backend reports in `layout.disk.boot` (access contract v2). */
export type BootCodeKind = MbrBootCodeKindV2;

/** Value of `linux.bootMode`. */
export interface BootMode {
  /** `uefi`, `bios`, `uefi-and-bios`, or `none` when neither firmware path finds a loader. */
  readonly mode: 'uefi' | 'bios' | 'uefi-and-bios' | 'none';
  readonly uefi: {
    readonly bootable: boolean;
    /** The ESP: filesystem id and partition number; null when the image has none. */
    readonly esp: {
      readonly filesystem: string;
      readonly partition: number | null;
      readonly type: string;
    } | null;
    /** Loaders found on it (`/EFI/BOOT/BOOTX64.EFI`), with the architecture their name is for. */
    readonly loaders: readonly { readonly path: string; readonly architecture: string }[];
    readonly note: string | null;
  };
  readonly bios: {
    readonly bootable: boolean;
    /** Boot code in sector 0, as the backend identified it; null when the backend does not report it. */
    readonly bootCode: BootCodeKind | null;
    /** GRUB core image embedded after the MBR (MBR-partitioned disks). */
    readonly embeddedCore: string | null;
    readonly biosBootPartition: { readonly partition: number; readonly core: string | null } | null;
    readonly note: string | null;
  };
}

export const bootModeFact: FactDefinition = {
  id: 'linux.bootMode',
  version: '1.0.0',
  description:
    'Firmware paths that can start this disk: UEFI (an EFI system partition holding a loader: EFI/BOOT/BOOT<arch>.EFI, EFI/<vendor>/shim*.efi or grub*.efi) and BIOS (boot code in the MBR, and on GPT a BIOS boot partition holding a GRUB core image).',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['mode', 'uefi', 'bios'],
    properties: {
      mode: { enum: ['uefi', 'bios', 'uefi-and-bios', 'none'] },
      uefi: {
        type: 'object',
        required: ['bootable', 'esp', 'loaders', 'note'],
        properties: {
          bootable: { type: 'boolean' },
          esp: { type: ['object', 'null'] },
          loaders: { type: 'array', items: { type: 'object', required: ['path', 'architecture'] } },
          note: { type: ['string', 'null'] },
        },
      },
      bios: {
        type: 'object',
        required: ['bootable', 'bootCode', 'embeddedCore', 'biosBootPartition', 'note'],
        properties: {
          bootable: { type: 'boolean' },
          bootCode: { enum: ['grub2', 'grub-legacy', 'syslinux', 'windows', 'empty', 'unknown', null] },
          embeddedCore: { type: ['string', 'null'] },
          biosBootPartition: { type: ['object', 'null'] },
          note: { type: ['string', 'null'] },
        },
      },
    },
  },
};

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
  const arch = ctx.guest ? await ctx.fact<Architecture>('linux.architecture') : undefined;
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

export const bootModeCollector: Collector<BootMode> = { fact: 'linux.bootMode', collect: collectBootMode };
