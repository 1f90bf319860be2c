import {
  type BootFactsV2,
  type DiskInfoV2,
  type FilesystemInfoV2,
  type FilesystemLocationV2,
  type ImageLayoutV2,
  isImagecheckError,
  isInternalError,
  type LayoutWarningV2,
  type VolumeInfoV2,
} from '@imagecheck/access';
import type { ByteSource } from './block/types.js';
import { readPartitionTable } from './partition/index.js';
import type { PartitionTable } from './partition/types.js';
import { probeBootCode } from './probe/bootcode.js';
import { BOOT_SECTOR_TYPES, looksAllZero, probeFilesystem, probeIso9660 } from './probe/index.js';
import type { ProbeResult } from './probe/types.js';
import { type FoundPv, readPvLabel, scanLvm } from './volume/lvm/index.js';

export interface ReadLayoutOptions {
  /** Container format the disk came from (`raw`, `qcow2`, ...), reported in `disk.format`. */
  readonly format: string;
  /** Container details (sub-format, backing chain), reported in `disk.details`. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Filesystem types whose contents the caller can read; sets `FilesystemInfoV2.readable`. */
  readonly readableTypes?: ReadonlySet<string>;
}

export interface LayoutResult {
  readonly layout: ImageLayoutV2;
  /** The bytes of every filesystem in `layout.filesystems`, by id (`disk`, `p1`, `lvm/vg/lv`). */
  readonly sources: ReadonlyMap<string, ByteSource>;
}

/**
 * Reads the layout of a virtual disk: its partition table, the LVM volumes on it, and the
 * filesystem (or swap, or encrypted container) on the whole disk, on every partition and on
 * every LV. Everything is identified by signature; nothing but headers is read.
 *
 * Damage that leaves the rest of the disk readable (a damaged primary GPT, a broken EBR chain,
 * a damaged superblock on one partition, an LV segment type we do not map) becomes a warning in
 * `layout.warnings`; the partition or LV concerned is still listed.
 */
