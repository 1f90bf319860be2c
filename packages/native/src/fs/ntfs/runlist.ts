import { FormatError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';

/** A run: `length` clusters starting at `vcn`; `lcn` undefined for a sparse run (a hole). */
export interface Run {
  readonly vcn: number;
  readonly lcn: number | undefined;
  readonly length: number;
}

/**
 * Runs in one attribute, across all its extents. A 2^20-run file is a fragmented 4 GiB file at
 * 4 KiB clusters; a longer list is a crafted image asking for unbounded memory.
 */
export const MAX_RUNS = 1 << 20;
/** VCNs beyond 2^40 (4 EiB at 4 KiB clusters) are past any file NTFS can hold; it keeps byte offsets safe integers. */
export const MAX_VCN = 2 ** 40;

/**
 * Decodes a runlist ("data runs", libfsntfs section 5.4): each run starts with a header byte whose
 * low nibble is the byte count of the run length (unsigned) and high nibble the byte count of the
 * LCN delta (signed, relative to the previous run's LCN; 0 bytes = sparse); a 0x00 header ends it.
 * Every run must lie inside the volume (`ntfs/run-outside-volume`) and the runs must cover exactly
 * the extent's VCNs `startVcn..lastVcn`.
 */
export function decodeRunlist(
  bytes: Uint8Array,
  offset: number,
  startVcn: number,
  lastVcn: number,
  clusterCount: number,
  into: Run[] = [],
): Run[] {
  const v = new ByteView(bytes, 'runlist', offset);
  let o = 0;
  let vcn = startVcn;
  let lcn = 0;
  for (;;) {
    const header = v.u8(o, 'run header');
    if (header === 0) break;
    const lenBytes = header & 0x0f;
    const offBytes = header >> 4;
    if (lenBytes === 0 || lenBytes > 8 || offBytes > 8) {
      throw new FormatError(
        'ntfs/bad-runlist',
        `runlist at ${offset + o}: header 0x${header.toString(16)} is not a valid run`,
        {
          data: { structure: 'runlist', offset: offset + o, actual: header },
        },
      );
    }
    v.check(o + 1, lenBytes + offBytes, 'run');
    let length = 0;
    for (let i = lenBytes - 1; i >= 0; i--) length = length * 256 + (bytes[o + 1 + i] ?? 0);
    // An allocated run fits the volume (checked below); a sparse one may not (a sparse file can be
    // larger than its volume), but its VCNs must stay countable.
    if (length === 0 || !Number.isSafeInteger(vcn + length) || vcn + length > MAX_VCN) {
      throw new FormatError(
        'ntfs/bad-runlist',
        `runlist at ${offset + o}: run of ${length} clusters at VCN ${vcn}`,
        {
          data: { structure: 'runlist', offset: offset + o, expected: `1..${MAX_VCN - vcn}`, actual: length },
        },
      );
    }
    let run: Run;
    if (offBytes === 0) {
      run = { vcn, lcn: undefined, length };
    } else {
      // Little-endian signed delta of offBytes bytes.
      let delta = 0;
      for (let i = offBytes - 1; i >= 0; i--) delta = delta * 256 + (bytes[o + 1 + lenBytes + i] ?? 0);
      if (((bytes[o + lenBytes + offBytes] ?? 0) & 0x80) !== 0) delta -= 2 ** (8 * offBytes);
      lcn += delta;
      if (!Number.isSafeInteger(lcn) || lcn < 0 || lcn + length > clusterCount) {
        throw new FormatError(
          'ntfs/run-outside-volume',
          `runlist at ${offset + o}: run of ${length} clusters at LCN ${lcn} lies outside the ${clusterCount}-cluster volume`,
          {
            data: {
              structure: 'runlist',
              offset: offset + o,
              expected: `0..${clusterCount}`,
              actual: lcn + length,
            },
          },
        );
      }
      run = { vcn, lcn, length };
    }
    if (into.length >= MAX_RUNS) {
      throw new FormatError('ntfs/too-many-runs', `runlist at ${offset + o}: more than ${MAX_RUNS} runs`, {
        data: { structure: 'runlist', offset: offset + o, cap: MAX_RUNS },
      });
    }
    into.push(run);
    vcn += length;
    o += 1 + lenBytes + offBytes;
  }
  if (vcn !== lastVcn + 1) {
    throw new FormatError(
      'ntfs/bad-runlist',
      `runlist at ${offset} covers VCNs ${startVcn}..${vcn - 1}, the attribute says ${startVcn}..${lastVcn}`,
      {
        data: { structure: 'runlist', offset, expected: lastVcn + 1, actual: vcn },
      },
    );
  }
  return into;
}

/** Index of the run holding `vcn` (runs sorted by VCN, contiguous), or -1. */
export function findRun(runs: readonly Run[], vcn: number): number {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = runs[mid] as Run;
    if (vcn < r.vcn) hi = mid - 1;
    else if (vcn >= r.vcn + r.length) lo = mid + 1;
    else return mid;
  }
  return -1;
}
