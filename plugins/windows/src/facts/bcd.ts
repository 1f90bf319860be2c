import { type BcdDeviceValue, type BcdObject, openBcd } from '@imagecheck/formats';
import {
  type CollectContext,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  type GuestTreeV2,
  isImagecheckError,
  Nullable,
  type Static,
  Type,
} from '@imagecheck/sdk';
import { filesystemOfPartition } from '../provider/mounted-devices.js';
import { fileEvidence, fileExists, guarded, NO_GUEST, unavailable } from './common.js';
import { type BootPartition, bootPartitions, partitionTree } from './system-partitions.js';

const bcdDevice = Type.Object(
  {
    kind: Type.Enum(['partition', 'boot', 'locate', 'ramdisk', 'unknown'], {
      description: '`boot` is the device the boot manager was loaded from.',
    }),
    text: Type.String({
      description: '`MBR disk 1e2d3c4b, partition at byte 17825792`, `GPT disk … partition …`, `boot`...',
    }),
    partition: Nullable(
      Type.Integer({
        description:
          "The partition of this image it names; for `boot`, the store's own partition; null when none.",
      }),
    ),
    filesystem: Nullable(Type.String()),
    matches: Nullable(
      Type.Boolean({
        description:
          'True: names a partition of this image; false: a partition device that names none; null: not a partition device.',
      }),
    ),
  },
  { description: 'A BCD device element as found, and the partition of this image it names.' },
);

/** A BCD device element as found, and the partition of this image it names. */
export type BcdDeviceState = Static<typeof bcdDevice>;

const bcdStore = Type.Object(
  {
    firmware: Type.Enum(['bios', 'uefi']),
    partition: Type.Integer(),
    filesystem: Nullable(Type.String()),
    path: Type.String(),
    bootManager: Type.Boolean({
      description:
        'Whether the boot manager that reads this store is there (`bootmgr`, `EFI\\Microsoft\\Boot\\bootmgfw.efi`).',
    }),
    present: Type.Boolean(),
    parsed: Type.Boolean(),
    error: Nullable(Type.String()),
    defaultId: Nullable(
      Type.String({
        description: "The boot manager's `default` (0x23000003) as stored, null when it has none.",
      }),
    ),
    defaultExists: Type.Boolean({ description: 'Whether that object exists in the store.' }),
    description: Nullable(Type.String()),
    device: Nullable(bcdDevice),
    osDevice: Nullable(bcdDevice),
    applicationPath: Nullable(
      Type.String({
        description: "The default object's application path (`\\Windows\\system32\\winload.exe`).",
      }),
    ),
    applicationPathExists: Nullable(
      Type.Boolean({
        description:
          "Whether that path exists on `device`'s partition; null when the device does not resolve.",
      }),
    ),
    systemRoot: Nullable(Type.String()),
    bootManagerDevice: Nullable(bcdDevice),
  },
  { description: 'One BCD store: where it is, whether it parses, the default object and where it points.' },
);

/** One BCD store: where it is, whether it parses, the default object and where it points. */
export type BcdStoreState = Static<typeof bcdStore>;

export const bcdFact = defineFact({
  id: 'windows.bcd',
  version: '1.0.0',
  description:
    "The BCD stores firmware would use (Boot\\BCD on the active MBR partition, EFI\\Microsoft\\Boot\\BCD on an ESP): whether each parses, the boot manager's default object, its device and osdevice elements matched to this image's partitions (MBR disk signature + byte offset, GPT disk and partition GUIDs), and whether its application path (winload.exe / winload.efi) exists there.",
  schema: Type.Object({ stores: Type.Array(bcdStore) }),
});

/** Value of `windows.bcd`. */
export type WindowsBcd = FactValue<typeof bcdFact>;

/** Stores are small (tens of KiB); a larger one is not a BCD store. */
const MAX_BCD_BYTES = 4 * 1024 * 1024;

function deviceState(
  ctx: CollectContext,
  value: BcdDeviceValue | null,
  store: BootPartition,
): BcdDeviceState | null {
  if (value === null) return null;
  const d = value.device;
  const layout = ctx.layout;
  const at = (n: number | undefined) => ({
    partition: n ?? null,
    filesystem: n === undefined ? null : (filesystemOfPartition(layout, n)?.id ?? null),
  });
  if (d.kind === 'boot') {
    return {
      kind: 'boot',
      text: 'boot (the device the boot manager was loaded from)',
      ...at(store.partition.number),
      matches: true,
    };
  }
  if (d.kind === 'partition') {
    const disk = layout.disk;
    if (d.style === 'mbr') {
      const p =
        disk.partitionTable === 'mbr' && disk.diskId?.toLowerCase() === d.diskId
          ? disk.partitions.find((x) => x.start === d.partitionOffset)
          : undefined;
      return {
        kind: 'partition',
        text: `MBR disk ${d.diskId}, partition at byte ${d.partitionOffset}`,
        ...at(p?.number),
        matches: p !== undefined,
      };
    }
    const p =
      disk.partitionTable === 'gpt' && disk.diskId?.toLowerCase() === d.diskId
        ? disk.partitions.find((x) => x.uuid?.toLowerCase() === d.partitionGuid)
        : undefined;
    return {
      kind: 'partition',
      text: `GPT disk ${d.diskId}, partition ${d.partitionGuid}`,
      ...at(p?.number),
      matches: p !== undefined,
    };
  }
  if (d.kind === 'locate')
    return {
      kind: 'locate',
      text: 'locate (the partition holding the path)',
      partition: null,
      filesystem: null,
      matches: null,
    };
  if (d.kind === 'ramdisk')
    return {
      kind: 'ramdisk',
      text: `ramdisk ${d.imagePath}`,
      partition: null,
      filesystem: null,
      matches: null,
    };
  return { kind: 'unknown', text: d.reason, partition: null, filesystem: null, matches: null };
}

