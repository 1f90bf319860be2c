import { describe, expect, it } from 'vitest';
import { buildTable, COMPLETE, EMPTY, INCOMPLETE, LINK, OVER_SUBSCRIBED, tableSize } from './huffman.js';

/** The Kraft-sum classification the decoders rely on to reject bad tables, and the table shape. */
describe('buildTable', () => {
  const build = (lengths: number[], tableBits = 4) => {
    const table = new Uint32Array(tableSize(lengths.length, 15, tableBits));
    return { status: buildTable(Uint8Array.from(lengths), lengths.length, 15, tableBits, table), table };
  };

  it('classifies complete, over-subscribed, incomplete and empty codes', () => {
    expect(build([1, 2, 3, 3]).status).toBe(COMPLETE);
    expect(build([1, 1, 1]).status).toBe(OVER_SUBSCRIBED);
    expect(build([1, 2, 3]).status).toBe(INCOMPLETE);
    expect(build([0, 0, 0]).status).toBe(EMPTY);
  });

  it('assigns canonical codewords: shorter first, then by symbol, most significant bit first', () => {
    // Lengths 2, 1, 3, 3: symbol 1 = 0, symbol 0 = 10, symbol 2 = 110, symbol 3 = 111.
    const { table } = build([2, 1, 3, 3], 3);
    const at = (bits: number) => [(table[bits] ?? 0) >>> 5, (table[bits] ?? 0) & 31];
    expect(at(0b000)).toEqual([1, 1]);
    expect(at(0b011)).toEqual([1, 1]);
    expect(at(0b100)).toEqual([0, 2]);
    expect(at(0b110)).toEqual([2, 3]);
    expect(at(0b111)).toEqual([3, 3]);
  });

  it('links codewords longer than the primary index to sub-tables', () => {
    // Codewords 0, 10, 110, 1110, 11110, 111110, 111111: the last four share the 3-bit prefix
    // 111 and go to a sub-table indexed by the next 3 bits.
    const lengths = [1, 2, 3, 4, 5, 6, 6];
    const { status, table } = build(lengths, 3);
    expect(status).toBe(COMPLETE);
    const link = table[0b111] ?? 0;
    expect(link & LINK).toBe(LINK);
    const start = (link >>> 5) & 0x1fffff;
    const subBits = link & 31;
    expect(subBits).toBe(3);
    // After 111: 0.. -> symbol 3, 10. -> symbol 4, 110 -> symbol 5, 111 -> symbol 6.
    expect((table[start + 0b000] ?? 0) >>> 5).toBe(3);
    expect((table[start + 0b100] ?? 0) >>> 5).toBe(4);
    expect((table[start + 0b110] ?? 0) >>> 5).toBe(5);
    expect((table[start + 0b111] ?? 0) >>> 5).toBe(6);
  });
});
