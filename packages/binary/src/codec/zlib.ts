import type { Transform } from 'node:stream';
import * as nodeZlib from 'node:zlib';
import { corrupt, outputTooLarge, truncated, type ZlibModule } from './types.js';

/** The deflate family: raw deflate (RFC 1951), zlib (RFC 1950) and gzip (RFC 1952), through node:zlib. */
export type DeflateKind = 'deflate-raw' | 'zlib' | 'gzip';

export const NODE_ZLIB: ZlibModule = nodeZlib as unknown as ZlibModule;

/**
 * Maps a node:zlib failure to the codec's typed errors. Node reports an output over
 * `maxOutputLength` as a RangeError (ERR_BUFFER_TOO_LARGE), an input that ends early as
 * `Z_BUF_ERROR` ("unexpected end of file"), and bad data as `Z_DATA_ERROR` and friends.
 */
export function zlibFailure(kind: DeflateKind | 'zstd', err: unknown, maxOutput: number): Error {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ERR_BUFFER_TOO_LARGE') return outputTooLarge(kind, maxOutput, err);
  if (e?.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e?.message ?? '')) return truncated(kind, {}, err);
  return corrupt(kind, e?.message ?? String(err), {}, err);
}

/** One-shot inflate of the first stream in `input`; bytes after its end are ignored. */
export function inflateOneShot(
  kind: DeflateKind,
  input: Uint8Array,
  maxOutput: number,
  truncatedOk: boolean,
  zlib: ZlibModule,
): Uint8Array {
  // maxOutputLength caps the allocation; + 1 makes "more than maxOutput" visible as an error.
  const opts = {
    maxOutputLength: maxOutput + 1,
    ...(truncatedOk ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {}),
  };
  let out: Uint8Array;
  try {
    if (kind === 'deflate-raw') out = zlib.inflateRawSync(input, opts);
    else if (kind === 'zlib') out = zlib.inflateSync(input, opts);
    else out = zlib.gunzipSync(input, opts);
  } catch (err) {
    throw zlibFailure(kind, err, maxOutput);
  }
  if (out.length > maxOutput) throw outputTooLarge(kind, maxOutput);
  return out;
}

/** A node:zlib decompressing stream; `bytesWritten` counts the compressed bytes it consumed. */
export type Decoder = Transform & { readonly bytesWritten: number };

/** A node:zlib decompressing stream for the deflate family. */
export function createInflater(kind: DeflateKind, chunkSize: number, zlib: ZlibModule): Decoder {
  if (kind === 'deflate-raw') return zlib.createInflateRaw({ chunkSize });
  if (kind === 'zlib') return zlib.createInflate({ chunkSize });
  return zlib.createGunzip({ chunkSize });
}
