import {
  type CollectContext,
  createGuestTree,
  type GuestTreeV2,
  type ImageLayoutV2,
  isImagecheckError,
  type PartitionInfoV2,
  UnsupportedError,
} from '@imagecheck/sdk';
import { filesystemOfPartition } from '../provider/mounted-devices.js';

/** The GPT type of an EFI system partition (upper case, as the layout reports GPT types). */
export const ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';

/** A partition firmware boots Windows from: the active MBR partition (BIOS) or an ESP (UEFI). */
export interface BootPartition {
  readonly firmware: 'bios' | 'uefi';
  readonly partition: PartitionInfoV2;
  readonly filesystem: string | null;
  /** Its files, when the backend can read its filesystem. */
  readonly tree: GuestTreeV2 | null;
  /** Why `tree` is null. */
  readonly reason: string | null;
}

export function biosSystemPartition(layout: ImageLayoutV2): PartitionInfoV2 | undefined {
  if (layout.disk.partitionTable !== 'mbr') return undefined;
  return layout.disk.partitions.find((p) => p.bootable === true && p.kind !== 'extended');
}

export function espPartitions(layout: ImageLayoutV2): PartitionInfoV2[] {
  return layout.disk.partitions.filter(
    (p) => p.type.toUpperCase() === ESP_TYPE || p.type.toLowerCase() === '0xef',
  );
}

async function openPartition(
  ctx: CollectContext,
  firmware: 'bios' | 'uefi',
  p: PartitionInfoV2,
): Promise<BootPartition> {
  const fs = filesystemOfPartition(ctx.layout, p.number);
  if (fs === undefined)
    return { firmware, partition: p, filesystem: null, tree: null, reason: 'no filesystem on it' };
  if (!fs.readable)
    return { firmware, partition: p, filesystem: fs.id, tree: null, reason: `${fs.type} cannot be read` };
  try {
    const node = await ctx.access.openFilesystem(fs.id);
    return {
      firmware,
      partition: p,
      filesystem: fs.id,
      tree: createGuestTree([{ mountpoint: '/', fs: node }]),
      reason: null,
    };
  } catch (err) {
    if (err instanceof UnsupportedError || (isImagecheckError(err) && err.userFacing)) {
      return { firmware, partition: p, filesystem: fs.id, tree: null, reason: (err as Error).message };
    }
    throw err;
  }
}

/** The partitions firmware would boot Windows from, opened: the BIOS system partition, then each ESP. */
export async function bootPartitions(ctx: CollectContext): Promise<BootPartition[]> {
  const out: BootPartition[] = [];
  const sys = biosSystemPartition(ctx.layout);
  if (sys) out.push(await openPartition(ctx, 'bios', sys));
  for (const esp of espPartitions(ctx.layout)) out.push(await openPartition(ctx, 'uefi', esp));
  return out;
}

/** The files of a partition of this image, opened on demand (a BCD device's partition). */
export async function partitionTree(ctx: CollectContext, number: number): Promise<GuestTreeV2 | null> {
  const p = ctx.layout.disk.partitions.find((x) => x.number === number);
  if (p === undefined) return null;
  return (await openPartition(ctx, 'bios', p)).tree;
}
