/**
 * Canonical Huffman decode tables for XPRESS Huffman ([MS-XCA] 2.1/2.2) and LZX ([MS-PATCH]
 * 2.2/2.3). Both give a code only as one length per symbol (0 = unused) and assign codewords in
 * canonical order (shorter first, then by symbol value); both read codewords most significant
 * bit first from a stream of 16-bit little-endian words, so one table shape serves both.
 *
 * A table is a `Uint32Array`: `2^tableBits` primary entries indexed by the next `tableBits` bits
 * of the stream, then second-level tables for longer codewords. An entry is one of
 * - a leaf, `(symbol << 5) | length` with `length` in 1..16;
 * - a link, `LINK | (start << 5) | subBits`: the next `subBits` bits after the first
 *   `tableBits` index the sub-table at `start`;
 * - `0`: no codeword starts with these bits (only in an empty code), which the decoders turn
 *   into a typed error when they meet it.
 */

/** Marks a link entry; symbols are below 2^11 and starts below 2^21, so the bit is free. */
export const LINK = 1 << 30;

/** What `buildTable` found: a complete code (Kraft sum exactly 1). */
export const COMPLETE = 0;
/** More codewords than the lengths allow (Kraft sum above 1): never decodable. */
export const OVER_SUBSCRIBED = 1;
/** Kraft sum below 1 with at least one codeword: some bit patterns decode to nothing. */
export const INCOMPLETE = 2;
/** No codeword at all (every length 0): valid only if the code is never used. */
export const EMPTY = 3;
export type CodeStatus = typeof COMPLETE | typeof OVER_SUBSCRIBED | typeof INCOMPLETE | typeof EMPTY;

/** The size of a table for `numSymbols` symbols, codewords up to `maxLength` bits, `tableBits` primary bits. */
export function tableSize(numSymbols: number, maxLength: number, tableBits: number): number {
  // At most one sub-table per symbol longer than tableBits, each of 2^(maxLength - tableBits).
  const sub = maxLength > tableBits ? Math.min(numSymbols, 1 << tableBits) << (maxLength - tableBits) : 0;
  return (1 << tableBits) + sub;
}

const counts = new Uint16Array(17);
const nextCode = new Uint32Array(17);

/**
 * Fills `table` from `lengths[0..numSymbols)` (each in 0..maxLength, maxLength <= 16). Returns
 * the status; the table is filled (and safe to decode with) whatever it is, with `0` entries for
 * bit patterns no codeword covers. Over-subscribed codes leave the table meaningless, so
 * callers must reject them.
 */
export function buildTable(
  lengths: Uint8Array,
  numSymbols: number,
  maxLength: number,
  tableBits: number,
  table: Uint32Array,
): CodeStatus {
  counts.fill(0);
  let longest = 0;
  for (let s = 0; s < numSymbols; s++) {
    const l = lengths[s] ?? 0;
    counts[l] = (counts[l] ?? 0) + 1;
    if (l > longest) longest = l;
  }
  counts[0] = 0;
  // Kraft: 2^maxLength times the sum of 2^-length over the codewords, as codewords left free.
  let left = 1;
  for (let l = 1; l <= maxLength; l++) {
    left = (left << 1) - (counts[l] ?? 0);
    if (left < 0) return OVER_SUBSCRIBED;
  }
  const primary = 1 << tableBits;
  table.fill(0, 0, primary);
  if (longest === 0) return EMPTY;

  // First canonical codeword of each length.
  let code = 0;
  nextCode[0] = 0;
  for (let l = 1; l <= maxLength; l++) {
    code = (code + (counts[l - 1] ?? 0)) << 1;
    nextCode[l] = code;
  }
  const subBits = longest > tableBits ? longest - tableBits : 0;
  let free = primary;
  for (let s = 0; s < numSymbols; s++) {
    const l = lengths[s] ?? 0;
    if (l === 0) continue;
    const c = nextCode[l] ?? 0;
    nextCode[l] = c + 1;
    const leaf = (s << 5) | l;
    if (l <= tableBits) {
      const from = c << (tableBits - l);
      table.fill(leaf, from, from + (1 << (tableBits - l)));
      continue;
    }
    const prefix = c >>> (l - tableBits);
    let link = table[prefix] ?? 0;
    if ((link & LINK) === 0) {
      link = LINK | (free << 5) | subBits;
      table[prefix] = link;
      table.fill(0, free, free + (1 << subBits));
      free += 1 << subBits;
    }
    const start = (link >>> 5) & 0x1fffff;
    const rest = c & ((1 << (l - tableBits)) - 1);
    const from = start + (rest << (subBits - (l - tableBits)));
    table.fill(leaf, from, from + (1 << (subBits - (l - tableBits))));
  }
  return left === 0 ? COMPLETE : INCOMPLETE;
}
