import { checkOutputSize, codecError, copyMatch, STRUCTURE } from './common.js';
import { buildTable, COMPLETE, EMPTY, LINK, OVER_SUBSCRIBED, tableSize } from './huffman.js';

/**
 * LZX as WIM resources and WOF (CompactOS, algorithm LZX) files use it: one chunk at a time.
 *
 * The bit-level format is that of [MS-PATCH] "LZX DELTA Compression and Decompression" 2.2-2.5
 * (and the 1997 "Microsoft LZX Data Compression Format" for cabinets) without the DELTA
 * extensions: blocks of type verbatim (1), aligned offset (2) or uncompressed (3); the main,
 * length and aligned offset Huffman codes; code lengths sent as differences through a
 * 20-symbol pretree; three recent offsets. The WIM/WOF flavour differs from cabinet LZX as
 * follows (wimlib's documentation and its `lzx_decompress.c`, and the WIM format notes shipped
 * with wimlib, are the sources; Windows reads what wimlib writes and the other way round):
 * - there is no stream header: cabinet LZX starts with a bit saying whether E8 translation is on
 *   and, if so, a 32-bit translation size; WIM/WOF LZX always translates, with the fixed
 *   translation size 12,000,000 (`LZX_WIM_MAGIC_FILESIZE`);
 * - every chunk is decoded independently: the window starts empty, the recent offsets start at
 *   1, 1, 1 and all code lengths at 0 (the deltas of the first block are against zeros), and
 *   E8 positions are counted from the chunk start;
 * - the window is the chunk: 32 KiB for WIMGAPI and for WOF (`WofCompressedData` chunks of
 *   LZX are 32 KiB); wimlib also writes larger chunks with a window of the chunk size rounded up
 *   to a power of two, up to 2 MiB, which `options.windowSize` selects;
 * - a block's size is one bit (1: 32768) or else 16 bits, followed by 8 more bits when the
 *   window is 64 KiB or larger (wimlib; a cabinet block size is 24 bits);
 * - a match never runs past the end of its block (wimlib rejects one), and the output is exactly
 *   the chunk size (blocks summing to more are `lzx/output-overflow`).
 * After decoding, E8 translation is undone ([MS-PATCH] 2.5 / cabinet LZX "Intel E8 call
 * translation"): for each 0xE8 byte at position i below `size - 10`, the 32-bit value after it,
 * if in [-i, 12000000), is turned back from an absolute into a relative target, and the scan
 * skips the 4 bytes of operand either way.
 */

/** [MS-PATCH] 2.2: the window sizes LZX defines (2^15 to 2^21 without DELTA). */
const MIN_WINDOW = 1 << 15;
const MAX_WINDOW = 1 << 21;
/** WIMGAPI and WOF: 32 KiB chunks, so a 32 KiB window. */
export const LZX_DEFAULT_WINDOW_SIZE = MIN_WINDOW;
/** The largest `outputSize`: the largest window, since a chunk never exceeds its window. */
export const MAX_LZX_OUTPUT = MAX_WINDOW;

/** The E8 translation size every WIM/WOF chunk uses (wimlib `LZX_WIM_MAGIC_FILESIZE`). */
const E8_TRANSLATION_SIZE = 12_000_000;

const NUM_CHARS = 256;
const NUM_LEN_HEADERS = 8;
const NUM_PRIMARY_LENS = 7;
const MIN_MATCH = 2;
const LENGTH_SYMBOLS = 249;
const PRETREE_SYMBOLS = 20;
const ALIGNED_SYMBOLS = 8;
const MAX_MAIN_LENGTH = 16;
const MAX_LENGTH_LENGTH = 16;
/** Pretree lengths are 4-bit fields, aligned-tree lengths 3-bit fields ([MS-PATCH] 2.2.3). */
const MAX_PRETREE_LENGTH = 15;
const MAX_ALIGNED_LENGTH = 7;
const DEFAULT_BLOCK_SIZE = 32768;
const BLOCK_VERBATIM = 1;
const BLOCK_ALIGNED = 2;
const BLOCK_UNCOMPRESSED = 3;

