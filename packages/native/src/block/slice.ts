import { outOfRange } from './errors.js';
import type { ByteSource } from './types.js';

/** Checks a window against its parent once, so nested slices never do offset arithmetic again. */
function checkWindow(parentSize: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw outOfRange('slice', offset, length, parentSize);
  }
  if (offset + length > parentSize) throw outOfRange('slice', offset, length, parentSize);
}

/** A bounded window of another source. */
export class SliceSource implements ByteSource {
  constructor(
    private readonly parent: ByteSource,
    private readonly base: number,
    readonly size: number,
  ) {
    checkWindow(parent.size, base, size);
  }

  read(offset: number, length: number, options?: { allowShort?: boolean }): Promise<Uint8Array> {
    const end = clampRead(this.size, offset, length, options?.allowShort === true, 'slice');
    return this.parent.read(this.base + offset, end - offset);
  }

  slice(offset: number, length: number): ByteSource {
    checkWindow(this.size, offset, length);
    return new SliceSource(this.parent, this.base + offset, length);
  }
}

/**
 * Validates a read request against a source size and returns the end offset to read to.
 * Short reads are clamped only when the caller asked for them.
 */
export function clampRead(
  size: number,
  offset: number,
  length: number,
  allowShort: boolean,
  what: string,
): number {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw outOfRange(what, offset, length, size);
  }
  const end = offset + length;
  if (end <= size) return end;
  if (allowShort) return Math.max(offset, Math.min(end, size));
  throw outOfRange(what, offset, length, size);
}

/** A source over bytes already in memory (tests, decompressed blobs). */
export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.length;
  }

  async read(offset: number, length: number, options?: { allowShort?: boolean }): Promise<Uint8Array> {
    const end = clampRead(this.size, offset, length, options?.allowShort === true, 'memory');
    return this.bytes.subarray(offset, end);
  }

  slice(offset: number, length: number): ByteSource {
    return new SliceSource(this, offset, length);
  }
}
