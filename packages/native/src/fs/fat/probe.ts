import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import { readIf, trimLabel } from '../../probe/read.js';
import type { ProbeResult } from '../../probe/types.js';
import { formatVolumeId } from './bpb.js';

/**
 * FAT12/16/32 (Microsoft FAT specification, "FAT: General Overview of On-Disk Format"):
 * BIOS parameter block in sector 0:
 *   0x0B u16 bytes/sector  0x0D u8 sectors/cluster  0x0E u16 reserved sectors  0x10 u8 FATs
 *   0x11 u16 root entries  0x13 u16 total sectors  0x15 media  0x16 u16 sectors/FAT (0 on FAT32)
 *   0x20 u32 total sectors  FAT12/16: 0x27 serial, 0x2B label[11], 0x36 "FAT1x   "
 *   FAT32: 0x24 u32 sectors/FAT, 0x2C u32 root cluster, 0x43 serial, 0x47 label[11], 0x52 "FAT32   "
 * Like blkid, the label is taken from the root directory's volume-label entry first, then from the
 * boot sector, and "NO NAME" is no label; the UUID is the serial as `XXXX-XXXX`.

 */
/** Root-directory clusters followed when looking for a volume label. */
export const MAX_LABEL_SCAN_CLUSTERS = 64;
/** Root-directory bytes scanned when looking for a volume label. */
export const MAX_LABEL_SCAN_BYTES = 1024 * 1024;

const NO_NAME = 'NO NAME';

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

export async function probeVfat(source: ByteSource): Promise<ProbeResult | undefined> {
  const raw = await readIf(source, 0, 512);
  if (raw === undefined) return undefined;
  const bs = new ByteView(raw, 'FAT boot sector');
  if (bs.u8(0) !== 0xeb && bs.u8(0) !== 0xe9) return undefined;
  const oem = bs.latin1(3, 8);
  if (oem === 'NTFS    ' || oem === 'EXFAT   ' || oem === '-FVE-FS-') return undefined;
  const bps = bs.u16le(0x0b);
  const spc = bs.u8(0x0d);
  const reserved = bs.u16le(0x0e);
  const fats = bs.u8(0x10);
  const media = bs.u8(0x15);
  if (!isPow2(bps) || bps < 512 || bps > 4096 || !isPow2(spc) || reserved === 0 || fats === 0 || fats > 4)
    return undefined;
  if (media < 0xf8 && media !== 0xf0) return undefined;
  const rootEntries = bs.u16le(0x11);
  const total = bs.u16le(0x13) || bs.u32le(0x20);
  const fat16Size = bs.u16le(0x16);
  const fatSize = fat16Size || bs.u32le(0x24);
  if (fatSize === 0 || total === 0) return undefined;
  const rootSectors = Math.ceil((rootEntries * 32) / bps);
  const firstData = reserved + fats * fatSize + rootSectors;
  if (firstData >= total) return undefined;
  const clusters = Math.floor((total - firstData) / spc);
  const version = fat16Size === 0 ? 'FAT32' : clusters < 4085 ? 'FAT12' : 'FAT16';
  const fat32 = version === 'FAT32';
  const serialOffset = fat32 ? 0x43 : 0x27;
  const bootLabel = trimLabel(bs.bytesAt(fat32 ? 0x47 : 0x2b, 11));
  // Root directory: a fixed area on FAT12/16, a cluster chain on FAT32.
  const ranges: Array<[number, number]> = [];
  if (!fat32) {
    ranges.push([(reserved + fats * fatSize) * bps, Math.min(rootEntries * 32, MAX_LABEL_SCAN_BYTES)]);
  } else {
    const clusterBytes = spc * bps;
    const fatStart = reserved * bps;
    let c = bs.u32le(0x2c) & 0x0fffffff;
    const seen = new Set<number>();
    while (c >= 2 && c < clusters + 2 && !seen.has(c) && seen.size < MAX_LABEL_SCAN_CLUSTERS) {
      seen.add(c);
      ranges.push([(firstData + (c - 2) * spc) * bps, clusterBytes]);
      const fatEntry = await readIf(source, fatStart + c * 4, 4);
      if (fatEntry === undefined) break;
      c = new ByteView(fatEntry, 'FAT entry', fatStart + c * 4).u32le(0) & 0x0fffffff;
    }
  }
  let dirLabel: string | undefined;
  scan: for (const [off, len] of ranges) {
    const dir = await readIf(source, off, len);
    if (dir === undefined) break;
    for (let o = 0; o + 32 <= dir.length; o += 32) {
      const first = dir[o] ?? 0;
      if (first === 0) break scan;
      const attr = dir[o + 11] ?? 0;
      if (first === 0xe5 || attr === 0x0f) continue;
      // Volume ID set and directory clear: the volume label entry.
      if ((attr & 0x18) === 0x08) {
        const name = dir.slice(o, o + 11);
        if (name[0] === 0x05) name[0] = 0xe5;
        dirLabel = trimLabel(name);
        break scan;
      }
    }
  }
  const label =
    dirLabel !== undefined && dirLabel !== NO_NAME && dirLabel !== ''
      ? dirLabel
      : bootLabel !== NO_NAME && bootLabel !== ''
        ? bootLabel
        : undefined;
  return {
    type: 'vfat',
    uuid: formatVolumeId(bs.u32le(serialOffset)),
    ...(label === undefined ? {} : { label }),
    details: { version, clusters, sectorSize: bps },
  };
}