/**
 * Offset slots ([MS-PATCH] 2.3.2.1): slot 0-2 are the recent offsets; from slot 4 on, each pair
 * of slots has one more extra bit, up to 17. The base of slot s + 1 is base(s) + 2^extra(s);
 * the match distance is base + extra bits - 2.
 */
const MAX_SLOTS = 50;
const EXTRA_BITS = new Uint8Array(MAX_SLOTS + 1);
const SLOT_BASE = new Uint32Array(MAX_SLOTS + 1);
for (let s = 0, base = 0; s <= MAX_SLOTS; s++) {
  const extra = s < 4 ? 0 : Math.min(17, (s >>> 1) - 1);
  EXTRA_BITS[s] = extra;
  SLOT_BASE[s] = base;
  base += 1 << extra;
}

/** Slots needed for a window: the first slot whose base reaches the window size (30 for 32 KiB). */
function slotsFor(windowSize: number): number {
  let s = 0;
  while ((SLOT_BASE[s] as number) < windowSize) s++;
  return s;
}

const MAX_MAIN_SYMBOLS = NUM_CHARS + NUM_LEN_HEADERS * MAX_SLOTS;
const MAIN_TABLE_BITS = 10;
const LENGTH_TABLE_BITS = 8;
const PRETREE_TABLE_BITS = 6;
const ALIGNED_TABLE_BITS = 7;

// Tables and code lengths reused by every call: decoding is synchronous, so calls never overlap.
const mainLengths = new Uint8Array(MAX_MAIN_SYMBOLS);
const lengthLengths = new Uint8Array(LENGTH_SYMBOLS);
const alignedLengths = new Uint8Array(ALIGNED_SYMBOLS);
const pretreeLengths = new Uint8Array(PRETREE_SYMBOLS);
const mainTable = new Uint32Array(tableSize(MAX_MAIN_SYMBOLS, MAX_MAIN_LENGTH, MAIN_TABLE_BITS));
const lengthTable = new Uint32Array(tableSize(LENGTH_SYMBOLS, MAX_LENGTH_LENGTH, LENGTH_TABLE_BITS));
const alignedTable = new Uint32Array(tableSize(ALIGNED_SYMBOLS, MAX_ALIGNED_LENGTH, ALIGNED_TABLE_BITS));
const pretreeTable = new Uint32Array(tableSize(PRETREE_SYMBOLS, MAX_PRETREE_LENGTH, PRETREE_TABLE_BITS));

const structure = STRUCTURE.lzx;

/**
 * The LZX bit stream: 16-bit little-endian words read most significant bit first. `bits` holds
 * the next `16 + extra` bits (extra in 0..15) at its top; a word is fetched whenever fewer than
 * 16 remain. Words past the end read as zero (a compressor need not pad the read-ahead), but
 * fetching a third word past the end means bits past the end were used: `lzx/truncated`.
 */
class BitStream {
  private bits = 0;
  private extra = 0;
  /** Byte offset of the next word to fetch. */
  pos = 0;
  private readonly n: number;

  constructor(private readonly input: Uint8Array) {
    this.n = input.length;
    this.restart(0);
  }

  private word(at: number): number {
    return (this.input[at] ?? 0) | ((this.input[at + 1] ?? 0) << 8);
  }

  /** Starts reading words at byte offset `at` (after an uncompressed block). */
  restart(at: number): void {
    this.bits = ((this.word(at) << 16) | this.word(at + 2)) >>> 0;
    this.pos = at + 4;
    this.extra = 16;
  }

  /** Bits used so far, counted from the start of the input. */
  used(): number {
    return this.pos * 8 - 16 - this.extra;
  }

  consume(k: number): void {
    this.bits = (this.bits << k) >>> 0;
    this.extra -= k;
    if (this.extra < 0) {
      this.bits = (this.bits | (this.word(this.pos) << -this.extra)) >>> 0;
      this.pos += 2;
      this.extra += 16;
      if (this.pos > this.n + 4) {
        throw codecError(
          'lzx',
          'truncated',
          structure,
          `the bit stream runs past the end of the ${this.n}-byte input`,
          {
            offset: this.n,
            expected: 'more input',
            actual: this.n,
          },
        );
      }
    }
  }

