import { ByteView, utf16le } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import { readIf } from '../../probe/read.js';
import type { ProbeResult } from '../../probe/types.js';
import { formatVolumeId } from '../fat/bpb.js';
import { MAX_LABEL_SCAN_BYTES, MAX_LABEL_SCAN_CLUSTERS } from '../fat/probe.js';

/**
 * exFAT signature (Microsoft exFAT specification §3.1): 0x03 "EXFAT   ", 0x50 u32 FAT offset
 * (sectors), 0x58 u32 cluster heap offset, 0x5C u32 cluster count, 0x60 u32 root cluster,
 * 0x64 u32 serial, 0x68 revision minor/major, 0x6C bytes/sector shift, 0x6D sectors/cluster shift.
 * The label is a 0x83 entry in the root directory (§7.3): +1 character count (≤ 11), +2 UTF-16LE
 * characters. The root directory is scanned within the FAT probe's caps.
 */
export async function probeExfat(source: ByteSource): Promise<ProbeResult | undefined> {
  const raw = await readIf(source, 0, 512);
  if (raw === undefined) return undefined;
  const bs = new ByteView(raw, 'exFAT boot sector');
  if (bs.latin1(3, 8) !== 'EXFAT   ') return undefined;
  const bpsShift = bs.u8(0x6c);
  const spcShift = bs.u8(0x6d);
  if (bpsShift < 9 || bpsShift > 12 || bpsShift + spcShift > 25) return undefined;
  const bps = 2 ** bpsShift;
  const clusterBytes = 2 ** (bpsShift + spcShift);
  const fatOffset = bs.u32le(0x50) * bps;
  const heap = bs.u32le(0x58) * bps;
  const clusterCount = bs.u32le(0x5c);
  let c = bs.u32le(0x60);
  let label: string | undefined;
  const seen = new Set<number>();
  scan: while (c >= 2 && c < clusterCount + 2 && !seen.has(c) && seen.size < MAX_LABEL_SCAN_CLUSTERS) {
    seen.add(c);
    const dir = await readIf(
      source,
      heap + (c - 2) * clusterBytes,
      Math.min(clusterBytes, MAX_LABEL_SCAN_BYTES),
    );
    if (dir === undefined) break;
    for (let o = 0; o + 32 <= dir.length; o += 32) {
      const t = dir[o] ?? 0;
      if (t === 0) break scan;
      if (t === 0x83) {
        const entry = new ByteView(dir, 'exFAT volume label entry', heap + (c - 2) * clusterBytes).sub(o, 32);
        label = utf16le(entry.bytesAt(2, Math.min(entry.u8(1), 11) * 2));
        break scan;
      }
    }
    const fatEntry = await readIf(source, fatOffset + c * 4, 4);
    if (fatEntry === undefined) break;
    c = new ByteView(fatEntry, 'exFAT FAT entry', fatOffset + c * 4).u32le(0);
  }
  return {
    type: 'exfat',
    uuid: formatVolumeId(bs.u32le(0x64)),
    ...(label === undefined || label === '' ? {} : { label }),
    details: { version: `${bs.u8(0x69)}.${bs.u8(0x68)}`, sectorSize: bps, clusterSize: clusterBytes },
  };
}
