import { ByteView } from '@imagecheck/binary';
import type { Hive } from '@imagecheck/formats';
import type { FilesystemInfoV2, ImageLayoutV2, PartitionInfoV2 } from '@imagecheck/sdk';

/**
 * `SYSTEM\MountedDevices`: how Windows remembers which volume has which drive letter. Each
 * `\DosDevices\X:` value names a volume by its partition (libguestfs inspect_fs_windows.ml,
 * goodells.net "partsigs"):
 * - 12 bytes: the MBR disk signature (u32 LE, the MBR's bytes 0x1B8..0x1BB) and the partition's
 *   first byte on the disk (u64 LE);
 * - `DMIO:ID:` followed by the GPT partition's unique GUID (16 bytes, mixed-endian as GUIDs are
 *   stored).
 * Other forms (a volume GUID path of a removable or dynamic disk) are kept as `unknown`.
 */
export type VolumeIdentity =
  | { readonly form: 'mbr'; readonly diskSignature: string; readonly partitionOffset: number }
  | { readonly form: 'gpt'; readonly partitionGuid: string }
  | { readonly form: 'unknown'; readonly length: number };

export interface DriveLetter {
  /** `C`, `D`... upper case. */
  readonly letter: string;
  /** The value name as stored (`\DosDevices\C:`). */
  readonly valueName: string;
  readonly identity: VolumeIdentity;
  /** The partition of this image it names, when one matches. */
  readonly partition: number | null;
  /** The filesystem on that partition, when the layout has one. */
  readonly filesystem: string | null;
}

/** Drive letters at most (A..Z). */
const MAX_LETTERS = 26;
const DOS_DEVICE = /^\\DosDevices\\([A-Za-z]):$/;
const DMIO = 'DMIO:ID:';

export function parseIdentity(data: Uint8Array): VolumeIdentity {
  const view = new ByteView(data, 'MountedDevices value');
  if (data.length === 12) {
    return {
      form: 'mbr',
      diskSignature: view.u32le(0, 'disk signature').toString(16).padStart(8, '0'),
      partitionOffset: view.u64leNumber(4, 'partition offset'),
    };
  }
  if (data.length >= 24 && view.latin1(0, 8) === DMIO) {
    return { form: 'gpt', partitionGuid: view.guid(8, 'partition GUID') };
  }
  return { form: 'unknown', length: data.length };
}

/** The partition of this image an identity names, or undefined. */
export function matchPartition(layout: ImageLayoutV2, id: VolumeIdentity): PartitionInfoV2 | undefined {
  const disk = layout.disk;
  if (id.form === 'mbr') {
    if (disk.partitionTable !== 'mbr' || disk.diskId?.toLowerCase() !== id.diskSignature) return undefined;
    return disk.partitions.find((p) => p.start === id.partitionOffset);
  }
  if (id.form === 'gpt') {
    if (disk.partitionTable !== 'gpt') return undefined;
    return disk.partitions.find((p) => p.uuid?.toLowerCase() === id.partitionGuid);
  }
  return undefined;
}

export function filesystemOfPartition(
  layout: ImageLayoutV2,
  partition: number,
): FilesystemInfoV2 | undefined {
  return layout.filesystems.find(
    (f) => f.location.kind === 'partition' && f.location.partition === partition,
  );
}

/** Every `\DosDevices\X:` of the hive's MountedDevices, matched to this image's partitions. */
export function driveLetters(system: Hive, layout: ImageLayoutV2): DriveLetter[] {
  const key = system.key('MountedDevices');
  if (key === null) return [];
  const out: DriveLetter[] = [];
  for (const v of key.values()) {
    const m = DOS_DEVICE.exec(v.name);
    if (!m) continue;
    const identity = parseIdentity(v.data);
    const p = matchPartition(layout, identity);
    const fs = p ? filesystemOfPartition(layout, p.number) : undefined;
    out.push({
      letter: (m[1] as string).toUpperCase(),
      valueName: v.name,
      identity,
      partition: p?.number ?? null,
      filesystem: fs?.id ?? null,
    });
    if (out.length >= MAX_LETTERS) break;
  }
  return out.sort((a, b) => a.letter.localeCompare(b.letter));
}
