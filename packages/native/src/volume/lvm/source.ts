import { clampRead, SliceSource } from '../../block/slice.js';
import type { ByteSource } from '../../block/types.js';

/**
 * A logical volume as a `ByteSource`: an ordered list of segments, each mapping a contiguous LV
 * range onto one or more PV ranges (device-mapper `linear` and `striped` targets).
 * Stripes are laid out round-robin in `stripeSize` chunks: LV chunk k lives on stripe k mod n,
 * at row floor(k / n) of that stripe's area.
 */
export interface MappedSegment {
  /** Byte offset of the segment in the LV. */
  readonly start: number;
  readonly length: number;
  /** One area per stripe: the PV and the byte offset on it where the stripe's area begins. */
  readonly areas: ReadonlyArray<{ readonly pv: ByteSource; readonly offset: number }>;
  /** Chunk size in bytes; ignored with one area. */
  readonly stripeSize: number;
}

export class LvSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly segments: readonly MappedSegment[],
    readonly name: string,
  ) {
    const last = segments[segments.length - 1];
    this.size = last === undefined ? 0 : last.start + last.length;
  }

  async read(offset: number, length: number, options?: { allowShort?: boolean }): Promise<Uint8Array> {
    const end = clampRead(this.size, offset, length, options?.allowShort === true, this.name);
    const out = new Uint8Array(end - offset);
    let pos = offset;
    while (pos < end) {
      const seg = this.find(pos);
      const segOff = pos - seg.start;
      let n: number;
      let from: { pv: ByteSource; at: number };
      if (seg.areas.length === 1) {
        n = Math.min(end, seg.start + seg.length) - pos;
        const a = seg.areas[0] as MappedSegment['areas'][number];
        from = { pv: a.pv, at: a.offset + segOff };
      } else {
        const chunk = Math.floor(segOff / seg.stripeSize);
        const within = segOff % seg.stripeSize;
        const a = seg.areas[chunk % seg.areas.length] as MappedSegment['areas'][number];
        const row = Math.floor(chunk / seg.areas.length);
        n = Math.min(end - pos, seg.stripeSize - within, seg.start + seg.length - pos);
        from = { pv: a.pv, at: a.offset + row * seg.stripeSize + within };
      }
      out.set(await from.pv.read(from.at, n), pos - offset);
      pos += n;
    }
    return out;
  }

  slice(offset: number, length: number): ByteSource {
    return new SliceSource(this, offset, length);
  }

  private find(pos: number): MappedSegment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.segments[mid] as MappedSegment).start <= pos) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo] as MappedSegment;
  }
}