  /** The next `k` bits (0 <= k <= 16) as a number. */
  read(k: number): number {
    if (k === 0) return 0;
    const v = this.bits >>> (32 - k);
    this.consume(k);
    return v;
  }

  /** Decodes one symbol with a table from `buildTable`. */
  decode(table: Uint32Array, tableBits: number): number {
    const bits = this.bits;
    let e = table[bits >>> (32 - tableBits)] as number;
    if ((e & LINK) !== 0)
      e = table[((e >>> 5) & 0x1fffff) + ((bits << tableBits) >>> (32 - (e & 31)))] as number;
    const length = e & 31;
    if (length === 0) {
      throw codecError(
        'lzx',
        'bad-huffman-code',
        structure,
        `no codeword matches the bits at offset ${this.used() >>> 3}`,
        {
          offset: this.used() >>> 3,
        },
      );
    }
    this.consume(length);
    return e >>> 5;
  }

  /**
   * Aligns to the next 16-bit word for an uncompressed block and returns its byte offset: the
   * rest of the current word is skipped, and a whole word when already aligned ([MS-PATCH]
   * 2.3.3 "1-16 bits of padding"; wimlib does the same).
   */
  align(): number {
    return this.extra > 0 ? this.pos - 2 : this.pos;
  }
}

function table(
  name: string,
  lengths: Uint8Array,
  count: number,
  maxLength: number,
  tableBits: number,
  out: Uint32Array,
  at: number,
  emptyAllowed: boolean,
): void {
  const status = buildTable(lengths, count, maxLength, tableBits, out);
  if (status === COMPLETE || (status === EMPTY && emptyAllowed)) return;
  const what = status === OVER_SUBSCRIBED ? 'over-subscribed' : status === EMPTY ? 'empty' : 'incomplete';
  throw codecError('lzx', 'bad-huffman-table', structure, `the ${name} code before offset ${at} is ${what}`, {
    offset: at,
    field: name,
    expected: emptyAllowed ? 'a complete or empty prefix code' : 'a complete prefix code',
    actual: what,
  });
}

/**
 * Reads `count` code lengths into `lengths[start..)` through a pretree ([MS-PATCH] 2.2.4):
 * 0-16 is a difference from the previous length mod 17; 17 is 4-19 zeros, 18 is 20-51 zeros, 19
 * is 4-5 copies of one difference. A run past the end is cut there.
 */
function readLengths(bs: BitStream, lengths: Uint8Array, start: number, count: number): void {
  for (let i = 0; i < PRETREE_SYMBOLS; i++) pretreeLengths[i] = bs.read(4);
  table(
    'pretree',
    pretreeLengths,
    PRETREE_SYMBOLS,
    MAX_PRETREE_LENGTH,
    PRETREE_TABLE_BITS,
    pretreeTable,
    bs.used() >>> 3,
    false,
  );
  const end = start + count;
  // Each symbol fills at least one length, so this ends within `count` symbols.
  let i = start;
  while (i < end) {
    const sym = bs.decode(pretreeTable, PRETREE_TABLE_BITS);
    if (sym < 17) {
      lengths[i] = ((lengths[i] as number) - sym + 17) % 17;
      i++;
      continue;
    }
    let run: number;
    let value = 0;
    if (sym === 17) run = 4 + bs.read(4);
    else if (sym === 18) run = 20 + bs.read(5);
    else {
      run = 4 + bs.read(1);
      const d = bs.decode(pretreeTable, PRETREE_TABLE_BITS);
      if (d > 16) {
        throw codecError('lzx', 'bad-pretree-symbol', structure, `pretree symbol ${d} follows a run code`, {
          offset: bs.used() >>> 3,
          expected: '0..16',
          actual: d,
        });
      }
      value = ((lengths[i] as number) - d + 17) % 17;
    }
    const stop = Math.min(end, i + run);
    lengths.fill(value, i, stop);
    i = stop;
  }
}

