import { FormatError } from '@imagecheck/access';

/*
 * The VMDK text descriptor (VMware "Virtual Disk Format 5.0", §"The Descriptor File"):
 *   # Disk DescriptorFile
 *   version=1  CID=fffffffe  parentCID=ffffffff  createType="monolithicSparse"
 *   parentFileNameHint="base.vmdk"                      (delta links only)
 *   RW 4192256 SPARSE "disk-s001.vmdk"                  (access, size in sectors, type, file[, offset])
 *   RW 2048 FLAT "disk-flat.vmdk" 0
 *   RW 2048 ZERO
 *   ddb.geometry.cylinders = "16383"                    (disk database)
 */

/** A descriptor larger than this is not a descriptor (real ones are a few hundred bytes). */
export const MAX_DESCRIPTOR_BYTES = 1024 * 1024;
/** twoGbMaxExtent* splits 2 TiB into 1024 files; allow twice that. */
export const MAX_EXTENTS = 2048;

export interface VmdkExtentLine {
  access: 'RW' | 'RDONLY' | 'NOACCESS';
  sectors: number;
  type: string;
  file?: string;
  /** Offset in sectors into a FLAT extent's file. */
  offset: number;
}

export interface VmdkDescriptor {
  fields: Record<string, string>;
  extents: VmdkExtentLine[];
  ddb: Record<string, string>;
}

const EXTENT_RE = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?\s*$/;

export function looksLikeDescriptor(head: Uint8Array): boolean {
  const text = new TextDecoder('latin1')
    .decode(head)
    .replace(/^\uFEFF/, '')
    .trimStart();
  return text.startsWith('# Disk DescriptorFile');
}

export function parseDescriptor(text: string): VmdkDescriptor {
  const fields: Record<string, string> = {};
  const ddb: Record<string, string> = {};
  const extents: VmdkExtentLine[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\0.*$/s, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = EXTENT_RE.exec(line);
    if (m !== null) {
      if (extents.length >= MAX_EXTENTS) {
        throw new FormatError('vmdk/too-many-extents', `descriptor lists more than ${MAX_EXTENTS} extents`, {
          data: { cap: MAX_EXTENTS },
        });
      }
      const sectors = Number(m[2]);
      const offset = Number(m[5] ?? '0');
      if (!Number.isSafeInteger(sectors) || !Number.isSafeInteger(offset)) {
        throw new FormatError('vmdk/bad-extent', `extent line "${line}" has an out-of-range number`, {
          data: { line },
        });
      }
      extents.push({
        access: m[1] as VmdkExtentLine['access'],
        sectors,
        type: (m[3] ?? '').toUpperCase(),
        file: m[4],
        offset,
      });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (key.startsWith('ddb.')) ddb[key] = value;
    else fields[key] = value;
  }
  return { fields, extents, ddb };
}
