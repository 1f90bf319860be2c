import { FormatError, InternalError } from '@imagecheck/access';

/**
 * The compressed formats the readers meet:
 * - `deflate-raw` (RFC 1951; qcow2 zlib clusters, VMDK stream-optimized grains are `zlib`),
 *   `zlib` (RFC 1950; btrfs zlib extents), `gzip` (RFC 1952; initramfs, `.ko.gz`);
 * - `zstd` (RFC 8878; qcow2 `compression_type=zstd`, btrfs zstd extents, initramfs);
 * - `lz4-block` (lz4 doc/lz4_Block_format.md) and `lz4-legacy` (the `lz4 -l` frame the kernel's
 *   initramfs unpacker reads, doc/lz4_Frame_format.md "Legacy frame");
 * - `lzo1x` (one LZO1X stream, kernel Documentation/staging/lzo.rst; btrfs wraps it per sector);
 * - `xz` (tukaani xz file format 1.x) and `bzip2`.
 */
export type CodecKind =
  | 'deflate-raw'
  | 'zlib'
  | 'gzip'
  | 'zstd'
  | 'lz4-block'
  | 'lz4-legacy'
  | 'lzo1x'
  | 'xz'
  | 'bzip2';

/** The part of `node:zlib` the codecs use; tests inject a module without zstd. */
export interface ZlibModule {
  inflateRawSync: typeof import('node:zlib').inflateRawSync;
  inflateSync: typeof import('node:zlib').inflateSync;
  gunzipSync: typeof import('node:zlib').gunzipSync;
  createInflateRaw: typeof import('node:zlib').createInflateRaw;
  createInflate: typeof import('node:zlib').createInflate;
  createGunzip: typeof import('node:zlib').createGunzip;
  constants: typeof import('node:zlib').constants;
  /** Node >= 22.15 and >= 23.8; looked up at call time, never imported by name. */
  zstdDecompressSync?: unknown;
  createZstdDecompress?: unknown;
}

export interface DecompressOptions {
  /**
   * The most bytes the output may hold: more is `codec/output-too-large`, found before more than
   * `maxOutput + 1` bytes are allocated (the decompression-bomb cap). Required: every caller knows
   * what it expects (a cluster, an extent, a file under its size cap).
   */
  readonly maxOutput: number;
  /**
   * Accept input that stops before the compressed stream ends and return what it decoded
   * (deflate family only): a qcow2 cluster's stored length is rounded to sectors and may be cut
   * at the end of the file.
   */
  readonly truncatedOk?: boolean;
  /** For tests: the `node:zlib` module to use (to simulate a Node without zstd). */
  readonly zlib?: ZlibModule;
}

export function outputTooLarge(kind: CodecKind, maxOutput: number, cause?: unknown): FormatError {
  return new FormatError(
    'codec/output-too-large',
    `${kind} data decompresses to more than ${maxOutput} bytes`,
    {
      data: { structure: kind, expected: maxOutput },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

export function corrupt(
  kind: CodecKind,
  why: string,
  data: Record<string, unknown> = {},
  cause?: unknown,
): FormatError {
  return new FormatError('codec/corrupt', `${kind} data is corrupt: ${why}`, {
    data: { structure: kind, ...data },
    ...(cause === undefined ? {} : { cause }),
  });
}

export function truncated(kind: CodecKind, data: Record<string, unknown> = {}, cause?: unknown): FormatError {
  return new FormatError('codec/truncated', `${kind} data ends before its stream does`, {
    data: { structure: kind, ...data },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Throws unless `maxOutput` is a usable cap: a caller bug otherwise, not an image's fault. */
export function checkMaxOutput(maxOutput: number): void {
  if (!Number.isSafeInteger(maxOutput) || maxOutput < 0) {
    throw new InternalError(
      'codec/bad-max-output',
      `maxOutput must be a non-negative safe integer, not ${maxOutput}`,
      {
        data: { actual: maxOutput },
      },
    );
  }
}

/** The parts in order, as one array (the one part itself when there is one). */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
