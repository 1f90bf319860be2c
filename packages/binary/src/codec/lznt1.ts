import { checkOutputSize, codecError, copyMatch, STRUCTURE } from './common.js';

/**
 * LZNT1, the codec of NTFS compressed files ([MS-XCA] 2.5 "LZNT1 Algorithm Details").
 *
 * The input is a sequence of chunks, each holding at most 4096 bytes of output and compressed on
 * its own (a match never reaches into an earlier chunk). A chunk starts with a 16-bit
 * little-endian header ([MS-XCA] 2.5.1.1):
 * - bits 0-11: the chunk's size in bytes, header included, minus 3;
 * - bits 12-14: the signature, always 0b011;
 * - bit 15: set when the chunk is compressed; clear when its data is 4096 (or, for a last
 *   chunk, fewer) bytes stored as they are.
 * A header of zero, or fewer than two bytes left, ends the data: NTFS leaves the rest of a
 * compression unit's last cluster zero.
 *
 * A compressed chunk is groups of one flag byte and eight items, bit 0 first: a clear bit is a
 * literal byte, a set bit a 16-bit little-endian token ([MS-XCA] 2.5.1.2) whose high bits are a
 * displacement minus 1 and low bits a length minus 3. How many bits the displacement takes
 * depends on how far into the chunk the output is: 4 bits up to 16 bytes, one more each time
 * that doubles, 12 bits at most (so lengths take 12 down to 4 bits).
 *
 * NTFS ([MS-FSCC], ntfs-3g and the Linux driver alike) stores a file in compression units of 16
 * clusters; a unit written compressed decodes to whole 4096-byte chunks, and a chunk that
 * decodes to fewer bytes is followed by zeros up to 4096. This decoder does the same for every
 * chunk followed by another, and returns the last chunk as decoded, so the result may be
 * shorter than `outputSize`: that is valid (the unit's remaining chunks are absent), and the
 * NTFS reader pads the result with zeros up to the unit size.
 */

/** Output bytes of one chunk ([MS-XCA] 2.5). */
export const LZNT1_CHUNK_SIZE = 4096;

/**
 * The largest `outputSize` accepted: NTFS compression units are at most 64 KiB (16 clusters of
 * at most 4 KiB; NTFS does not compress volumes with larger clusters); 1 MiB leaves room for
 * other callers while bounding the one allocation.
 */
export const MAX_LZNT1_OUTPUT = 1 << 20;

const SIGNATURE = 3;

/** One LZNT1 compression unit stream (chunks with 2-byte headers) → at most `outputSize` bytes. */
export function decompressLznt1(input: Uint8Array, outputSize: number): Uint8Array {
  const structure = STRUCTURE.lznt1;
  checkOutputSize('lznt1', structure, outputSize, MAX_LZNT1_OUTPUT);
  const out = new Uint8Array(outputSize);
  let ip = 0;
  let op = 0;
  // Where the previous chunk's output started, to pad it to a whole chunk when another follows.
  let chunkStart = -1;
  // Each pass consumes at least the 2-byte header, so the loop ends with the input.
  while (ip + 2 <= input.length) {
    const header = (input[ip] ?? 0) | ((input[ip + 1] ?? 0) << 8);
    if (header === 0) break;
    if (chunkStart >= 0) op = chunkStart + LZNT1_CHUNK_SIZE;
    if (((header >>> 12) & 7) !== SIGNATURE) {
      throw codecError(
        'lznt1',
        'bad-signature',
        structure,
        `chunk header at offset ${ip} has signature ${(header >>> 12) & 7}`,
        {
          offset: ip,
          field: 'signature',
          expected: SIGNATURE,
          actual: (header >>> 12) & 7,
        },
      );
    }
    const dataStart = ip + 2;
    const dataEnd = dataStart + (header & 0xfff) + 1;
    if (dataEnd > input.length) {
      throw codecError(
        'lznt1',
        'truncated',
        structure,
        `chunk at offset ${ip} runs past the end of the input`,
        {
          offset: ip,
          expected: dataEnd,
          actual: input.length,
        },
      );
    }
    const limit = Math.min(op + LZNT1_CHUNK_SIZE, outputSize);
    if (op >= outputSize) {
      throw codecError(
        'lznt1',
        'output-overflow',
        structure,
        `chunk at offset ${ip} starts past the output size`,
        {
          offset: ip,
          expected: outputSize,
          actual: op,
        },
      );
    }
    chunkStart = op;
    if ((header & 0x8000) === 0) {
      const n = dataEnd - dataStart;
      if (op + n > limit) {
        throw codecError(
          'lznt1',
          'output-overflow',
          structure,
          `stored chunk at offset ${ip} holds ${n} bytes`,
          {
            offset: ip,
            expected: limit - op,
            actual: n,
          },
        );
      }
      out.set(input.subarray(dataStart, dataEnd), op);
      op += n;
    } else {
      op = decodeChunk(input, dataStart, dataEnd, out, op, limit);
    }
    ip = dataEnd;
  }
  return out.subarray(0, op);
}

/** Decodes one compressed chunk's data `[ip, end)` into `out` from `op`, never past `limit`; returns the new output position. */
function decodeChunk(
  input: Uint8Array,
  ip: number,
  end: number,
  out: Uint8Array,
  op: number,
  limit: number,
): number {
  const base = op;
  while (ip < end) {
    let flags = input[ip++] ?? 0;
    for (let item = 0; item < 8 && ip < end; item++, flags >>>= 1) {
      if ((flags & 1) === 0) {
        if (op >= limit) throw overflow(ip, limit, op + 1);
        out[op++] = input[ip++] ?? 0;
        continue;
      }
      if (ip + 2 > end) {
        throw codecError('lznt1', 'truncated', STRUCTURE.lznt1, `token at offset ${ip} runs past its chunk`, {
          offset: ip,
          expected: ip + 2,
          actual: end,
        });
      }
      const token = (input[ip] ?? 0) | ((input[ip + 1] ?? 0) << 8);
      const pos = op - base;
      // [MS-XCA] 2.5.1.2: displacement bits = max(4, bits needed for pos - 1).
      const displacementBits = pos <= 16 ? 4 : 32 - Math.clz32(pos - 1);
      const lengthBits = 16 - displacementBits;
      const length = (token & ((1 << lengthBits) - 1)) + 3;
      const distance = (token >>> lengthBits) + 1;
      if (distance > pos) {
        throw codecError(
          'lznt1',
          'bad-distance',
          STRUCTURE.lznt1,
          `match at offset ${ip} reaches ${distance} bytes back from chunk position ${pos}`,
          {
            offset: ip,
            expected: `<= ${pos}`,
            actual: distance,
          },
        );
      }
      if (op + length > limit) throw overflow(ip, limit, op + length);
      ip += 2;
      op = copyMatch(out, op, distance, length);
    }
  }
  return op;
}

function overflow(ip: number, limit: number, actual: number) {
  return codecError(
    'lznt1',
    'output-overflow',
    STRUCTURE.lznt1,
    `item at offset ${ip} writes past the chunk or output end`,
    {
      offset: ip,
      expected: limit,
      actual,
    },
  );
}
