import { ByteView } from '@imagecheck/binary';
import {
  type CollectContext,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  type GuestTreeV2,
  isUnresolvable,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { kernelsFact } from '../boot/kernels.js';
import { fileEvidence, NO_GUEST, readHead } from '../guest-files.js';

export const architectureFact = defineFact({
  id: 'linux.architecture',
  version: '1.0.0',
  description:
    "The guest's CPU architecture from the ELF header (class, data, e_machine) of /sbin/init or /bin/sh after symlink resolution inside the guest, cross-checked with the kernel images' boot headers (x86 bzImage, arm64/riscv Image).",
  schema: Type.Object({
    architecture: Type.String({
      description:
        '`x86_64`, `i386`, `aarch64`, `arm`, `ppc64le`, `ppc64`, `s390x`, `riscv64`, `loongarch64`, ...',
    }),
    bits: Type.Enum([32, 64]),
    endian: Type.Enum(['little', 'big']),
    elfMachine: Type.Integer({ description: 'ELF `e_machine` of the binary read.' }),
    binary: Type.String({
      description: 'The binary read (after symlinks): `/usr/lib/systemd/systemd`, `/bin/busybox`.',
    }),
    kernels: Type.Array(
      Type.Object({
        image: Type.String(),
        architecture: Nullable(Type.String()),
        format: Type.String(),
      }),
      {
        description:
          'Kernel images and the architecture their boot header names (`null`: compressed or unknown format).',
      },
    ),
    consistent: Type.Boolean({
      description: 'False when a kernel image names another architecture than userland.',
    }),
  }),
});

/** Value of `linux.architecture`. */
export type Architecture = FactValue<typeof architectureFact>;

/** Binaries tried in order; `/sbin/init` is systemd, sysvinit or busybox depending on the distribution. */
const CANDIDATES = [
  '/sbin/init',
  '/usr/lib/systemd/systemd',
  '/lib/systemd/systemd',
  '/bin/sh',
  '/usr/bin/sh',
  '/bin/busybox',
];
/** Kernel images inspected for the cross-check. */
const MAX_KERNEL_IMAGES = 8;

/**
 * ELF identification (System V ABI, "ELF Header"): bytes 0-3 `\x7fELF`, [4] EI_CLASS (1 = 32-bit,
 * 2 = 64-bit), [5] EI_DATA (1 = little, 2 = big endian), e_machine a u16 at offset 18 in the
 * file's byte order. Machine numbers from the ELF registry (`EM_*` in elf.h).
 */
export function elfArchitecture(
  h: Uint8Array,
): Omit<Architecture, 'binary' | 'kernels' | 'consistent'> | undefined {
  if (h.length < 20 || h[0] !== 0x7f || h[1] !== 0x45 || h[2] !== 0x4c || h[3] !== 0x46) return undefined;
  const cls = h[4];
  const data = h[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  const bits = cls === 2 ? 64 : 32;
  const endian = data === 1 ? 'little' : 'big';
  const header = new ByteView(h, 'ELF header');
  const machine = data === 1 ? header.u16le(18, 'e_machine') : header.u16be(18, 'e_machine');
  const name = ((): string => {
    switch (machine) {
      case 3:
        return 'i386';
      case 62:
        return 'x86_64';
      case 183:
        return 'aarch64';
      case 40:
        return 'arm';
      case 21:
        return endian === 'little' ? 'ppc64le' : 'ppc64';
      case 20:
        return 'ppc';
      case 22:
        return bits === 64 ? 's390x' : 's390';
      case 243:
        return bits === 64 ? 'riscv64' : 'riscv32';
      case 258:
        return bits === 64 ? 'loongarch64' : 'loongarch32';
      case 8:
        return `mips${bits === 64 ? '64' : ''}${endian === 'little' ? 'el' : ''}`;
      default:
        return `elf-machine-${machine}`;
    }
  })();
  return { architecture: name, bits, endian, elfMachine: machine };
}

/**
 * The architecture a kernel image's own header names.
 * - x86 bzImage (Documentation/arch/x86/boot.rst): "HdrS" at 0x202, boot protocol version u16 at
 *   0x206; from protocol 2.12, `xloadflags` u16 at 0x236 bit 0 (XLF_KERNEL_64) marks a 64-bit kernel.
 * - arm64 Image (Documentation/arch/arm64/booting.rst): magic "ARM\x64" at 0x38.
 * - RISC-V Image (Documentation/arch/riscv/boot-image-header.rst): magic2 "RSC\x05" at 0x38.
 * Compressed images (gzip `1f 8b`, EFI zboot "zimg" at 4) do not say without decompressing.
 */
export function kernelImageArchitecture(h: Uint8Array): { architecture: string | null; format: string } {
  const at = (o: number, s: string): boolean => [...s].every((c, i) => h[o + i] === c.charCodeAt(0));
  if (h.length >= 0x238 && at(0x202, 'HdrS')) {
    const setup = new ByteView(h, 'bzImage setup header');
    const proto = setup.u16le(0x206, 'version');
    if (proto >= 0x20c) {
      const xl = setup.u16le(0x236, 'xloadflags');
      return { architecture: xl & 1 ? 'x86_64' : 'i386', format: 'bzImage' };
    }
    return { architecture: null, format: 'bzImage' };
  }
  if (h.length >= 0x3c && at(0x38, 'ARM\x64')) return { architecture: 'aarch64', format: 'arm64-image' };
  if (h.length >= 0x3c && at(0x38, 'RSC\x05')) return { architecture: 'riscv64', format: 'riscv-image' };
  if (h.length >= 8 && at(0, 'MZ') && at(4, 'zimg')) return { architecture: null, format: 'efi-zboot' };
  if (h.length >= 2 && h[0] === 0x1f && h[1] === 0x8b) return { architecture: null, format: 'gzip' };
  const elf = elfArchitecture(h);
  if (elf) return { architecture: elf.architecture, format: 'elf' };
  return { architecture: null, format: 'unknown' };
}

async function realpathOrUndefined(g: GuestTreeV2, p: string): Promise<string | undefined> {
  try {
    return await g.realpath(p);
  } catch (err) {
    if (isUnresolvable(err)) return undefined;
    throw err;
  }
}

async function collectArchitecture(ctx: CollectContext): Promise<FactResult<Architecture>> {
  const g = ctx.guest;
  if (!g) return { status: 'unavailable', reason: NO_GUEST, evidence: [] };
  const evidence: Evidence[] = [];
  let found: (Omit<Architecture, 'binary' | 'kernels' | 'consistent'> & { binary: string }) | undefined;
  const tried: string[] = [];
  for (const c of CANDIDATES) {
    const real = await realpathOrUndefined(g, c);
    if (!real) continue;
    const head = await readHead(g, real, 64);
    tried.push(real);
    const elf = head ? elfArchitecture(head) : undefined;
    if (elf) {
      found = { ...elf, binary: real };
      evidence.push(
        fileEvidence(
          real,
          undefined,
          undefined,
          `ELF ${elf.bits}-bit ${elf.endian}-endian, e_machine ${elf.elfMachine}${real !== c ? ` (${c} → ${real})` : ''}`,
        ),
      );
      break;
    }
  }
  if (!found) {
    return {
      status: 'unavailable',
      reason: tried.length
        ? `no ELF header in ${tried.join(', ')}`
        : `none of ${CANDIDATES.join(', ')} exists`,
      code: 'linux/no-elf',
      evidence,
    };
  }
  const kernels: { image: string; architecture: string | null; format: string }[] = [];
  const k = await ctx.fact(kernelsFact);
  if (k.status === 'ok') {
    const images = [
      ...new Set([
        ...(k.value.default?.imageExists ? [k.value.default.image] : []),
        ...k.value.installed.map((x) => x.image),
      ]),
    ];
    for (const image of images.slice(0, MAX_KERNEL_IMAGES)) {
      const head = await readHead(g, image, 0x240);
      if (!head) continue;
      kernels.push({ image, ...kernelImageArchitecture(head) });
    }
  }
  const compatible = (kernelArch: string): boolean =>
    kernelArch === found.architecture || (kernelArch === 'x86_64' && found.architecture === 'i386');
  const mismatched = kernels.filter((x) => x.architecture !== null && !compatible(x.architecture));
  for (const m of mismatched)
    evidence.push(fileEvidence(m.image, undefined, undefined, `kernel image is ${m.architecture}`));
  return {
    status: 'ok',
    value: { ...found, kernels, consistent: mismatched.length === 0 },
    evidence,
  };
}

export const architectureCollector = defineCollector(architectureFact, collectArchitecture);
