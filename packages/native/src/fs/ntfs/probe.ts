import { FormatError } from '@imagecheck/access';
import { ByteView, utf16le } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import { readIf } from '../../probe/read.js';
import type { ProbeResult } from '../../probe/types.js';

/**
 * NTFS boot sector (Microsoft "NTFS On-Disk Structure"; Linux fs/ntfs3/ntfs.h):
 *   0x03 "NTFS    "  0x0B u16 bytes/sector  0x0D u8 sectors/cluster (>0x80: 2^(256-n))
 *   0x30 u64 $MFT cluster  0x40 s8 clusters per MFT record (negative: 2^-n bytes)  0x48 u64 serial
 * The label is the $VOLUME_NAME (0x60) attribute of MFT record 3 ($Volume), UTF-16LE; MFT records
 * carry an update sequence array (offset at 0x04, count at 0x06) whose entries replace the last two
 * bytes of every 512-byte stride. blkid prints the serial as 16 upper-case hex digits.
 */
const VOLUME_RECORD = 3;
const ATTR_VOLUME_NAME = 0x60;
const ATTR_VOLUME_INFORMATION = 0x70;
const ATTR_END = 0xffffffff;
/** MFT records larger than this are refused (real ones are 1 KiB or 4 KiB). */
export const MAX_MFT_RECORD_SIZE = 65536;

export async function probeNtfs(source: ByteSource): Promise<ProbeResult | undefined> {
  const raw = await readIf(source, 0, 512);
  if (raw === undefined) return undefined;
  const bs = new ByteView(raw, 'NTFS boot sector');
  if (bs.latin1(3, 8) !== 'NTFS    ') return undefined;
  const bps = bs.u16le(0x0b);
  const spcRaw = bs.u8(0x0d);
  if (bps < 256 || bps > 4096 || (bps & (bps - 1)) !== 0 || spcRaw === 0) return undefined;
  const cluster = spcRaw > 0x80 ? 2 ** (256 - spcRaw) : spcRaw * bps;
  const perRecord = bs.i8(0x40);
  const recordSize = perRecord < 0 ? 2 ** -perRecord : perRecord * cluster;
  const serial = bs.u64le(0x48).toString(16).padStart(16, '0').toUpperCase();
  const result = { type: 'ntfs', uuid: serial };
  if (recordSize < 512 || recordSize > MAX_MFT_RECORD_SIZE) {
    throw new FormatError(
      'ntfs/bad-record-size',
      `NTFS MFT record size ${recordSize} is outside 512..${MAX_MFT_RECORD_SIZE}`,
      {
        data: { recordSize },
      },
    );
  }
  const mft = bs.u64leSafe(0x30, 'MFT cluster') * cluster;
  const recAt = mft + VOLUME_RECORD * recordSize;
  const rec = await readIf(source, recAt, recordSize);
  if (rec === undefined || new ByteView(rec, 'NTFS $Volume record', recAt).latin1(0, 4) !== 'FILE')
    return result;
  const fixed = applyFixups(rec, recAt);
  if (fixed === undefined) return result;
  const v = new ByteView(fixed, 'NTFS $Volume record', recAt);
  let label: string | undefined;
  let version: string | undefined;
  let o = v.u16le(0x14);
  for (let i = 0; i < 64 && o + 24 <= fixed.length; i++) {
    const type = v.u32le(o);
    const len = v.u32le(o + 4);
    if (type === ATTR_END || len < 24 || o + len > fixed.length) break;
    if (v.u8(o + 8) === 0) {
      const vlen = v.u32le(o + 0x10);
      const voff = v.u16le(o + 0x14);
      if (voff + vlen <= len) {
        const value = v.bytesAt(o + voff, vlen);
        if (type === ATTR_VOLUME_NAME) label = utf16le(value);
        if (type === ATTR_VOLUME_INFORMATION && value.length >= 10) version = `${value[8]}.${value[9]}`;
      }
    }
    o += len;
  }
  return {
    ...result,
    ...(label === undefined || label === '' ? {} : { label }),
    ...(version === undefined ? {} : { details: { version } }),
  };
}

/** Undoes the update sequence array; `undefined` when a stride's check value does not match (a torn record). */
function applyFixups(rec: Uint8Array, at: number): Uint8Array | undefined {
  const v = new ByteView(rec, 'NTFS $Volume record', at);
  const usaOffset = v.u16le(4);
  const usaCount = v.u16le(6);
  if (usaCount === 0 || usaOffset + usaCount * 2 > rec.length || (usaCount - 1) * 512 > rec.length)
    return undefined;
  const out = rec.slice();
  const check = v.u16le(usaOffset);
  for (let i = 1; i < usaCount; i++) {
    const end = i * 512 - 2;
    if (v.u16le(end) !== check) return undefined;
    out.set(v.bytesAt(usaOffset + i * 2, 2), end);
  }
  return out;
}
