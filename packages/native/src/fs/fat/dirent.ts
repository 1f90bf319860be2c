import { ByteView } from '@imagecheck/binary';
/**
 * FAT directory entries (Microsoft FAT specification v1.03, sections 6 and 7).
 *
 * Short (8.3) entry, 32 bytes:
 *   0   Name[11]      8 + 3 bytes, OEM code page, space padded; Name[0] 0x00 = end of directory,
 *                     0xE5 = free, 0x05 = a real leading 0xE5 (KANJI lead byte)
 *   11  Attr u8       0x01 READ_ONLY, 0x02 HIDDEN, 0x04 SYSTEM, 0x08 VOLUME_ID, 0x10 DIRECTORY,
 *                     0x20 ARCHIVE; 0x0F (RO|HIDDEN|SYSTEM|VOLUME_ID) marks a long-name entry
 *   12  NTRes u8      Windows NT case flags: 0x08 base name lower case, 0x10 extension lower case
 *   22  WrtTime u16   hour << 11 | minute << 5 | second / 2
 *   24  WrtDate u16   (year - 1980) << 9 | month << 5 | day
 *   20  FstClusHI u16 (FAT32 only), 26 FstClusLO u16
 *   28  FileSize u32
 *
 * Long-name (VFAT LFN) entry, 32 bytes, stored in reverse order before its short entry:
 *   0   Ord u8        sequence 1..20 in bits 0-4, 0x40 on the last (first stored) entry
 *   1   Name1[5]      UCS-2 LE
 *   11  Attr = 0x0F, 12 Type = 0
 *   13  Chksum u8     checksum of the short entry's 11 name bytes (section 7.2)
 *   14  Name2[6]      UCS-2 LE
 *   26  FstClusLO = 0
 *   28  Name3[2]      UCS-2 LE
 * Name characters end at 0x0000, padding is 0xFFFF. A long name whose sequence or checksum does
 * not match its short entry is an orphan (left by a non-LFN-aware writer) and is ignored.
 */
export const DIRENT_SIZE = 32;
export const ATTR_READ_ONLY = 0x01;
export const ATTR_VOLUME_ID = 0x08;
export const ATTR_DIRECTORY = 0x10;
export const ATTR_LFN = 0x0f;
/** 20 LFN slots × 13 characters = 260 > 255, the longest name VFAT allows. */
const MAX_LFN_SLOTS = 20;

export interface FatDirent {
  /** The long name when valid, else the 8.3 name with the NT case flags applied. */
  readonly name: string;
  /** The 8.3 name as `NAME.EXT`, upper-case as stored. */
  readonly shortName: string;
  readonly attr: number;
  readonly firstCluster: number;
  readonly size: number;
  /** Absolute byte offset of the short entry inside the volume: the node id. */
  readonly offset: number;
  readonly mtimeMs: number;
}

/** Code page 437 for bytes 0x80..0xFF: the OEM code page mkfs.fat, mtools and DOS default to. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

export function cp437(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b < 0x80 ? String.fromCharCode(b) : (CP437_HIGH[b - 0x80] ?? '?');
  return s;
}

/** Section 7.2: rotate right by one and add, over the 11 name bytes. */
export function lfnChecksum(name11: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + (name11[i] ?? 0)) & 0xff;
  return sum;
}

function dosTimeMs(date: number, time: number): number {
  const year = 1980 + (date >> 9);
  const month = (date >> 5) & 0x0f;
  const day = date & 0x1f;
  // DOS timestamps are local time with no zone; reported as if UTC.
  return Date.UTC(
    year,
    Math.max(0, month - 1),
    Math.max(1, day),
    time >> 11,
    (time >> 5) & 0x3f,
    (time & 0x1f) * 2,
  );
}

/** Decodes the short-name fields of one 32-byte entry (no LFN). */
export function decodeShort(
  e: Uint8Array,
  offset: number,
  fat32: boolean,
): Omit<FatDirent, 'name'> & { caseName: string } {
  const ev = new ByteView(e, 'FAT directory entry', offset);
  const raw = e.slice(0, 11);
  if (raw[0] === 0x05) raw[0] = 0xe5;
  const base = cp437(raw.subarray(0, 8)).replace(/ +$/, '');
  const ext = cp437(raw.subarray(8, 11)).replace(/ +$/, '');
  const nt = ev.u8(12);
  const b = (nt & 0x08) !== 0 ? base.toLowerCase() : base;
  const x = (nt & 0x10) !== 0 ? ext.toLowerCase() : ext;
  const hi = fat32 ? ev.u16le(20) : 0;
  return {
    shortName: ext === '' ? base : `${base}.${ext}`,
    caseName: x === '' ? b : `${b}.${x}`,
    attr: ev.u8(11),
    firstCluster: (hi << 16) | ev.u16le(26),
    size: ev.u32le(28),
    offset,
    mtimeMs: dosTimeMs(ev.u16le(24), ev.u16le(22)),
  };
}

const LFN_CHAR_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/**
 * Decodes a directory's bytes into its live entries, in on-disk order. `offsetOf(i)` maps an
 * entry index to its absolute volume offset (directories are cluster chains, not contiguous).
 * Returns the volume label entry separately; `.` and `..` are dropped.
 */
export function decodeDirectory(
  bytes: Uint8Array,
  offsetOf: (index: number) => number,
  fat32: boolean,
): { entries: FatDirent[]; label?: string } {
  const entries: FatDirent[] = [];
  let label: string | undefined;
  // Pending long name: slots collected so far, expected next ordinal and checksum.
  let lfn: string[] = [];
  let lfnNext = 0;
  let lfnSum = -1;
  const count = Math.floor(bytes.length / DIRENT_SIZE);
  for (let i = 0; i < count; i++) {
    const e = bytes.subarray(i * DIRENT_SIZE, (i + 1) * DIRENT_SIZE);
    const ev = new ByteView(e, 'FAT directory entry', i * DIRENT_SIZE);
    const first = ev.u8(0);
    if (first === 0x00) break;
    if (first === 0xe5) {
      lfn = [];
      continue;
    }
    const attr = ev.u8(11);
    if ((attr & 0x3f) === ATTR_LFN) {
      const ord = first & 0x1f;
      if ((first & 0x40) !== 0) {
        if (ord < 1 || ord > MAX_LFN_SLOTS) {
          lfn = [];
          continue;
        }
        lfn = new Array<string>(ord).fill('');
        lfnNext = ord;
        lfnSum = ev.u8(13);
      } else if (lfn.length === 0 || ord !== lfnNext || ev.u8(13) !== lfnSum) {
        lfn = [];
        continue;
      }
      let part = '';
      for (const o of LFN_CHAR_OFFSETS) {
        const c = ev.u16le(o);
        if (c === 0x0000 || c === 0xffff) break;
        part += String.fromCharCode(c);
      }
      lfn[ord - 1] = part;
      lfnNext = ord - 1;
      continue;
    }
    const longName = lfn.length > 0 && lfnNext === 0 && lfnChecksum(e) === lfnSum ? lfn.join('') : undefined;
    lfn = [];
    if ((attr & ATTR_VOLUME_ID) !== 0) {
      if ((attr & ATTR_DIRECTORY) === 0 && label === undefined) {
        label = cp437(e.subarray(0, 11)).replace(/ +$/, '');
      }
      continue;
    }
    const s = decodeShort(e, offsetOf(i), fat32);
    if (s.shortName === '.' || s.shortName === '..') continue;
    const { caseName, ...rest } = s;
    entries.push({ ...rest, name: longName !== undefined && longName !== '' ? longName : caseName });
  }
  return label === undefined ? { entries } : { entries, label };
}
