import { decompressLznt1, decompressLzx, decompressXpressHuffman } from '@imagecheck/binary';

/**
 * The decompressors NTFS needs. They live once, in `@imagecheck/binary`; the reader takes them
 * through this interface so a test can count or replace them.
 */
export interface NtfsCodecs {
  /** LZNT1 ([MS-XCA] 2.5): NTFS compression units; may return fewer bytes than asked (zeros follow). */
  lznt1(input: Uint8Array, outputSize: number): Uint8Array;
  /** XPRESS Huffman ([MS-XCA] 2.1): WOF XPRESS4K/8K/16K chunks. */
  xpressHuffman(input: Uint8Array, outputSize: number): Uint8Array;
  /** LZX, WIM flavour with a 32 KiB window: WOF LZX chunks. */
  lzx(input: Uint8Array, outputSize: number): Uint8Array;
}

export const CODECS: NtfsCodecs = {
  lznt1: decompressLznt1,
  xpressHuffman: decompressXpressHuffman,
  lzx: (input, outputSize) => decompressLzx(input, outputSize, { windowSize: 32768 }),
};
