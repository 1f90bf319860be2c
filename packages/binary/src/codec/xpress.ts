import { checkOutputSize, codecError, copyMatch, STRUCTURE } from './common.js';
import { buildTable, COMPLETE, EMPTY, LINK, OVER_SUBSCRIBED, tableSize } from './huffman.js';

/**
 * The two XPRESS codecs of [MS-XCA]:
 * - plain LZ77 ("XPRESS", [MS-XCA] 2.3/2.4): 32-bit flag words and byte-aligned match tokens,
 *   used by the hibernation file and directory replication;
 * - LZ77+Huffman ("XPRESS Huffman", [MS-XCA] 2.1/2.2): the codec of WIM resources with XPRESS
 *   compression and of WOF (CompactOS) files with the XPRESS4K/8K/16K algorithms, whose
 *   `WofCompressedData` stream is a table of chunk offsets and then chunks of 4, 8 or 16 KiB of
 *   output, each compressed on its own (a chunk whose compressed size equals its size is
 *   stored as it is; the caller handles that case, not this decoder).
 *
 * Both decode exactly `outputSize` bytes: the formats carry no end marker the decoder could rely
 * on (plain LZ77 ends when a flag announces a match that is not there, LZ77+Huffman with an
 * optional symbol 256 at the very end), so the caller's size decides, as in Windows'
 * RtlDecompressBufferEx. Input that ends before the output is complete is `xpress/truncated`;
 * a match reaching before the output start is `xpress/bad-distance`; one running past the end
 * is `xpress/output-overflow`.
 */

/**
 * The largest `outputSize` accepted. WOF chunks are at most 16 KiB and WIM XPRESS chunks at most
 * 64 KiB; the hibernation file's plain-LZ77 sets are 64 KiB. 1 MiB leaves room for other callers
 * while bounding the one allocation.
 */
export const MAX_XPRESS_OUTPUT = 1 << 20;

/** [MS-XCA] 2.4 "Plain LZ77 Decompression". */
export function decompressXpress(input: Uint8Array, outputSize: number): Uint8Array {
  const structure = STRUCTURE.xpress;
  checkOutputSize('xpress', structure, outputSize, MAX_XPRESS_OUTPUT);
  const out = new Uint8Array(outputSize);
  const n = input.length;
  let ip = 0;
  let op = 0;
  let flags = 0;
  let flagCount = 0;
  // Match lengths 10-24 share a byte between two matches: the first uses its low nibble, the
  // next its high nibble ([MS-XCA] 2.3.4). 0 = no half-used byte (offset 0 is a flag word).
  let halfByte = 0;
  const need = (count: number): void => {
    if (ip + count > n) {
      throw codecError(
        'xpress',
        'truncated',
        structure,
        `input ends at ${n} with ${op} of ${outputSize} bytes decoded`,
        {
          offset: ip,
          expected: ip + count,
          actual: n,
        },
      );
    }
  };
  // Each pass writes at least one byte, so the loop ends within outputSize passes.
  while (op < outputSize) {
    if (flagCount === 0) {
      need(4);
      flags =
        ((input[ip] as number) |
          ((input[ip + 1] as number) << 8) |
          ((input[ip + 2] as number) << 16) |
          ((input[ip + 3] as number) << 24)) >>>
        0;
      ip += 4;
      flagCount = 32;
    }
    flagCount--;
    if (((flags >>> flagCount) & 1) === 0) {
      need(1);
      out[op++] = input[ip++] as number;
      continue;
    }
    const at = ip;
    need(2);
    const token = (input[ip] as number) | ((input[ip + 1] as number) << 8);
    ip += 2;
    let length = token & 7;
    const distance = (token >>> 3) + 1;
    if (length === 7) {
      if (halfByte === 0) {
        need(1);
        halfByte = ip;
        length = (input[ip++] as number) & 15;
      } else {
        length = (input[halfByte] as number) >>> 4;
        halfByte = 0;
      }
      if (length === 15) {
        need(1);
        length = input[ip++] as number;
        if (length === 255) {
          need(2);
          length = (input[ip] as number) | ((input[ip + 1] as number) << 8);
          ip += 2;
          if (length === 0) {
            need(4);
            length =
              ((input[ip] as number) |
                ((input[ip + 1] as number) << 8) |
                ((input[ip + 2] as number) << 16) |
                ((input[ip + 3] as number) << 24)) >>>
              0;
            ip += 4;
          }
          // The 16- or 32-bit form holds the whole length minus 3.
          if (length < 15 + 7) {
            throw codecError(
              'xpress',
              'bad-length',
              structure,
              `match at offset ${at} has a long length of ${length}`,
              {
                offset: at,
                expected: '>= 22',
                actual: length,
              },
            );
          }
          length -= 15 + 7;
        }
        length += 15;
      }
      length += 7;
    }
    length += 3;
    checkMatch(structure, at, op, distance, length, outputSize);
    op = copyMatch(out, op, distance, length);
  }
  return out;
}

