import { FormatError, isImagecheckError, isInternalError, UnsupportedError } from '@imagecheck/access';
import { decompressSync, type SyncCodecKind } from '@imagecheck/binary';
import { type ByteSource, clampRead, SliceSource } from '../block/index.js';

/**
 * Reads `length` bytes at `offset` of a host file that the container's mapping says must exist.
 * A mapping that points past the end of the file (a truncated or crafted image) is a FormatError.
 */
export async function readMapped(
  file: ByteSource,
  offset: number,
  length: number,
  code: string,
  what: string,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > file.size) {
    throw new FormatError(
      code,
      `${what} at ${offset} (+${length}) is past the end of the file (${file.size} bytes)`,
      {
        data: { offset, length, fileSize: file.size },
      },
    );
  }
  return file.read(offset, length);
}

/**
 * The virtual disk of a mapped container, read in units (cluster, grain, block). Subclasses map
 * one unit at a time; `out` arrives zero-filled, so unallocated and zero units need no work.
 */
export abstract class ChunkedSource implements ByteSource {
  constructor(
    readonly size: number,
    protected readonly chunkSize: number,
    private readonly label: string,
  ) {}

  async read(offset: number, length: number, options?: { allowShort?: boolean }): Promise<Uint8Array> {
    const end = clampRead(this.size, offset, length, options?.allowShort === true, this.label);
    const out = new Uint8Array(end - offset);
    let pos = offset;
    while (pos < end) {
      const index = Math.floor(pos / this.chunkSize);
      const within = pos - index * this.chunkSize;
      const n = Math.min(this.chunkSize - within, end - pos);
      await this.readChunk(index, within, n, out, pos - offset);
      pos += n;
    }
    return out;
  }

  slice(offset: number, length: number): ByteSource {
    return new SliceSource(this, offset, length);
  }

  /** Fills `out[outOffset, outOffset + length)` with bytes `[within, within + length)` of unit `index`. */
  protected abstract readChunk(
    index: number,
    within: number,
    length: number,
    out: Uint8Array,
    outOffset: number,
  ): Promise<void>;
}

/** Copies `[offset, offset + length)` of a source (a parent disk) into `out`, zero past its end. */
export async function readParent(
  parent: ByteSource,
  offset: number,
  length: number,
  out: Uint8Array,
  outOffset: number,
): Promise<void> {
  if (offset >= parent.size) return;
  const n = Math.min(length, parent.size - offset);
  out.set(await parent.read(offset, n), outOffset);
}

/**
 * Decompresses one container unit (a qcow2 cluster, a VMDK grain) whose size is known in advance:
 * the output is capped at exactly `expected` bytes, so a unit that inflates past it is a
 * FormatError, never an allocation the image chose. Bytes after the end of the compressed stream
 * are ignored (containers pad units to sectors with whatever follows), and a deflate stream cut
 * at the end of the file yields what it holds. `allowShort` accepts a shorter output (VMDK's last
 * grain may cover less than a full grain). Codec failures become `code`, naming `what`;
 * `codec/zstd-unavailable` (an UnsupportedError) passes through.
 */
export function decompressUnit(
  codec: SyncCodecKind,
  input: Uint8Array,
  expected: number,
  code: string,
  what: string,
  allowShort = false,
): Uint8Array {
  let out: Uint8Array;
  try {
    out = decompressSync(codec, input, { maxOutput: expected, truncatedOk: true });
  } catch (cause) {
    // Damage becomes the unit's code; an unsupported codec and a bug stay what they are.
    if (!isImagecheckError(cause) || cause instanceof UnsupportedError || isInternalError(cause)) throw cause;
    throw new FormatError(code, `${what} does not decompress to ${expected} bytes: ${cause.message}`, {
      data: { expected, reason: cause.code },
      cause,
    });
  }
  if (out.length < expected && !allowShort) {
    throw new FormatError(code, `${what} decompresses to ${out.length} bytes, expected ${expected}`, {
      data: { expected, actual: out.length },
    });
  }
  return out;
}
