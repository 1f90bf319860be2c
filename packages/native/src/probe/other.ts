import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../block/types.js';
import { readIf, trimLabel, utf8Label } from './read.js';
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

/** squashfs superblock (fs/squashfs/squashfs_fs.h): 0 magic "hsqs" (LE 0x73717368), 28 u16 major, 30 u16 minor. No UUID. */
export async function probeSquashfs(source: ByteSource): Promise<ProbeResult | undefined> {
  const raw = await readIf(source, 0, 96);
  if (raw === undefined) return undefined;
  const sb = new ByteView(raw, 'squashfs superblock');
  const magic = sb.latin1(0, 4);
  if (magic === 'hsqs') return { type: 'squashfs', details: { version: `${sb.u16le(28)}.${sb.u16le(30)}` } };
  if (magic === 'sqsh') return { type: 'squashfs', details: { version: `${sb.u16be(28)}.${sb.u16be(30)}` } };
  return undefined;
}

/**
 * LUKS (cryptsetup "LUKS1 On-Disk Format Specification" and "LUKS2 On-Disk Format"): 0 magic
 * "LUKS\xBA\xBE" (LUKS2 secondary header: "SKUL\xBA\xBE"), 6 u16be version. LUKS1: 168 uuid[40].
 * LUKS2 binary header: 24 label[48], 168 uuid[40]. Encrypted contents are never read.
 */
export async function probeLuks(source: ByteSource): Promise<ProbeResult | undefined> {
  const raw = await readIf(source, 0, 512);
  if (raw === undefined) return undefined;
  const h = new ByteView(raw, 'LUKS header');
  if (h.u16be(4) !== 0xbabe || h.latin1(0, 4) !== 'LUKS') return undefined;
  const version = h.u16be(6);
  const uuid = utf8Label(h.bytesAt(168, 40));
  const label = version === 2 ? utf8Label(h.bytesAt(24, 48)) : '';
  return {
    type: 'luks',
    ...(uuid === '' ? {} : { uuid }),
    ...(label === '' ? {} : { label }),
    details: { version },
  };
}

/** BitLocker (Windows Vista and later): the boot sector's OEM name at byte 3 is "-FVE-FS-". Contents are never read. */
export async function probeBitlocker(source: ByteSource): Promise<ProbeResult | undefined> {
  const bs = await readIf(source, 0, 512);
  if (bs === undefined || new ByteView(bs, 'BitLocker boot sector').latin1(3, 8) !== '-FVE-FS-')
    return undefined;
  return { type: 'bitlocker' };
}