function checkMatch(
  structure: string,
  at: number,
  op: number,
  distance: number,
  length: number,
  outputSize: number,
): void {
  if (distance > op) {
    throw codecError(
      'xpress',
      'bad-distance',
      structure,
      `match at offset ${at} reaches ${distance} bytes back from output position ${op}`,
      {
        offset: at,
        expected: `<= ${op}`,
        actual: distance,
      },
    );
  }
  if (length > outputSize - op) {
    throw codecError(
      'xpress',
      'output-overflow',
      structure,
      `match at offset ${at} of ${length} bytes runs past the output end`,
      {
        offset: at,
        expected: outputSize - op,
        actual: length,
      },
    );
  }
}

/** [MS-XCA] 2.1: 256 literals and 256 match symbols (4 bits of offset length, 4 of match length). */
const HUFFMAN_SYMBOLS = 512;
/** [MS-XCA] 2.1: codeword lengths are 4-bit values; 0 means unused, so at most 15. */
const MAX_CODEWORD_LENGTH = 15;
/** Primary table index width: a 1024-entry fill per chunk, and longer codewords are rare. */
const TABLE_BITS = 10;
/** [MS-XCA] 2.2.4: a Huffman table (256 bytes of 4-bit lengths) precedes every 64 KiB of output. */
const HUFFMAN_BLOCK_SIZE = 65536;
const TABLE_BYTES = 256;

// One table for every call: decoding is synchronous, so no two calls can share it at once.
const huffmanLengths = new Uint8Array(HUFFMAN_SYMBOLS);
const huffmanTable = new Uint32Array(tableSize(HUFFMAN_SYMBOLS, MAX_CODEWORD_LENGTH, TABLE_BITS));

/**
 * [MS-XCA] 2.2.4 "Processing" (LZ77+Huffman decompression).
 *
 * The bit stream is read as in the specification: a 32-bit window `bits` holding the next
 * `16 + extra` bits most significant first, refilled by one 16-bit little-endian word whenever
 * fewer than 16 remain; the extra length bytes of long matches are read from the input position
 * after the words fetched so far. Like other decoders (wimlib's among them), words past the end
 * of the input read as zero, since a compressor need not write the padding the read-ahead
 * fetches; bits actually used past the end are `xpress/truncated`.
 *
 * A new table starts each 64 KiB of output; WOF and WIM chunks never exceed that, so larger
 * outputs follow the specification's pseudo-code but no producer available here writes them.
 */
