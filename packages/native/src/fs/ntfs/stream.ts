import { FormatError, UnsupportedError } from '@imagecheck/access';
import { Lru } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import type { NtfsCodecs } from './codecs.js';
import { ATTR_FLAG_COMPRESSED, ATTR_FLAG_ENCRYPTED, type RawAttribute } from './record.js';
import { decodeRunlist, findRun, type Run } from './runlist.js';

/**
 * One attribute's value as a readable stream: resident bytes, or the runs of all its extents
 * (an attribute list can split a non-resident attribute across MFT records by VCN).
 */
export interface NtfsStream {
  /** Where it came from, for messages: `record 27 $DATA:Zone.Identifier`. */
  readonly label: string;
  readonly record: number;
  readonly size: number;
  readonly resident?: Uint8Array;
  readonly runs: readonly Run[];
  /** Bytes past this read as zeros (non-resident only). */
  readonly initializedSize: number;
  /** Clusters in a compression unit; 0 when not compressed. */
  readonly compressionUnitClusters: number;
}

/** A compression unit is 16 clusters in every NTFS version; 2^8 clusters is a generous cap. */
export const MAX_COMPRESSION_UNIT_LOG2 = 8;

/** Builds a stream from the extents of one attribute (same type and name), checking they chain. */
export function buildStream(
  extents: readonly RawAttribute[],
  clusterSize: number,
  clusterCount: number,
  label: string,
  partial = false,
): NtfsStream {
  const first = extents[0];
  if (first === undefined)
    throw new FormatError('ntfs/missing-attribute', `${label}: no attribute`, { data: { structure: label } });
  if ((first.flags & ATTR_FLAG_ENCRYPTED) !== 0) {
    throw new UnsupportedError('ntfs/encrypted', `${label} is EFS-encrypted`, {
      data: { structure: label, record: first.record },
    });
  }
  if (first.resident) {
    if (extents.length !== 1) {
      throw new FormatError(
        'ntfs/bad-attribute',
        `${label}: a resident attribute with ${extents.length} extents`,
        {
          data: { structure: label, record: first.record, expected: 1, actual: extents.length },
        },
      );
    }
    const value = first.value as Uint8Array;
    return {
      label,
      record: first.record,
      size: value.length,
      resident: value,
      runs: [],
      initializedSize: value.length,
      compressionUnitClusters: 0,
    };
  }
  const sorted = [...extents].sort((a, b) => (a.startVcn ?? 0) - (b.startVcn ?? 0));
  const head = sorted[0] as RawAttribute;
  if (head.startVcn !== 0 || sorted.some((e) => e.resident)) {
    throw new FormatError('ntfs/bad-attribute', `${label}: the first extent starts at VCN ${head.startVcn}`, {
      data: { structure: label, record: head.record, expected: 0, actual: head.startVcn },
    });
  }
  const runs: Run[] = [];
  let next = 0;
  for (const e of sorted) {
    if (e.startVcn !== next) {
      throw new FormatError(
        'ntfs/bad-attribute',
        `${label}: extent in record ${e.record} starts at VCN ${e.startVcn}, expected ${next}`,
        {
          data: {
            structure: label,
            record: e.record,
            offset: e.runlistOffset,
            expected: next,
            actual: e.startVcn,
          },
        },
      );
    }
    decodeRunlist(
      e.runlist as Uint8Array,
      e.runlistOffset ?? 0,
      e.startVcn,
      e.lastVcn ?? 0,
      clusterCount,
      runs,
    );
    next = (e.lastVcn ?? 0) + 1;
  }
  // `partial`: the extents known so far (the $MFT before its attribute list is read) map a prefix.
  const size = partial ? Math.min(head.dataSize ?? 0, next * clusterSize) : (head.dataSize ?? 0);
  const initializedSize = partial ? Math.min(head.initializedSize ?? 0, size) : (head.initializedSize ?? 0);
  if (size > next * clusterSize || initializedSize > size) {
    throw new FormatError(
      'ntfs/bad-attribute',
      `${label}: data size ${size} (initialized ${initializedSize}) does not fit ${next} clusters`,
      {
        data: { structure: label, record: head.record, expected: `<= ${next * clusterSize}`, actual: size },
      },
    );
  }
  let cuClusters = 0;
  if ((head.flags & ATTR_FLAG_COMPRESSED) !== 0) {
    const log2 = head.compressionUnit ?? 0;
    if (log2 === 0 || log2 > MAX_COMPRESSION_UNIT_LOG2) {
      throw new FormatError('ntfs/bad-compression-unit', `${label}: compression unit 2^${log2} clusters`, {
        data: {
          structure: label,
          record: head.record,
          expected: `1..${MAX_COMPRESSION_UNIT_LOG2}`,
          actual: log2,
        },
      });
    }
    cuClusters = 2 ** log2;
  }
  return { label, record: head.record, size, runs, initializedSize, compressionUnitClusters: cuClusters };
}

