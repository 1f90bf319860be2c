import { FormatError, isImagecheckError, isInternalError, UnsupportedError } from '@imagecheck/access';
import { ByteView, decompressSync, lzo1xDecompress } from '@imagecheck/binary';

/**
 * btrfs LZO framing (fs/btrfs/lzo.c): LE32 total length of the compressed data (including this
 * header), then segments of LE32 length + LZO1X data, each decompressing to at most one sector.
 * A segment header never straddles a sector boundary: when fewer than 4 bytes are left in the
 * sector, they are padding and the next header starts at the next sector.
 */
export function btrfsLzoDecompress(src: Uint8Array, outLength: number, sectorSize: number): Uint8Array {
  const v = new ByteView(src, 'btrfs LZO extent');
  if (src.length < 4)
    throw new FormatError('btrfs/bad-lzo', 'LZO extent shorter than its header', {
      data: { actual: src.length },
    });
  const total = v.u32le(0);
  if (total > src.length || total < 4) {
    throw new FormatError('btrfs/bad-lzo', 'LZO extent length disagrees with the extent', {
      data: { expected: src.length, actual: total },
    });
  }
  const out = new Uint8Array(outLength);
  let ip = 4;
  let op = 0;
  while (op < outLength && ip < total) {
    const left = sectorSize - (ip % sectorSize);
    if (left < 4) ip += left;
    if (ip + 4 > total) break;
    const segLen = v.u32le(ip);
    ip += 4;
    if (segLen === 0 || ip + segLen > total) {
      throw new FormatError('btrfs/bad-lzo', 'LZO segment runs past the extent', {
        data: { offset: ip, actual: segLen },
      });
    }
    const seg = lzo1xDecompress(src.subarray(ip, ip + segLen), Math.min(sectorSize, outLength - op));
    out.set(seg, op);
    op += seg.length;
    ip += segLen;
  }
  // A short tail reads as zeros, as the kernel leaves the rest of the page zeroed.
  return out;
}

/** btrfs compression types (BTRFS_COMPRESS_*): 1 zlib (RFC 1950), 2 LZO (framed as above), 3 zstd. */
export const BTRFS_COMPRESS_ZLIB = 1;
export const BTRFS_COMPRESS_LZO = 2;
export const BTRFS_COMPRESS_ZSTD = 3;

/**
 * Decompresses one btrfs extent to at most `ramBytes` bytes through the codec module. zlib and
 * zstd data are padded to sectors with whatever was in memory: the codecs stop at the end of
 * their stream (the zstd frame walk, zlib's end marker), as the kernel's streaming decoders do.
 * Damage is `btrfs/bad-compressed-extent` with the codec's error as its cause; zstd on a Node
 * without it stays `codec/zstd-unavailable`.
 */
export function decompressExtent(
  raw: Uint8Array,
  compression: number,
  ramBytes: number,
  sectorSize: number,
  where: Record<string, unknown>,
): Uint8Array {
  const maxOutput = Math.max(ramBytes, 1);
  try {
    if (compression === BTRFS_COMPRESS_ZLIB) return decompressSync('zlib', raw, { maxOutput });
    if (compression === BTRFS_COMPRESS_LZO) return btrfsLzoDecompress(raw, ramBytes, sectorSize);
    return decompressSync('zstd', raw, { maxOutput });
  } catch (cause) {
    if (!isImagecheckError(cause) || cause instanceof UnsupportedError || isInternalError(cause)) throw cause;
    throw new FormatError('btrfs/bad-compressed-extent', `cannot decompress an extent: ${cause.message}`, {
      data: { ...where, reason: cause.code },
      cause,
    });
  }
}