export function decompressXpressHuffman(input: Uint8Array, outputSize: number): Uint8Array {
  const structure = STRUCTURE['xpress-huffman'];
  checkOutputSize('xpress', structure, outputSize, MAX_XPRESS_OUTPUT);
  const out = new Uint8Array(outputSize);
  const n = input.length;
  const table = huffmanTable;
  const truncated = (at: number, expected: number): Error =>
    codecError(
      'xpress',
      'truncated',
      structure,
      `input ends at ${n} with ${op} of ${outputSize} bytes decoded`,
      {
        offset: at,
        expected,
        actual: n,
      },
    );
  const word = (at: number): number => ((input[at] ?? 0) | ((input[at + 1] ?? 0) << 8)) >>> 0;
  let ip = 0;
  let op = 0;
  let bits = 0;
  let extra = 0;
  // Each block pass consumes 256 table bytes; each symbol writes at least one byte.
  while (op < outputSize) {
    if (ip + TABLE_BYTES > n) throw truncated(ip, ip + TABLE_BYTES);
    const tableAt = ip;
    for (let i = 0; i < TABLE_BYTES; i++) {
      const b = input[ip + i] as number;
      huffmanLengths[2 * i] = b & 15;
      huffmanLengths[2 * i + 1] = b >>> 4;
    }
    const status = buildTable(huffmanLengths, HUFFMAN_SYMBOLS, MAX_CODEWORD_LENGTH, TABLE_BITS, table);
    if (status !== COMPLETE) {
      const what = status === OVER_SUBSCRIBED ? 'over-subscribed' : status === EMPTY ? 'empty' : 'incomplete';
      throw codecError(
        'xpress',
        'bad-huffman-table',
        structure,
        `the Huffman table at offset ${tableAt} is ${what}`,
        {
          offset: tableAt,
          expected: 'a complete prefix code',
          actual: what,
        },
      );
    }
    ip += TABLE_BYTES;
    bits = ((word(ip) << 16) | word(ip + 2)) >>> 0;
    ip += 4;
    extra = 16;
    const blockEnd = Math.min(op + HUFFMAN_BLOCK_SIZE, outputSize);
    while (op < blockEnd) {
      let e = table[bits >>> (32 - TABLE_BITS)] as number;
      if ((e & LINK) !== 0)
        e = table[((e >>> 5) & 0x1fffff) + ((bits << TABLE_BITS) >>> (32 - (e & 31)))] as number;
      const length0 = e & 31;
      // A complete code covers every bit pattern; kept as a guard for the table's zero entries.
      if (length0 === 0)
        throw codecError(
          'xpress',
          'bad-huffman-code',
          structure,
          `no codeword matches the bits at offset ${ip}`,
          { offset: ip },
        );
      bits = (bits << length0) >>> 0;
      extra -= length0;
      if (extra < 0) {
        bits = (bits | (word(ip) << -extra)) >>> 0;
        ip += 2;
        extra += 16;
        if (ip > n + 4) throw truncated(ip, ip);
      }
      const symbol = e >>> 5;
      if (symbol < 256) {
        out[op++] = symbol;
        continue;
      }
      const at = ip;
      let length = symbol & 15;
      const offsetBits = (symbol >>> 4) & 15;
      if (length === 15) {
        if (ip >= n) throw truncated(ip, ip + 1);
        length = input[ip++] as number;
        if (length === 255) {
          if (ip + 2 > n) throw truncated(ip, ip + 2);
          length = word(ip);
          ip += 2;
          if (length === 0) {
            // Later revisions of [MS-XCA] allow a 32-bit length after a 16-bit zero.
            if (ip + 4 > n) throw truncated(ip, ip + 4);
            length = (word(ip) | (word(ip + 2) << 16)) >>> 0;
            ip += 4;
          }
          if (length < 15) {
            throw codecError(
              'xpress',
              'bad-length',
              structure,
              `match at offset ${at} has a long length of ${length}`,
              {
                offset: at,
                expected: '>= 15',
                actual: length,
              },
            );
          }
          length -= 15;
        }
        length += 15;
      }
      length += 3;
      let distance = 1 << offsetBits;
      if (offsetBits > 0) {
        distance |= bits >>> (32 - offsetBits);
        bits = (bits << offsetBits) >>> 0;
        extra -= offsetBits;
        if (extra < 0) {
          bits = (bits | (word(ip) << -extra)) >>> 0;
          ip += 2;
          extra += 16;
          if (ip > n + 4) throw truncated(ip, ip);
        }
      }
      checkMatch(structure, at, op, distance, length, outputSize);
      op = copyMatch(out, op, distance, length);
    }
  }
  // Bits used = bytes fetched minus the 16 + extra bits still unread in the window.
  if (outputSize > 0 && ip * 8 - 16 - extra > n * 8) throw truncated(n, Math.ceil((ip * 8 - 16 - extra) / 8));
  return out;
}