export async function readLayout(disk: ByteSource, options: ReadLayoutOptions): Promise<LayoutResult> {
  const warnings: LayoutWarningV2[] = [];
  const sources = new Map<string, ByteSource>();
  const filesystems: FilesystemInfoV2[] = [];
  const volumes: VolumeInfoV2[] = [];
  const readable = options.readableTypes ?? new Set<string>();
  const base = {
    format: options.format,
    virtualSize: disk.size,
    ...(options.details ? { details: options.details } : {}),
  };

  if (disk.size === 0) {
    const d: DiskInfoV2 = {
      ...base,
      sectorSize: 512,
      partitionTable: 'none',
      partitions: [],
      detected: 'empty',
      boot: { mbrBootCode: { known: false, reason: 'the disk is empty' }, espPartitions: [] },
    };
    return { layout: { disk: d, volumes, filesystems, warnings }, sources };
  }

  const tryProbe = async (source: ByteSource, where: string): Promise<ProbeResult | undefined> => {
    try {
      return await probeFilesystem(source);
    } catch (e) {
      if (!isImagecheckError(e) || isInternalError(e)) throw e;
      warnings.push({ code: e.code, message: `${where}: ${e.message}`, data: { where, ...e.data } });
      return undefined;
    }
  };
  const tryPv = async (
    source: ByteSource,
    location: number,
    pvs: FoundPv[],
    where: string,
  ): Promise<boolean> => {
    try {
      const label = await readPvLabel(source);
      if (label === undefined) return false;
      pvs.push({ location, source, label });
      return true;
    } catch (e) {
      if (!isImagecheckError(e) || isInternalError(e)) throw e;
      warnings.push({ code: e.code, message: `${where}: ${e.message}`, data: { where, ...e.data } });
      return true;
    }
  };
  const addFs = (id: string, r: ProbeResult, source: ByteSource, location: FilesystemLocationV2) => {
    sources.set(id, source);
    filesystems.push({
      id,
      type: r.type,
      ...(r.uuid === undefined ? {} : { uuid: r.uuid }),
      ...(r.label === undefined ? {} : { label: r.label }),
      ...(r.subUuid === undefined ? {} : { subUuid: r.subUuid }),
      size: source.size,
      location,
      readable: readable.has(r.type),
      ...(r.details === undefined ? {} : { details: stripUndefined(r.details) }),
    });
  };

  const whole = await tryProbe(disk, 'whole disk');
  let table: PartitionTable;
  try {
    table = await readPartitionTable(disk, {
      bootSectorFilesystem: whole !== undefined && BOOT_SECTOR_TYPES.has(whole.type),
    });
  } catch (e) {
    if (!isImagecheckError(e) || isInternalError(e)) throw e;
    warnings.push({ code: e.code, message: `partition table: ${e.message}`, data: e.data });
    table = { table: 'none', sectorSize: 512, partitions: [], warnings: [], details: {} };
  }
  warnings.push(...table.warnings);

  const pvs: FoundPv[] = [];
  let detected: DiskInfoV2['detected'];
  if ((await probeIso9660(disk).catch(() => undefined)) !== undefined) detected = 'iso9660';
  if (table.table === 'none') {
    const isPv = await tryPv(disk, 0, pvs, 'whole disk');
    if (!isPv && whole !== undefined) {
      addFs('disk', whole, disk, { kind: 'disk' });
      if (whole.type === 'luks' || whole.type === 'bitlocker' || whole.type === 'iso9660')
        detected = whole.type;
    } else if (!isPv && (await looksAllZero(disk))) detected = 'zero';
  } else {
    for (const p of table.partitions) {
      if (p.kind === 'extended' || p.size === 0) continue;
      if (p.start + p.size > disk.size) continue;
      const source = disk.slice(p.start, p.size);
      const where = `partition ${p.number}`;
      if (await tryPv(source, p.number, pvs, where)) continue;
      const r = await tryProbe(source, where);
      if (r !== undefined) addFs(`p${p.number}`, r, source, { kind: 'partition', partition: p.number });
    }
  }

  if (pvs.length > 0) {
    const scan = await scanLvm(pvs);
    warnings.push(...scan.warnings);
    for (const lv of scan.lvs) {
      volumes.push({
        kind: 'lvm',
        vg: lv.vg,
        lv: lv.lv.name,
        uuid: lv.lv.id,
        size: lv.size,
        physicalVolumes: lv.physicalVolumes,
        readable: lv.readable,
        ...(lv.reason === undefined ? {} : { reason: lv.reason }),
      });
      if (lv.source === undefined) continue;
      const id = `lvm/${lv.vg}/${lv.lv.name}`;
      const r = await tryProbe(lv.source, `LV ${lv.vg}/${lv.lv.name}`);
      if (r !== undefined) addFs(id, r, lv.source, { kind: 'lvm', vg: lv.vg, lv: lv.lv.name });
    }
  }

  // Boot code in sector 0 (and GRUB's core image): only meaningful under a partition table; on a
  // bare filesystem sector 0 is that filesystem's boot sector.
  let boot: BootFactsV2 = {
    mbrBootCode: { known: false, reason: 'the disk has no partition table, so no MBR boot code' },
    espPartitions: espPartitions(table),
  };
  if (table.table !== 'none') {
    try {
      const b = await probeBootCode(disk, table);
      const { loader, ...rest } = b.bootCode;
      boot = {
        ...boot,
        mbrBootCode: { known: true, kind: loader, ...rest },
        ...(b.biosBootPartition ? { biosBootPartition: b.biosBootPartition } : {}),
      };
    } catch (e) {
      if (!isImagecheckError(e) || isInternalError(e)) throw e;
      warnings.push({ code: e.code, message: `boot code: ${e.message}`, data: e.data });
      boot = { ...boot, mbrBootCode: { known: false, reason: `sector 0 could not be read: ${e.message}` } };
    }
  }
  const details = { ...(options.details ?? {}), ...table.details };

  const diskInfo: DiskInfoV2 = {
    ...base,
    sectorSize: table.sectorSize,
    partitionTable: table.table,
    ...(table.diskId === undefined ? {} : { diskId: table.diskId }),
    partitions: table.partitions,
    ...(detected === undefined ? {} : { detected }),
    ...(Object.keys(details).length > 0 ? { details } : {}),
    boot,
  };
  return { layout: { disk: diskInfo, volumes, filesystems, warnings }, sources };
}

/** EFI system partition types: GPT C12A7328-F81F-11D2-BA4B-00A0C93EC93B, MBR 0xEF. */
const ESP_TYPES = new Set(['C12A7328-F81F-11D2-BA4B-00A0C93EC93B', '0xef']);

function espPartitions(table: Pick<PartitionTable, 'partitions'>): number[] {
  return table.partitions
    .filter((p) => ESP_TYPES.has(p.type.startsWith('0x') ? p.type.toLowerCase() : p.type.toUpperCase()))
    .map((p) => p.number);
}

function stripUndefined(o: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