async function storeState(
  ctx: CollectContext,
  bp: BootPartition,
  evidence: Evidence[],
): Promise<BcdStoreState> {
  const path = bp.firmware === 'bios' ? '/Boot/BCD' : '/EFI/Microsoft/Boot/BCD';
  const manager = bp.firmware === 'bios' ? '/bootmgr' : '/EFI/Microsoft/Boot/bootmgfw.efi';
  const tree = bp.tree;
  const empty = {
    bootManager: tree === null ? false : await fileExists(tree, manager),
    firmware: bp.firmware,
    partition: bp.partition.number,
    filesystem: bp.filesystem,
    path,
    defaultId: null,
    defaultExists: false,
    description: null,
    device: null,
    osDevice: null,
    applicationPath: null,
    applicationPathExists: null,
    systemRoot: null,
    bootManagerDevice: null,
  };
  if (tree === null || !(await fileExists(tree, path))) {
    evidence.push(
      fileEvidence(
        path,
        tree === null ? `partition ${bp.partition.number} cannot be read: ${bp.reason}` : 'absent',
        bp.filesystem ?? undefined,
      ),
    );
    return { ...empty, present: false, parsed: false, error: null };
  }
  let objDefault: BcdObject | null;
  let store: Awaited<ReturnType<typeof openBcd>>;
  try {
    store = await openBcd(await tree.readFile(path, { maxBytes: MAX_BCD_BYTES }));
    objDefault = store.default;
  } catch (err) {
    if (!isImagecheckError(err) || !err.userFacing) throw err;
    evidence.push(fileEvidence(path, `does not parse: ${err.code}`, bp.filesystem ?? undefined));
    return { ...empty, present: true, parsed: false, error: `${err.code}: ${err.message}` };
  }
  const device = deviceState(ctx, objDefault?.device ?? null, bp);
  const osDevice = deviceState(ctx, objDefault?.osDevice ?? null, bp);
  const applicationPath = objDefault?.applicationPath ?? null;
  let applicationPathExists: boolean | null = null;
  if (applicationPath !== null && device?.partition != null) {
    const t: GuestTreeV2 | null =
      device.partition === bp.partition.number ? tree : await partitionTree(ctx, device.partition);
    if (t !== null) applicationPathExists = await fileExists(t, applicationPath.replace(/\\/g, '/'));
  }
  evidence.push(
    fileEvidence(
      path,
      `default ${store.defaultId ?? 'none'}${objDefault ? ` (${objDefault.description ?? 'no description'}): device ${device?.text ?? 'none'}, osdevice ${osDevice?.text ?? 'none'}, path ${applicationPath ?? 'none'}` : ''}`,
      bp.filesystem ?? undefined,
    ),
  );
  return {
    ...empty,
    present: true,
    parsed: true,
    error: null,
    defaultId: store.defaultId,
    defaultExists: objDefault !== null,
    description: objDefault?.description ?? null,
    device,
    osDevice,
    applicationPath,
    applicationPathExists,
    systemRoot: objDefault?.systemRoot ?? null,
    bootManagerDevice: deviceState(ctx, store.bootManager?.device ?? null, bp),
  };
}

async function collect(ctx: CollectContext): Promise<FactResult<WindowsBcd>> {
  // The boot partitions are looked at for a Windows root only: on another OS's root they are that OS's business.
  if (ctx.root?.os !== 'windows')
    return unavailable(ctx.root ? `the root ${ctx.root.id} is ${ctx.root.os}, not Windows` : NO_GUEST);
  return guarded<WindowsBcd>(async () => {
    const evidence: Evidence[] = [];
    const stores: BcdStoreState[] = [];
    for (const bp of await bootPartitions(ctx)) stores.push(await storeState(ctx, bp, evidence));
    if (stores.length === 0)
      evidence.push({ kind: 'image', note: 'no active MBR partition and no EFI system partition' });
    return { status: 'ok', value: { stores }, evidence };
  });
}

export const bcdCollector = defineCollector(bcdFact, collect);