/** WIM/WOF LZX, one chunk, 32 KiB window by default → exactly `outputSize` bytes. */
export function decompressLzx(
  input: Uint8Array,
  outputSize: number,
  options?: { windowSize?: number },
): Uint8Array {
  const windowSize = options?.windowSize ?? LZX_DEFAULT_WINDOW_SIZE;
  if (
    !Number.isSafeInteger(windowSize) ||
    windowSize < MIN_WINDOW ||
    windowSize > MAX_WINDOW ||
    (windowSize & (windowSize - 1)) !== 0
  ) {
    throw codecError(
      'lzx',
      'bad-window-size',
      structure,
      `window size ${windowSize} is not a power of two in [2^15, 2^21]`,
      {
        field: 'windowSize',
        actual: windowSize,
        expected: '2^15..2^21',
      },
    );
  }
  checkOutputSize('lzx', structure, outputSize, windowSize);
  const out = new Uint8Array(outputSize);
  const numMainSymbols = NUM_CHARS + NUM_LEN_HEADERS * slotsFor(windowSize);
  mainLengths.fill(0);
  lengthLengths.fill(0);
  const bs = new BitStream(input);
  let r0 = 1;
  let r1 = 1;
  let r2 = 1;
  let op = 0;
  // Each block writes at least one byte (a zero-size block is refused), so this ends.
  while (op < outputSize) {
    const headerAt = bs.used() >>> 3;
    const type = bs.read(3);
    let blockSize = DEFAULT_BLOCK_SIZE;
    if (bs.read(1) === 0) {
      blockSize = bs.read(16);
      if (windowSize >= 65536) blockSize = (blockSize << 8) | bs.read(8);
    }
    if (blockSize === 0 || blockSize > outputSize - op) {
      throw codecError(
        'lzx',
        'output-overflow',
        structure,
        `block at offset ${headerAt} of ${blockSize} bytes does not fit the ${outputSize - op} bytes left`,
        {
          offset: headerAt,
          expected: `1..${outputSize - op}`,
          actual: blockSize,
        },
      );
    }
    const blockEnd = op + blockSize;
    if (type === BLOCK_UNCOMPRESSED) {
      const at = bs.align();
      if (at + 12 + blockSize > input.length) {
        throw codecError(
          'lzx',
          'truncated',
          structure,
          `uncompressed block at offset ${at} runs past the end of the input`,
          {
            offset: at,
            expected: at + 12 + blockSize,
            actual: input.length,
          },
        );
      }
      r0 = u32(input, at);
      r1 = u32(input, at + 4);
      r2 = u32(input, at + 8);
      if (r0 === 0 || r1 === 0 || r2 === 0) {
        throw codecError(
          'lzx',
          'bad-distance',
          structure,
          `uncompressed block at offset ${at} sets a recent offset of 0`,
          {
            offset: at,
            expected: '> 0',
            actual: [r0, r1, r2],
          },
        );
      }
      out.set(input.subarray(at + 12, at + 12 + blockSize), op);
      op = blockEnd;
      // The data is padded to a 16-bit boundary before the bit stream resumes.
      bs.restart(Math.min(at + 12 + blockSize + (blockSize & 1), input.length));
      continue;
    }
    if (type !== BLOCK_VERBATIM && type !== BLOCK_ALIGNED) {
      throw codecError('lzx', 'bad-block-type', structure, `block at offset ${headerAt} has type ${type}`, {
        offset: headerAt,
        expected: '1, 2 or 3',
        actual: type,
      });
    }
    const aligned = type === BLOCK_ALIGNED;
    if (aligned) {
      for (let i = 0; i < ALIGNED_SYMBOLS; i++) alignedLengths[i] = bs.read(3);
      table(
        'aligned offset',
        alignedLengths,
        ALIGNED_SYMBOLS,
        MAX_ALIGNED_LENGTH,
        ALIGNED_TABLE_BITS,
        alignedTable,
        bs.used() >>> 3,
        true,
      );
    }
    readLengths(bs, mainLengths, 0, NUM_CHARS);
    readLengths(bs, mainLengths, NUM_CHARS, numMainSymbols - NUM_CHARS);
    // An empty main code could decode nothing, and every block holds at least one byte.
    table(
      'main',
      mainLengths,
      numMainSymbols,
      MAX_MAIN_LENGTH,
      MAIN_TABLE_BITS,
      mainTable,
      bs.used() >>> 3,
      false,
    );
    readLengths(bs, lengthLengths, 0, LENGTH_SYMBOLS);
    // The length code is empty when no match is longer than 8 bytes.
    table(
      'length',
      lengthLengths,
      LENGTH_SYMBOLS,
      MAX_LENGTH_LENGTH,
      LENGTH_TABLE_BITS,
      lengthTable,
      bs.used() >>> 3,
      true,
    );

    while (op < blockEnd) {
      const sym = bs.decode(mainTable, MAIN_TABLE_BITS);
      if (sym < NUM_CHARS) {
        out[op++] = sym;
        continue;
      }
      const at = bs.used() >>> 3;
      const m = sym - NUM_CHARS;
      let length = m & 7;
      const slot = m >>> 3;
      if (length === NUM_PRIMARY_LENS) length += bs.decode(lengthTable, LENGTH_TABLE_BITS);
      length += MIN_MATCH;
      let distance: number;
      if (slot < 3) {
        // Recent offsets: using R1 or R2 swaps it with R0 ([MS-PATCH] 2.3.2.1).
        if (slot === 0) distance = r0;
        else if (slot === 1) {
          distance = r1;
          r1 = r0;
          r0 = distance;
        } else {
          distance = r2;
          r2 = r0;
          r0 = distance;
        }
      } else {
        const extra = EXTRA_BITS[slot] as number;
        distance = SLOT_BASE[slot] as number;
        if (aligned && extra >= 3) {
          distance += bs.read(extra - 3) << 3;
          distance += bs.decode(alignedTable, ALIGNED_TABLE_BITS);
        } else if (extra > 16) {
          distance += bs.read(extra - 16) << 16;
          distance += bs.read(16);
        } else {
          distance += bs.read(extra);
        }
        distance -= 2;
        r2 = r1;
        r1 = r0;
        r0 = distance;
      }
      if (length > blockEnd - op) {
        throw codecError(
          'lzx',
          'output-overflow',
          structure,
          `match at offset ${at} of ${length} bytes runs past its block`,
          {
            offset: at,
            expected: blockEnd - op,
            actual: length,
          },
        );
      }
      if (distance > op) {
        throw codecError(
          'lzx',
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
      op = copyMatch(out, op, distance, length);
    }
  }
  if (outputSize > 0 && bs.used() > input.length * 8) {
    throw codecError(
      'lzx',
      'truncated',
      structure,
      `the bit stream runs past the end of the ${input.length}-byte input`,
      {
        offset: input.length,
        expected: Math.ceil(bs.used() / 8),
        actual: input.length,
      },
    );
  }
  undoE8(out);
  return out;
}

function u32(b: Uint8Array, at: number): number {
  return (
    ((b[at] as number) |
      ((b[at + 1] as number) << 8) |
      ((b[at + 2] as number) << 16) |
      ((b[at + 3] as number) << 24)) >>>
    0
  );
}

/** Undoes E8 call translation over a whole chunk (positions from the chunk start). */
function undoE8(out: Uint8Array): void {
  const limit = out.length - 10;
  let i = out.indexOf(0xe8);
  while (i >= 0 && i < limit) {
    const abs =
      (out[i + 1] as number) |
      ((out[i + 2] as number) << 8) |
      ((out[i + 3] as number) << 16) |
      ((out[i + 4] as number) << 24);
    let rel: number | undefined;
    if (abs >= 0) {
      if (abs < E8_TRANSLATION_SIZE) rel = abs - i;
    } else if (abs >= -i) {
      rel = abs + E8_TRANSLATION_SIZE;
    }
    if (rel !== undefined) {
      out[i + 1] = rel & 0xff;
      out[i + 2] = (rel >>> 8) & 0xff;
      out[i + 3] = (rel >>> 16) & 0xff;
      out[i + 4] = (rel >>> 24) & 0xff;
    }
    i = out.indexOf(0xe8, i + 5);
  }
}
