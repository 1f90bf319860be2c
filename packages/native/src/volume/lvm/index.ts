import { isImagecheckError, isInternalError, type LayoutWarningV2 } from '@imagecheck/access';
import type { ByteSource } from '../../block/types.js';
import { type PvLabel, readMetadataArea } from './label.js';
import { type LvmLv, type LvmVg, parseVgMetadata } from './metadata.js';
import { LvSource, type MappedSegment } from './source.js';

export type { LvmSection, LvmValue } from './config.js';
export { MAX_CONFIG_DEPTH, MAX_CONFIG_TOKENS, parseLvmConfig, tokenize } from './config.js';
export type { DiskArea, PvLabel, RawMetadata } from './label.js';
export {
  formatLvmUuid,
  LVM_CRC_SEED,
  MAX_LVM_METADATA_BYTES,
  readMetadataArea,
  readPvLabel,
} from './label.js';
export type { LvmLv, LvmPv, LvmSegment, LvmStripe, LvmVg } from './metadata.js';
export { parseVgMetadata } from './metadata.js';
export type { MappedSegment } from './source.js';
export { LvSource } from './source.js';

/** A PV found on the disk: where (partition number, 0 for the whole disk), its bytes and label. */
export interface FoundPv {
  readonly location: number;
  readonly source: ByteSource;
  readonly label: PvLabel;
}

export interface ResolvedLv {
  readonly vg: string;
  readonly lv: LvmLv;
  readonly size: number;
  readonly readable: boolean;
  readonly reason?: string;
  readonly source?: ByteSource;
  /** Partition numbers (0: whole disk) of the PVs of this LV's VG. */
  readonly physicalVolumes: readonly number[];
}

export interface LvmScan {
  readonly vgs: readonly LvmVg[];
  readonly lvs: readonly ResolvedLv[];
  readonly warnings: readonly LayoutWarningV2[];
}

/**
 * Reads the metadata of every PV, keeps the highest seqno per VG (metadata on all PVs of a VG
 * is the same when the VG is healthy; a PV that missed an update has an older seqno), and maps
 * each visible LV onto the PVs that were found. Damage to one PV's metadata, a segment type we
 * do not map, or a missing PV makes that LV (or VG) unreadable with a warning; it does not fail
 * the rest of the disk.
 */
export async function scanLvm(pvs: readonly FoundPv[]): Promise<LvmScan> {
  const warnings: LayoutWarningV2[] = [];
  const best = new Map<string, LvmVg>();
  for (const pv of pvs) {
    for (const area of pv.label.metadataAreas) {
      try {
        const raw = await readMetadataArea(pv.source, area);
        if (raw === undefined) continue;
        const vg = parseVgMetadata(raw.text);
        const key = vg.id || vg.name;
        const prev = best.get(key);
        if (prev === undefined || vg.seqno > prev.seqno) best.set(key, vg);
        break;
      } catch (e) {
        if (!isImagecheckError(e) || isInternalError(e)) throw e;
        warnings.push({
          code: e.code,
          message: `PV ${pv.label.uuid} (${pv.location === 0 ? 'whole disk' : `partition ${pv.location}`}): ${e.message}`,
          data: { pv: pv.label.uuid, partition: pv.location, ...e.data },
        });
      }
    }
  }
  const byUuid = new Map(pvs.map((p) => [p.label.uuid, p]));
  const lvs: ResolvedLv[] = [];
  for (const vg of best.values()) {
    const locations = vg.pvs
      .map((p) => byUuid.get(p.id)?.location)
      .filter((l): l is number => l !== undefined)
      .sort((a, b) => a - b);
    for (const lv of vg.lvs) {
      if (!lv.visible) continue;
      const size = lv.segments.reduce((s, g) => s + g.extentCount * vg.extentSize, 0);
      const r = mapLv(vg, lv, byUuid);
      if (r.reason !== undefined && r.warn) {
        warnings.push({
          code: 'lvm/lv-unreadable',
          message: `LV ${vg.name}/${lv.name}: ${r.reason}`,
          data: { vg: vg.name, lv: lv.name },
        });
      }
      lvs.push({
        vg: vg.name,
        lv,
        size,
        readable: r.source !== undefined,
        ...(r.reason === undefined ? {} : { reason: r.reason }),
        ...(r.source === undefined ? {} : { source: r.source }),
        physicalVolumes: locations,
      });
    }
  }
  return { vgs: [...best.values()], lvs, warnings };
}

function mapLv(
  vg: LvmVg,
  lv: LvmLv,
  byUuid: ReadonlyMap<string, FoundPv>,
): { source?: ByteSource; reason?: string; warn: boolean } {
  const mapped: MappedSegment[] = [];
  let next = 0;
  for (const seg of lv.segments) {
    if (seg.type !== 'striped') return { reason: `segment type ${seg.type} is not supported`, warn: true };
    if (seg.startExtent !== next) {
      return {
        reason: `segments are not contiguous (extent ${seg.startExtent}, expected ${next})`,
        warn: true,
      };
    }
    next += seg.extentCount;
    const n = seg.stripes.length;
    if (seg.extentCount % n !== 0)
      return { reason: `${seg.extentCount} extents do not divide over ${n} stripes`, warn: true };
    if (n > 1 && (seg.stripeSize === 0 || vg.extentSize % seg.stripeSize !== 0)) {
      return {
        reason: `stripe size ${seg.stripeSize} does not divide the extent size ${vg.extentSize}`,
        warn: true,
      };
    }
    const perStripe = seg.extentCount / n;
    const areas: Array<{ pv: ByteSource; offset: number }> = [];
    for (const st of seg.stripes) {
      const meta = vg.pvs.find((p) => p.key === st.pv);
      if (meta === undefined) return { reason: `segment refers to unknown PV ${st.pv}`, warn: true };
      const found = byUuid.get(meta.id);
      if (found === undefined)
        return { reason: `PV ${meta.id} (${st.pv}) was not found on this disk`, warn: true };
      const offset = meta.peStart + st.extent * vg.extentSize;
      const end = offset + perStripe * vg.extentSize;
      if (st.extent + perStripe > meta.peCount || !Number.isSafeInteger(end) || end > found.source.size) {
        return {
          reason: `segment at extent ${st.extent}+${perStripe} runs past the end of PV ${st.pv} (${meta.peCount} extents, ${found.source.size} bytes)`,
          warn: true,
        };
      }
      areas.push({ pv: found.source, offset });
    }
    mapped.push({
      start: seg.startExtent * vg.extentSize,
      length: seg.extentCount * vg.extentSize,
      areas,
      stripeSize: seg.stripeSize,
    });
  }
  return { source: new LvSource(mapped, `lvm/${vg.name}/${lv.name}`), warn: false };
}