/** Decompressed compression units kept, by total bytes: sequential reads decode each unit once. */
const CU_CACHE_BYTES = 8 * 1024 * 1024;

/** Reads streams from the volume: plain, sparse and LZNT1-compressed. */
export class StreamReader {
  private readonly units = new Lru<string, Uint8Array>(CU_CACHE_BYTES);

  constructor(
    private readonly source: ByteSource,
    private readonly clusterSize: number,
    private readonly codecs: NtfsCodecs,
  ) {}

  /** `length` bytes at `offset`, short at the end of the stream; holes and the uninitialized tail read as zeros. */
  async read(s: NtfsStream, offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(s.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    if (s.resident !== undefined) return new Uint8Array(s.resident.subarray(offset, end));
    const out = new Uint8Array(end - offset);
    if (s.compressionUnitClusters > 0) {
      await this.readCompressed(s, offset, end, out);
      return out;
    }
    const dataEnd = Math.min(end, s.initializedSize);
    if (dataEnd > offset) await this.copyRuns(s.runs, offset, dataEnd, out, offset);
    return out;
  }

  /** Copies stream bytes `[from, to)` into `out` at `from - outBase`, reading no hole. */
  private async copyRuns(
    runs: readonly Run[],
    from: number,
    to: number,
    out: Uint8Array,
    outBase: number,
  ): Promise<void> {
    const cs = this.clusterSize;
    let i = findRun(runs, Math.floor(from / cs));
    let pos = from;
    while (pos < to) {
      const r = runs[i];
      if (r === undefined) {
        throw new FormatError('ntfs/short-runlist', `stream byte ${pos} is past its runs`, {
          data: { structure: 'runlist', actual: pos },
        });
      }
      const runEnd = Math.min(to, (r.vcn + r.length) * cs);
      if (r.lcn !== undefined) {
        const disk = r.lcn * cs + (pos - r.vcn * cs);
        out.set(await this.source.read(disk, runEnd - pos), pos - outBase);
      }
      pos = runEnd;
      i++;
    }
  }

  private async readCompressed(s: NtfsStream, offset: number, end: number, out: Uint8Array): Promise<void> {
    const cuBytes = s.compressionUnitClusters * this.clusterSize;
    for (let cu = Math.floor(offset / cuBytes); cu * cuBytes < end; cu++) {
      const unit = await this.unit(s, cu, cuBytes);
      if (unit === undefined) continue; // a hole: already zeros
      const from = Math.max(offset, cu * cuBytes);
      const to = Math.min(end, (cu + 1) * cuBytes);
      out.set(unit.subarray(from - cu * cuBytes, to - cu * cuBytes), from - offset);
    }
  }

  /**
   * One compression unit (libfsntfs "Compressed data"): when all its clusters are sparse it is a
   * hole; when all are allocated it is stored uncompressed; otherwise the allocated clusters at its
   * start hold LZNT1 data that decompresses to the whole unit.
   */
  private async unit(s: NtfsStream, cu: number, cuBytes: number): Promise<Uint8Array | undefined> {
    const key = `${s.record}:${s.label}:${cu}`;
    const hit = this.units.get(key);
    if (hit !== undefined) return hit;
    const cs = this.clusterSize;
    const firstVcn = cu * s.compressionUnitClusters;
    const lastVcn = firstVcn + s.compressionUnitClusters; // exclusive
    let allocated = 0;
    let covered = 0;
    let i = findRun(s.runs, firstVcn);
    if (i < 0) return undefined; // past the runs: the tail of the last unit
    for (; i < s.runs.length; i++) {
      const r = s.runs[i] as Run;
      if (r.vcn >= lastVcn) break;
      const n = Math.min(lastVcn, r.vcn + r.length) - Math.max(firstVcn, r.vcn);
      covered += n;
      if (r.lcn !== undefined) allocated += n;
    }
    if (allocated === 0) return undefined;
    const unit = new Uint8Array(cuBytes);
    if (
      allocated === s.compressionUnitClusters ||
      (covered < s.compressionUnitClusters && allocated === covered)
    ) {
      await this.copyRuns(s.runs, firstVcn * cs, (firstVcn + covered) * cs, unit, firstVcn * cs);
    } else {
      const packed = new Uint8Array(allocated * cs);
      await this.copyRuns(s.runs, firstVcn * cs, (firstVcn + allocated) * cs, packed, firstVcn * cs);
      const decoded = this.codecs.lznt1(packed, cuBytes);
      unit.set(decoded.subarray(0, Math.min(cuBytes, decoded.length)));
    }
    this.units.set(key, unit, unit.length);
    return unit;
  }
}
