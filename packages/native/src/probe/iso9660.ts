import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../block/types.js';
import { readIf, trimLabel } from './read.js';
import type { ProbeResult } from './types.js';

/**
 * ISO 9660 (ECMA-119 §8.4): volume descriptors from byte 32768, each 2048 bytes; the Primary
 * Volume Descriptor has type 1 and "CD001" at +1. +40 volume identifier[32] (the label),
 * +813 creation and +830 modification date-times as 16 ASCII digits YYYYMMDDHHMMSSCC. blkid makes
 * the UUID from the modification time (the creation time when that is unset) as
 * `YYYY-MM-DD-HH-MM-SS-CC`.
 */
export async function probeIso9660(source: ByteSource): Promise<ProbeResult | undefined> {
  const raw = await readIf(source, 32768, 2048);
  if (raw === undefined) return undefined;
  const pvd = new ByteView(raw, 'ISO 9660 primary volume descriptor', 32768);
  if (pvd.latin1(1, 5) !== 'CD001' || pvd.u8(0) !== 1) return undefined;
  const label = trimLabel(pvd.bytesAt(40, 32));
  const uuid = isoDate(pvd, 830) ?? isoDate(pvd, 813);
  return {
    type: 'iso9660',
    ...(uuid === undefined ? {} : { uuid }),
    ...(label === '' ? {} : { label }),
  };
}

function isoDate(b: ByteView, o: number): string | undefined {
  const s = b.latin1(o, 16);
  if (!/^\d{16}$/.test(s) || /^0+$/.test(s)) return undefined;
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}-${s.slice(8, 10)}-${s.slice(10, 12)}-${s.slice(12, 14)}-${s.slice(14, 16)}`;
}
