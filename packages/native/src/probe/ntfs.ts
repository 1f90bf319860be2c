import { FormatError } from '@imagecheck/access';
import type { ByteSource } from '../block/types.js';
import { ascii, u16le, u32le, u64le } from '../partition/bytes.js';
import { readIf } from './read.js';
import type { ProbeResult } from './types.js';

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
  const bs = await readIf(source, 0, 512);
  if (bs === undefined || ascii(bs, 3, 8) !== 'NTFS    ') return undefined;
  const bps = u16le(bs, 0x0b);
  const spcRaw = bs[0x0d] ?? 0;
  if (bps < 256 || bps > 4096 || (bps & (bps - 1)) !== 0 || spcRaw === 0) return undefined;
  const cluster = spcRaw > 0x80 ? 2 ** (256 - spcRaw) : spcRaw * bps;
  const perRecord = ((bs[0x40] ?? 0) << 24) >> 24;
  const recordSize = perRecord < 0 ? 2 ** -perRecord : perRecord * cluster;
  const serial = [...bs.subarray(0x48, 0x50)]
    .reverse()
    .map((x) => x.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
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
  const mft = u64le(bs, 0x30, 'ntfs.mftCluster') * cluster;
  const rec = await readIf(source, mft + VOLUME_RECORD * recordSize, recordSize);
  if (rec === undefined || ascii(rec, 0, 4) !== 'FILE') return result;
  const fixed = applyFixups(rec);
  if (fixed === undefined) return result;
  let label: string | undefined;
  let version: string | undefined;
  let o = u16le(fixed, 0x14);
  for (let i = 0; i < 64 && o + 24 <= fixed.length; i++) {
    const type = u32le(fixed, o);
    const len = u32le(fixed, o + 4);
    if (type === ATTR_END || len < 24 || o + len > fixed.length) break;
    if ((fixed[o + 8] ?? 1) === 0) {
      const vlen = u32le(fixed, o + 0x10);
      const voff = u16le(fixed, o + 0x14);
      if (voff + vlen <= len) {
        const value = fixed.subarray(o + voff, o + voff + vlen);
        if (type === ATTR_VOLUME_NAME) label = new TextDecoder('utf-16le').decode(value);
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
function applyFixups(rec: Uint8Array): Uint8Array | undefined {
  const usaOffset = u16le(rec, 4);
  const usaCount = u16le(rec, 6);
  if (usaCount === 0 || usaOffset + usaCount * 2 > rec.length || (usaCount - 1) * 512 > rec.length)
    return undefined;
  const out = rec.slice();
  const check = u16le(rec, usaOffset);
  for (let i = 1; i < usaCount; i++) {
    const end = i * 512 - 2;
    if (u16le(out, end) !== check) return undefined;
    out[end] = rec[usaOffset + i * 2] ?? 0;
    out[end + 1] = rec[usaOffset + i * 2 + 1] ?? 0;
  }
  return out;
}
