import { FormatError, isImagecheckError, isInternalError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';

/**
 * The NTFS boot sector ("volume header"; libyal libfsntfs documentation section 2, Linux
 * fs/ntfs3/ntfs.h `struct NTFS_BOOT`):
 *
 *   0x03  8  OEM id "NTFS    "
 *   0x0B u16 bytes per sector (256..4096, a power of two)
 *   0x0D  u8 sectors per cluster; above 0x80 the cluster is 2^(256 - n) sectors (64 KiB+ clusters)
 *   0x28 u64 sectors in the volume (the backup boot sector sits in the sector after the last one)
 *   0x30 u64 first cluster of $MFT        0x38 u64 first cluster of $MFTMirr
 *   0x40  s8 MFT record size: clusters when positive, 2^-n bytes when negative
 *   0x44  s8 index record size, same encoding
 *   0x48 u64 volume serial number         0x1FE u16 0xAA55
 */
export interface NtfsBootSector {
  readonly bytesPerSector: number;
  readonly clusterSize: number;
  readonly totalSectors: number;
  readonly mftCluster: number;
  readonly mftMirrCluster: number;
  readonly mftRecordSize: number;
  readonly indexRecordSize: number;
  /** Serial as blkid prints it: 16 upper-case hex digits. */
  readonly serial: string;
}

/** Clusters larger than 2 MiB are refused: Windows formats at most 2 MiB (Windows 10 1709+). */
export const MAX_CLUSTER_SIZE = 2 * 1024 * 1024;
/** MFT and index records larger than this are refused (real ones are 1 KiB or 4 KiB). */
export const MAX_RECORD_SIZE = 65536;

const OEM = 'NTFS    ';

/** True when the sector carries the NTFS OEM id (what marks the volume as NTFS at all). */
export function hasNtfsOemId(sector: Uint8Array): boolean {
  return sector.length >= 11 && new ByteView(sector, 'NTFS boot sector').latin1(3, 8) === OEM;
}

function recordSize(raw: number, clusterSize: number): number {
  // Negative: 2^-n bytes (e.g. 0xF6 = -10 = 1 KiB); positive: that many clusters.
  return raw < 0 ? 2 ** -raw : raw * clusterSize;
}

/**
 * Decodes and validates a boot sector found at `offset` of a `volumeSize`-byte volume.
 * Throws `ntfs/bad-boot-sector` naming the first field that is impossible.
 */
export function parseBootSector(sector: Uint8Array, offset: number, volumeSize: number): NtfsBootSector {
  const v = new ByteView(sector, 'NTFS boot sector', offset);
  const bad = (field: string, expected: string, actual: unknown): FormatError =>
    new FormatError(
      'ntfs/bad-boot-sector',
      `NTFS boot sector at ${offset}: ${field} is ${String(actual)}, expected ${expected}`,
      {
        data: { structure: 'NTFS boot sector', offset, field, expected, actual },
      },
    );
  if (v.latin1(3, 8) !== OEM) throw bad('OEM id', OEM, JSON.stringify(v.latin1(3, 8)));
  if (v.u16le(0x1fe) !== 0xaa55) throw bad('signature', '0xaa55', `0x${v.u16le(0x1fe).toString(16)}`);
  const bps = v.u16le(0x0b, 'bytes per sector');
  if (bps < 256 || bps > 4096 || (bps & (bps - 1)) !== 0)
    throw bad('bytes per sector', 'a power of two in 256..4096', bps);
  const spc = v.u8(0x0d, 'sectors per cluster');
  if (spc === 0 || (spc < 0x80 && (spc & (spc - 1)) !== 0))
    throw bad('sectors per cluster', 'a power of two', spc);
  const clusterSize = spc > 0x80 ? bps * 2 ** (256 - spc) : bps * spc;
  if (clusterSize > MAX_CLUSTER_SIZE) throw bad('cluster size', `<= ${MAX_CLUSTER_SIZE}`, clusterSize);
  const totalSectors = v.u64leSafe(0x28, 'total sectors');
  if (totalSectors === 0 || totalSectors * bps > volumeSize) {
    throw bad('total sectors', `1..${Math.floor(volumeSize / bps)}`, totalSectors);
  }
  const clusters = Math.floor((totalSectors * bps) / clusterSize);
  const mftCluster = v.u64leSafe(0x30, '$MFT cluster');
  const mftMirrCluster = v.u64leSafe(0x38, '$MFTMirr cluster');
  if (mftCluster === 0 || mftCluster >= clusters) throw bad('$MFT cluster', `1..${clusters - 1}`, mftCluster);
  if (mftMirrCluster >= clusters) throw bad('$MFTMirr cluster', `< ${clusters}`, mftMirrCluster);
  const mftRecordSize = recordSize(v.i8(0x40, 'MFT record size'), clusterSize);
  if (mftRecordSize < 512 || mftRecordSize > MAX_RECORD_SIZE || (mftRecordSize & (mftRecordSize - 1)) !== 0) {
    throw bad('MFT record size', `a power of two in 512..${MAX_RECORD_SIZE}`, mftRecordSize);
  }
  const indexRecordSize = recordSize(v.i8(0x44, 'index record size'), clusterSize);
  if (
    indexRecordSize < 512 ||
    indexRecordSize > MAX_RECORD_SIZE ||
    (indexRecordSize & (indexRecordSize - 1)) !== 0
  ) {
    throw bad('index record size', `a power of two in 512..${MAX_RECORD_SIZE}`, indexRecordSize);
  }
  const serial = [...v.bytesAt(0x48, 8)]
    .reverse()
    .map((x) => x.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
  return {
    bytesPerSector: bps,
    clusterSize,
    totalSectors,
    mftCluster,
    mftMirrCluster,
    mftRecordSize,
    indexRecordSize,
    serial,
  };
}

/**
 * Where the backup boot sector may be: Windows and mkntfs put it in the last sector of the
 * partition, one sector past the `total sectors` the primary counts (libfsntfs section 2.1; NT 3.51
 * put it in the middle of the volume, which is not supported). The candidates are the last
 * 512-byte and 4096-byte sectors of the source.
 */
export function backupBootOffsets(volumeSize: number): number[] {
  const out: number[] = [];
  for (const bps of [512, 4096]) {
    const o = Math.floor(volumeSize / bps) * bps - bps;
    if (o > 0 && !out.includes(o)) out.push(o);
  }
  return out;
}

/**
 * The boot sector to use: the primary when it is valid, else the first valid backup (the last
 * sector of the volume). Throws the primary's error when no copy is valid.
 */
export async function readBootSector(
  source: { size: number; read(offset: number, length: number): Promise<Uint8Array> },
  primary: Uint8Array,
): Promise<{ boot: NtfsBootSector; used: 'primary' | 'backup'; primaryError?: string }> {
  let primaryError: unknown;
  try {
    return { boot: parseBootSector(primary, 0, source.size), used: 'primary' };
  } catch (err) {
    if (!isImagecheckError(err) || isInternalError(err)) throw err;
    primaryError = err;
  }
  for (const offset of backupBootOffsets(source.size)) {
    const sector = await source.read(offset, 512);
    if (!hasNtfsOemId(sector)) continue;
    try {
      const boot = parseBootSector(sector, offset, source.size);
      return { boot, used: 'backup', primaryError: (primaryError as { code: string }).code };
    } catch (err) {
      if (!isImagecheckError(err) || isInternalError(err)) throw err;
    }
  }
  throw primaryError;
}
