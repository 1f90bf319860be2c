import { FormatError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import { rawCrc } from '../../partition/crc32.js';

/**
 * LVM2 physical volume label and metadata area (lvm2 lib/format_text/layout.h, lib/label/label.h).
 *
 * Label header, in one of sectors 0-3 (512 bytes each):
 *    0 "LABELONE"  8 u64 sector number of this label  16 u32 CRC (over bytes 20..511)
 *   20 u32 offset of the PV header from the label start (32)  24 "LVM2 001"
 * PV header: 0 uuid[32] (no dashes)  32 u64 device size  40 disk_locn[] {u64 offset, u64 size}:
 *   data areas up to a zero entry, then metadata areas up to a zero entry.
 * Metadata area header (mda_header, 512 bytes at the metadata area's offset):
 *    0 u32 CRC (over bytes 4..511)  4 magic " LVM2 x[5A%r0N*>"  20 u32 version (1)
 *   24 u64 start  32 u64 size  40 raw_locn[] {u64 offset, u64 size, u32 checksum, u32 flags}
 * raw_locn[0] is the committed metadata: text at start + offset (relative to the area; it wraps
 * to byte 512 of the area when it runs past the end), with a CRC over the text.
 * LVM's CRC is CRC-32 without the final inversion, seeded with 0xf597a6cf.
 */
export const LVM_CRC_SEED = 0xf597a6cf;
export const MDA_MAGIC = ' LVM2 x[5A%r0N*>';
export const MDA_HEADER_SIZE = 512;
/** Areas listed in a PV header beyond this are ignored (real PVs have one or two). */
export const MAX_DISK_LOCNS = 8;
/** Committed metadata text larger than this is refused (real metadata is a few KiB). */
export const MAX_LVM_METADATA_BYTES = 4 * 1024 * 1024;

export interface DiskArea {
  readonly offset: number;
  readonly size: number;
}

export interface PvLabel {
  /** The sector (0-3) the label was found in. */
  readonly sector: number;
  /** PV UUID as LVM prints it (6-4-4-4-4-4-6). */
  readonly uuid: string;
  readonly deviceSize: number;
  readonly dataAreas: readonly DiskArea[];
  readonly metadataAreas: readonly DiskArea[];
}

export function formatLvmUuid(raw: string): string {
  const parts = [6, 4, 4, 4, 4, 4, 6];
  let o = 0;
  return parts
    .map((n) => {
      const s = raw.slice(o, o + n);
      o += n;
      return s;
    })
    .join('-');
}

/** Looks for a PV label in sectors 0-3; `undefined` when there is none. */
export async function readPvLabel(pv: ByteSource): Promise<PvLabel | undefined> {
  if (pv.size < 2048) return undefined;
  const head = await pv.read(0, 2048);
  for (let s = 0; s < 4; s++) {
    const base = s * 512;
    const v = new ByteView(head, 'LVM label sector').sub(base, 512);
    if (v.latin1(0, 8) !== 'LABELONE') continue;
    const sec = v.bytes;
    if (v.latin1(24, 8) !== 'LVM2 001') continue;
    const crc = v.u32le(16);
    const actual = rawCrc(LVM_CRC_SEED, sec.subarray(20, 512));
    if (crc !== actual) {
      throw new FormatError(
        'lvm/bad-label-crc',
        `LVM label in sector ${s}: CRC 0x${crc.toString(16)}, computed 0x${actual.toString(16)}`,
        {
          data: { sector: s, expected: crc, actual },
        },
      );
    }
    const off = v.u32le(20);
    if (off < 32 || off + 40 > 512) {
      throw new FormatError(
        'lvm/bad-label',
        `LVM label in sector ${s}: PV header offset ${off} is outside the sector`,
        {
          data: { sector: s, offset: off },
        },
      );
    }
    const uuid = formatLvmUuid(v.latin1(off, 32));
    const deviceSize = v.u64leSafe(off + 32, 'lvm.deviceSize');
    const lists: DiskArea[][] = [[], []];
    let o = off + 40;
    for (const list of lists) {
      for (let k = 0; ; k++) {
        if (o + 16 > 512) break;
        const offset = v.u64leSafe(o, 'lvm.disk_locn.offset');
        const size = v.u64leSafe(o + 8, 'lvm.disk_locn.size');
        o += 16;
        if (offset === 0) break;
        if (k < MAX_DISK_LOCNS) list.push({ offset, size });
      }
    }
    return { sector: s, uuid, deviceSize, dataAreas: lists[0] ?? [], metadataAreas: lists[1] ?? [] };
  }
  return undefined;
}

export interface RawMetadata {
  readonly text: string;
  /** Absolute byte offset of the text on the PV (before any wrap). */
  readonly offset: number;
}

/**
 * Reads the committed metadata text of one metadata area; `undefined` when the area holds none
 * (a fresh `pvcreate`). Checks both CRCs and every offset against the area.
 */
export async function readMetadataArea(pv: ByteSource, area: DiskArea): Promise<RawMetadata | undefined> {
  const bad = (code: string, message: string, data: Record<string, unknown> = {}) =>
    new FormatError(`lvm/${code}`, `LVM metadata area at ${area.offset}: ${message}`, {
      data: { area: area.offset, ...data },
    });
  if (area.size < MDA_HEADER_SIZE || area.offset + area.size > pv.size) {
    throw bad('bad-mda', `area of ${area.size} bytes does not fit the PV (${pv.size} bytes)`, {
      size: area.size,
    });
  }
  const h = await pv.read(area.offset, MDA_HEADER_SIZE);
  const hv = new ByteView(h, 'LVM mda_header', area.offset);
  if (hv.latin1(4, 16) !== MDA_MAGIC) throw bad('bad-mda-magic', 'no mda_header magic');
  const crc = hv.u32le(0);
  const actual = rawCrc(LVM_CRC_SEED, h.subarray(4, MDA_HEADER_SIZE));
  if (crc !== actual)
    throw bad('bad-mda-crc', `header CRC 0x${crc.toString(16)}, computed 0x${actual.toString(16)}`);
  const size = hv.u64leSafe(32, 'lvm.mda.size');
  if (size !== area.size && (size < MDA_HEADER_SIZE || size > area.size)) {
    throw bad('bad-mda', `header size ${size} disagrees with the PV label's ${area.size}`, {
      expected: area.size,
      actual: size,
    });
  }
  const rOffset = hv.u64leSafe(40, 'lvm.raw_locn.offset');
  const rSize = hv.u64leSafe(48, 'lvm.raw_locn.size');
  const rCrc = hv.u32le(56);
  const rFlags = hv.u32le(60);
  if (rOffset === 0 || rSize === 0 || rFlags & 1) return undefined;
  if (rSize > MAX_LVM_METADATA_BYTES) {
    throw bad(
      'metadata-too-large',
      `metadata of ${rSize} bytes exceeds the ${MAX_LVM_METADATA_BYTES}-byte cap`,
      {
        size: rSize,
        cap: MAX_LVM_METADATA_BYTES,
      },
    );
  }
  if (rOffset < MDA_HEADER_SIZE || rOffset >= size || rSize > size - MDA_HEADER_SIZE) {
    throw bad('bad-raw-locn', `metadata at ${rOffset}+${rSize} does not fit the ${size}-byte area`, {
      offset: rOffset,
      size: rSize,
    });
  }
  const first = Math.min(rSize, size - rOffset);
  const text = new Uint8Array(rSize);
  text.set(await pv.read(area.offset + rOffset, first), 0);
  if (first < rSize) text.set(await pv.read(area.offset + MDA_HEADER_SIZE, rSize - first), first);
  const textCrc = rawCrc(LVM_CRC_SEED, text);
  if (textCrc !== rCrc) {
    throw bad('bad-metadata-crc', `metadata CRC 0x${rCrc.toString(16)}, computed 0x${textCrc.toString(16)}`, {
      expected: rCrc,
      actual: textCrc,
    });
  }
  let end = text.indexOf(0);
  if (end < 0) end = text.length;
  return { text: new TextDecoder('utf-8').decode(text.subarray(0, end)), offset: area.offset + rOffset };
}
