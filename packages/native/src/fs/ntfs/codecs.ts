import { UnsupportedError } from '@imagecheck/access';

/**
 * The decompressors NTFS needs, from `@imagecheck/binary` (one implementation per codec in the
 * repository). Until that package exports them, each throws `UnsupportedError('ntfs/codec-unavailable')`
 * naming the codec, so a compressed file is reported as unreadable rather than read wrong.
 */
export interface NtfsCodecs {
  /** LZNT1 ([MS-XCA] 2.5): NTFS compression units. */
  lznt1(input: Uint8Array, outputSize: number): Uint8Array;
  /** XPRESS Huffman ([MS-XCA] 2.1): WOF XPRESS4K/8K/16K chunks. */
  xpressHuffman(input: Uint8Array, outputSize: number): Uint8Array;
  /** LZX (WIM flavour, 32 KiB window): WOF LZX chunks. */
  lzx(input: Uint8Array, outputSize: number): Uint8Array;
}

function unavailable(codec: string): never {
  throw new UnsupportedError(
    'ntfs/codec-unavailable',
    `the ${codec} decompressor is not available in this build`,
    {
      data: { codec },
    },
  );
}

export const CODECS: NtfsCodecs = {
  lznt1: () => unavailable('LZNT1'),
  xpressHuffman: () => unavailable('XPRESS Huffman'),
  lzx: () => unavailable('LZX'),
};
