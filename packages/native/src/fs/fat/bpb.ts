import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';

/**
 * The FAT boot sector and BIOS Parameter Block (Microsoft "FAT: General Overview of On-Disk
 * Format", v1.03, section 3; all fields little-endian).
 *
 * Common BPB (all variants):
 *   0   jmpBoot[3]     0xEB ?? 0x90 or 0xE9 ?? ??
 *   3   OEMName[8]
 *   11  BytsPerSec u16 512, 1024, 2048 or 4096
 *   13  SecPerClus u8  power of two, 1..128
 *   14  RsvdSecCnt u16 >= 1
 *   16  NumFATs    u8  usually 2
 *   17  RootEntCnt u16 fixed root entries (FAT12/16); 0 on FAT32
 *   19  TotSec16   u16 (0: use TotSec32)
 *   21  Media      u8
 *   22  FATSz16    u16 (0 on FAT32: use FATSz32)
 *   32  TotSec32   u32
 * FAT12/16 extended BPB at 36: DrvNum u8, Reserved1 u8, BootSig u8 (0x29 when the next three
 *   fields are valid) at 38, VolID u32 at 39, VolLab[11] at 43, FilSysType[8] at 54.
 * FAT32 extended BPB at 36: FATSz32 u32, ExtFlags u16 at 40 (bit 7: only FAT number bits 0-3 is
 *   active), FSVer u16 at 42, RootClus u32 at 44, FSInfo u16 at 48, BkBootSec u16 at 50,
 *   DrvNum at 64, BootSig at 66, VolID u32 at 67, VolLab[11] at 71, FilSysType[8] at 82.
 * Signature 0x55 0xAA at 510.
 *
 * The FAT type is decided by the count of data clusters only (spec section 3.5), never by the
 * FilSysType string: < 4085 is FAT12, < 65525 is FAT16, otherwise FAT32.
 */
export interface FatBpb {
  readonly fatType: 12 | 16 | 32;
  readonly bytesPerSector: number;
  readonly sectorsPerCluster: number;
  readonly clusterSize: number;
  readonly reservedSectors: number;
  readonly numFats: number;
  /** Sectors per FAT. */
  readonly fatSectors: number;
  readonly totalSectors: number;
  /** Byte offset of the FAT the driver uses (the active one on FAT32 with mirroring off). */
  readonly fatOffset: number;
  /** FAT12/16: byte offset and entry count of the fixed root directory region. */
  readonly rootDirOffset: number;
  readonly rootEntries: number;
  /** FAT32: first cluster of the root directory. */
  readonly rootCluster: number;
  /** Byte offset of cluster 2. */
  readonly dataOffset: number;
  /** Data clusters: valid cluster numbers are 2 .. clusterCount + 1. */
  readonly clusterCount: number;
  readonly volumeId?: number;
  /** Boot-sector label, trailing spaces removed; undefined when absent or `NO NAME`. */
  readonly bootLabel?: string;
  readonly oemName: string;
}

/** Largest cluster the spec allows is 32 KiB; 64 KiB and more exist in the wild (4 KiB sectors × 128). */
export const MAX_CLUSTER_SIZE = 512 * 1024;
/** FAT32 entries are 28 bits: the largest cluster number a FAT can address. */
export const MAX_FAT32_CLUSTERS = 0x0ffffff5;

const FAT12_MAX_CLUSTERS = 4085;
const FAT16_MAX_CLUSTERS = 65525;

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/**
 * Decodes the boot sector. Returns undefined when the sector is not a FAT boot sector at all
 * (no jump instruction, impossible geometry, or an exFAT/NTFS OEM name), so the prober can try
 * other filesystems; throws `FormatError` when it is a FAT boot sector with inconsistent fields.
 */
