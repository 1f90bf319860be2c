import {
  type CollectContext,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { bootloaderFact } from './bootloader.js';
import { kernelsFact } from './kernels.js';

export const systemImageFact = defineFact({
  id: 'linux.systemImage',
  version: '1.0.0',
  description:
    'Whether the image is a bootable Linux system disk: a partition table or filesystem recognised, an OS root found, a boot loader configuration and a kernel present; otherwise why not (empty, all zero, ISO9660, encrypted, data-only).',
  schema: Type.Object({
    verdict: Type.Enum(
      [
        'ok',
        'empty',
        'zero',
        'iso9660',
        'encrypted',
        'unrecognised',
        'data-only',
        'not-linux',
        'no-bootloader',
        'no-kernel',
      ],
      {
        description:
          '`ok`, or the first reason it is not a system disk: `empty` (size 0), `zero` (all zero), `iso9660` (an installer/live CD image), `encrypted` (LUKS/BitLocker), `unrecognised` (no partition table nor filesystem), `data-only` (filesystems but no OS root), `not-linux`, `no-bootloader`, `no-kernel`.',
      },
    ),
    partitionTable: Type.String(),
    filesystems: Type.Array(Type.String()),
    encrypted: Type.Array(Type.String()),
    root: Nullable(Type.String()),
    bootloader: Nullable(Type.String()),
    kernel: Nullable(Type.String()),
    reason: Type.String(),
  }),
});

/** Value of `linux.systemImage`: whether the disk is a bootable system disk, and if not, why not. */
export type SystemImage = FactValue<typeof systemImageFact>;

async function collectSystemImage(ctx: CollectContext): Promise<FactResult<SystemImage>> {
  const { layout } = ctx;
  const d = layout.disk;
  const fss = layout.filesystems.map((f) => `${f.id}:${f.type}`);
  const encrypted = layout.filesystems
    .filter((f) => f.type === 'luks' || f.type === 'bitlocker')
    .map((f) => `${f.id}:${f.type}`);
  const root = ctx.root;
  const evidence: Evidence[] = [
    {
      kind: 'image',
      note: `partition table ${d.partitionTable}; filesystems: ${fss.join(', ') || 'none'}${d.detected ? `; detected ${d.detected}` : ''}`,
    },
  ];
  const base = { partitionTable: d.partitionTable, filesystems: fss, encrypted, root: root ? root.id : null };
  const done = (
    verdict: SystemImage['verdict'],
    reason: string,
    extra: Partial<SystemImage> = {},
  ): FactResult<SystemImage> => ({
    status: 'ok',
    value: { ...base, bootloader: null, kernel: null, ...extra, verdict, reason },
    evidence,
  });
  if (d.detected === 'empty' || d.virtualSize === 0) return done('empty', 'the image is empty (0 bytes)');
  if (d.detected === 'zero')
    return done('zero', 'every sampled byte of the image is zero: nothing was ever written to it');
  if (d.detected === 'iso9660')
    return done(
      'iso9660',
      'the image is an ISO9660 CD/DVD image (an installer or live medium), not a system disk',
    );
  if (!root) {
    if (encrypted.length > 0)
      return done(
        'encrypted',
        `the image holds encrypted volumes (${encrypted.join(', ')}) whose contents cannot be checked offline; no unencrypted OS root was found`,
      );
    if (d.partitionTable === 'none' && layout.filesystems.length === 0)
      return done('unrecognised', 'no partition table and no filesystem was recognised');
    return done(
      'data-only',
      `no operating system root was found among the filesystems (${fss.join(', ') || 'none'}): a data disk`,
    );
  }
  if (root.os !== 'linux') return done('not-linux', `the OS root ${root.id} is ${root.os}`);
  const bl = await ctx.fact(bootloaderFact);
  const k = await ctx.fact(kernelsFact);
  const bootloader =
    bl.status === 'ok' && bl.value.kind !== 'none'
      ? `${bl.value.kind}${bl.value.config ? ` (${bl.value.config})` : ''}`
      : null;
  const kernel = k.status === 'ok' && k.value.default?.imageExists ? k.value.default.image : null;
  if (bl.status === 'ok') evidence.push(...bl.evidence.slice(0, 2));
  if (k.status === 'ok') evidence.push(...k.evidence.slice(0, 2));
  if (!bootloader) {
    return done(
      'no-bootloader',
      bl.status === 'ok'
        ? 'no boot loader configuration (grub.cfg, BLS entries, extlinux.conf) was found'
        : `the boot loader configuration could not be read: ${bl.reason}`,
      { kernel },
    );
  }
  if (!kernel) {
    return done(
      'no-kernel',
      k.status === 'ok' ? 'no kernel image was found in /boot' : `the kernels could not be read: ${k.reason}`,
      { bootloader },
    );
  }
  return done('ok', `OS root ${root.id}, boot loader ${bootloader}, kernel ${kernel}`, {
    bootloader,
    kernel,
  });
}

export const systemImageCollector = defineCollector(systemImageFact, collectSystemImage);
