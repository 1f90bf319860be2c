import { FormatError } from '@imagecheck/access';
import { type LvmSection, type LvmValue, parseLvmConfig } from './config.js';

/**
 * The parts of a VG's metadata the layout needs (lvm2 lib/format_text/import_vsn1.c). Extents
 * and offsets in the text are in 512-byte sectors; everything here is converted to bytes.
 */
export interface LvmPv {
  /** Key in the metadata (`pv0`). */
  readonly key: string;
  readonly id: string;
  readonly peStart: number;
  readonly peCount: number;
}

export interface LvmStripe {
  readonly pv: string;
  readonly extent: number;
}

export interface LvmSegment {
  readonly startExtent: number;
  readonly extentCount: number;
  /** `striped` (linear is striped with one stripe), `thin`, `thin-pool`, `raid1`, `cache`, `snapshot`, ... */
  readonly type: string;
  /** Stripe size in bytes (striped segments with more than one stripe). */
  readonly stripeSize: number;
  readonly stripes: readonly LvmStripe[];
}

export interface LvmLv {
  readonly name: string;
  readonly id: string;
  readonly visible: boolean;
  readonly segments: readonly LvmSegment[];
}

export interface LvmVg {
  readonly name: string;
  readonly id: string;
  readonly seqno: number;
  readonly extentSize: number;
  readonly pvs: readonly LvmPv[];
  readonly lvs: readonly LvmLv[];
}

export const SECTOR = 512;
export const MAX_LVS = 4096;
export const MAX_SEGMENTS = 10_000;
export const MAX_STRIPES = 128;

function bad(message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError('lvm/bad-metadata', `LVM metadata: ${message}`, { data });
}

function sectionOf(v: LvmValue | undefined): LvmSection | undefined {
  return v instanceof Map ? v : undefined;
}

function num(s: LvmSection, key: string, where: string): number {
  const v = s.get(key);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw bad(`${where}.${key} is not a non-negative integer`, { where, key });
  return v;
}

function str(s: LvmSection, key: string): string | undefined {
  const v = s.get(key);
  return typeof v === 'string' ? v : undefined;
}

/** Decodes one VG from metadata text. */
export function parseVgMetadata(text: string): LvmVg {
  const root = parseLvmConfig(text);
  let name: string | undefined;
  let vg: LvmSection | undefined;
  for (const [k, v] of root) {
    const s = sectionOf(v);
    if (s !== undefined) {
      name = k;
      vg = s;
      break;
    }
  }
  if (name === undefined || vg === undefined) throw bad('no volume group section');
  const extentSectors = num(vg, 'extent_size', name);
  if (extentSectors === 0) throw bad(`${name}.extent_size is 0`);
  const extentSize = extentSectors * SECTOR;
  const pvs: LvmPv[] = [];
  for (const [key, v] of sectionOf(vg.get('physical_volumes')) ?? new Map<string, LvmValue>()) {
    const s = sectionOf(v);
    if (s === undefined) continue;
    pvs.push({
      key,
      id: str(s, 'id') ?? '',
      peStart: num(s, 'pe_start', key) * SECTOR,
      peCount: num(s, 'pe_count', key),
    });
  }
  const lvs: LvmLv[] = [];
  for (const [lvName, v] of sectionOf(vg.get('logical_volumes')) ?? new Map<string, LvmValue>()) {
    const s = sectionOf(v);
    if (s === undefined) continue;
    if (lvs.length >= MAX_LVS) throw bad(`more than ${MAX_LVS} logical volumes`, { cap: MAX_LVS });
    const status = s.get('status');
    const visible = Array.isArray(status) && status.includes('VISIBLE');
    const segments: LvmSegment[] = [];
    for (const [segKey, sv] of s) {
      const seg = sectionOf(sv);
      if (seg === undefined || !segKey.startsWith('segment')) continue;
      if (segments.length >= MAX_SEGMENTS)
        throw bad(`${lvName} has more than ${MAX_SEGMENTS} segments`, { cap: MAX_SEGMENTS });
      const where = `${lvName}.${segKey}`;
      const type = str(seg, 'type') ?? 'unknown';
      const stripes: LvmStripe[] = [];
      const raw = seg.get('stripes');
      if (type === 'striped') {
        if (!Array.isArray(raw) || raw.length === 0 || raw.length % 2 !== 0)
          throw bad(`${where}.stripes is malformed`);
        if (raw.length / 2 > MAX_STRIPES)
          throw bad(`${where} has more than ${MAX_STRIPES} stripes`, { cap: MAX_STRIPES });
        for (let i = 0; i < raw.length; i += 2) {
          const pv = raw[i];
          const extent = raw[i + 1];
          if (
            typeof pv !== 'string' ||
            typeof extent !== 'number' ||
            !Number.isSafeInteger(extent) ||
            extent < 0
          ) {
            throw bad(`${where}.stripes[${i / 2}] is malformed`);
          }
          stripes.push({ pv, extent });
        }
      }
      const stripeSectors = seg.get('stripe_size');
      segments.push({
        startExtent: num(seg, 'start_extent', where),
        extentCount: num(seg, 'extent_count', where),
        type,
        stripeSize:
          typeof stripeSectors === 'number' && Number.isSafeInteger(stripeSectors) && stripeSectors > 0
            ? stripeSectors * SECTOR
            : 0,
        stripes,
      });
    }
    segments.sort((a, b) => a.startExtent - b.startExtent);
    lvs.push({ name: lvName, id: str(s, 'id') ?? '', visible, segments });
  }
  return { name, id: str(vg, 'id') ?? '', seqno: num(vg, 'seqno', name), extentSize, pvs, lvs };
}