export function parseBpb(b: Uint8Array, sourceSize: number): FatBpb | undefined {
  if (b.length < 512) return undefined;
  const v = new ByteView(b, 'FAT boot sector');
  const jmp = v.u8(0);
  if (!(jmp === 0xeb && v.u8(2) === 0x90) && jmp !== 0xe9 && jmp !== 0xeb) return undefined;
  const oemName = v.latin1(3, 8);
  // exFAT and NTFS share the jump and 0x55AA signature; their BPB fields are zeroed or different.
  if (oemName === 'EXFAT   ' || oemName === 'NTFS    ') return undefined;
  const bytesPerSector = v.u16le(11);
  const sectorsPerCluster = v.u8(13);
  const reservedSectors = v.u16le(14);
  const numFats = v.u8(16);
  const rootEntries = v.u16le(17);
  const totSec16 = v.u16le(19);
  const fatSz16 = v.u16le(22);
  const totSec32 = v.u32le(32);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) return undefined;
  if (!isPow2(sectorsPerCluster) || sectorsPerCluster > 128) return undefined;
  if (reservedSectors === 0 || numFats === 0 || numFats > 16) return undefined;
  if (b[510] !== 0x55 || b[511] !== 0xaa) return undefined;

  const fatSectors = fatSz16 !== 0 ? fatSz16 : v.u32le(36);
  const totalSectors = totSec16 !== 0 ? totSec16 : totSec32;
  const clusterSize = bytesPerSector * sectorsPerCluster;
  if (fatSectors === 0 || totalSectors === 0) {
    throw new FormatError('fat/bad-bpb', 'FAT boot sector has a zero FAT size or sector count', {
      data: { offset: 0, fatSectors, totalSectors },
    });
  }
  if (clusterSize > MAX_CLUSTER_SIZE) {
    throw new FormatError('fat/bad-cluster-size', `cluster size ${clusterSize} exceeds ${MAX_CLUSTER_SIZE}`, {
      data: { offset: 13, expected: MAX_CLUSTER_SIZE, actual: clusterSize },
    });
  }
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const metaSectors = reservedSectors + numFats * fatSectors + rootDirSectors;
  if (metaSectors >= totalSectors) {
    throw new FormatError('fat/bad-bpb', 'FAT metadata region is larger than the volume', {
      data: { offset: 0, expected: `< ${totalSectors}`, actual: metaSectors },
    });
  }
  const clusterCount = Math.floor((totalSectors - metaSectors) / sectorsPerCluster);
  const fatType: 12 | 16 | 32 =
    clusterCount < FAT12_MAX_CLUSTERS ? 12 : clusterCount < FAT16_MAX_CLUSTERS ? 16 : 32;
  if (clusterCount > MAX_FAT32_CLUSTERS) {
    throw new FormatError('fat/too-many-clusters', `cluster count ${clusterCount} exceeds the FAT32 limit`, {
      data: { offset: 0, expected: MAX_FAT32_CLUSTERS, actual: clusterCount },
    });
  }
  // The FAT must hold an entry for every cluster (plus the two reserved entries).
  const fatBytesNeeded = Math.ceil(((clusterCount + 2) * fatType) / 8);
  if (fatSectors * bytesPerSector < fatBytesNeeded) {
    throw new FormatError('fat/fat-too-small', 'FAT is too small for the cluster count', {
      data: { offset: 22, expected: fatBytesNeeded, actual: fatSectors * bytesPerSector },
    });
  }
  const volumeBytes = totalSectors * bytesPerSector;
  if (volumeBytes > sourceSize) {
    throw new FormatError('fat/truncated', `FAT volume of ${volumeBytes} bytes is larger than its source`, {
      data: { offset: 0, expected: volumeBytes, actual: sourceSize },
    });
  }

  let activeFat = 0;
  let rootCluster = 0;
  let ext = 36;
  if (fatType === 32) {
    if (rootEntries !== 0 || fatSz16 !== 0) {
      throw new FormatError('fat/bad-bpb', 'FAT32 volume with a fixed root directory or 16-bit FAT size', {
        data: { offset: 17, rootEntries, fatSz16 },
      });
    }
    const extFlags = v.u16le(40);
    if ((extFlags & 0x80) !== 0) activeFat = extFlags & 0x0f;
    if (activeFat >= numFats) {
      throw new FormatError('fat/bad-active-fat', 'FAT32 active FAT number is out of range', {
        data: { offset: 40, expected: `< ${numFats}`, actual: activeFat },
      });
    }
    const fsVer = v.u16le(42);
    if (fsVer !== 0) {
      throw new UnsupportedError('fat/unsupported-version', `FAT32 version ${fsVer >> 8}.${fsVer & 0xff}`, {
        data: { offset: 42, actual: fsVer },
      });
    }
    rootCluster = v.u32le(44);
    if (rootCluster < 2 || rootCluster >= clusterCount + 2) {
      throw new FormatError('fat/bad-root-cluster', 'FAT32 root cluster is out of range', {
        data: { offset: 44, expected: `2..${clusterCount + 1}`, actual: rootCluster },
      });
    }
    ext = 64;
  } else if (rootEntries === 0) {
    throw new FormatError('fat/bad-bpb', `FAT${fatType} volume without root directory entries`, {
      data: { offset: 17, actual: 0 },
    });
  }
  const bootSig = b[ext + 2];
  let volumeId: number | undefined;
  let bootLabel: string | undefined;
  if (bootSig === 0x29 || bootSig === 0x28) {
    volumeId = v.u32le(ext + 3);
    if (bootSig === 0x29) {
      const label = v.latin1(ext + 7, 11).replace(/[ \0]+$/, '');
      if (label !== '' && label !== 'NO NAME') bootLabel = label;
    }
  }
  const fatOffset = (reservedSectors + activeFat * fatSectors) * bytesPerSector;
  const rootDirOffset = (reservedSectors + numFats * fatSectors) * bytesPerSector;
  return {
    fatType,
    bytesPerSector,
    sectorsPerCluster,
    clusterSize,
    reservedSectors,
    numFats,
    fatSectors,
    totalSectors,
    fatOffset,
    rootDirOffset,
    rootEntries,
    rootCluster,
    dataOffset: rootDirOffset + rootDirSectors * bytesPerSector,
    clusterCount,
    ...(volumeId === undefined ? {} : { volumeId }),
    ...(bootLabel === undefined ? {} : { bootLabel }),
    oemName,
  };
}

/** `XXXX-XXXX`, upper-case hex, high word first: how blkid and Linux print a FAT volume id. */
export function formatVolumeId(id: number): string {
  const hex = id.toString(16).toUpperCase().padStart(8, '0');
  return `${hex.slice(0, 4)}-${hex.slice(4)}`;
}
