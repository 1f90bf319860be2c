import { FormatError } from '@imagecheck/access';

/**
 * What the Windows codecs share: the typed error they throw and the check of the output size a
 * caller asks for (which comes from an image: a compression unit, a WOF chunk, a WIM chunk).
 */

/** The codec family prefixing every error code (`lznt1/truncated`, `lzx/bad-huffman-table`). */
export type Codec = 'lznt1' | 'xpress' | 'lzx';

/** Names of the structures in error data, one per decoder. */
export const STRUCTURE: Readonly<Record<Codec | 'xpress-huffman', string>> = {
  lznt1: 'LZNT1 compressed data',
  xpress: 'XPRESS (plain LZ77) compressed data',
  'xpress-huffman': 'XPRESS Huffman (LZ77+Huffman) compressed data',
  lzx: 'LZX compressed chunk',
};

/** A `FormatError` with `code` `<codec>/<what>` and `data` naming the structure and the input offset. */
export function codecError(
  codec: Codec,
  what: string,
  structure: string,
  message: string,
  data: Record<string, unknown>,
): FormatError {
  return new FormatError(`${codec}/${what}`, `${structure}: ${message}`, { data: { structure, ...data } });
}

/**
 * Refuses an output size that is not a whole number in `[0, cap]`. The size decides the one
 * allocation a decoder makes, so it is checked before anything is allocated.
 */
export function checkOutputSize(codec: Codec, structure: string, outputSize: number, cap: number): void {
  if (!Number.isSafeInteger(outputSize) || outputSize < 0 || outputSize > cap) {
    throw codecError(codec, 'bad-output-size', structure, `output size ${outputSize} is not in [0, ${cap}]`, {
      field: 'outputSize',
      actual: outputSize,
      expected: `0..${cap}`,
    });
  }
}

/**
 * Copies an LZ77 match of `length` bytes from `distance` back; a distance shorter than the length
 * repeats the bytes being produced, so those are copied a byte at a time. Callers have checked
 * that `distance <= op` and `op + length <= out.length`. Returns the new output position.
 */
export function copyMatch(out: Uint8Array, op: number, distance: number, length: number): number {
  let from = op - distance;
  const end = op + length;
  if (distance >= length && length > 32) {
    out.copyWithin(op, from, from + length);
    return end;
  }
  while (op < end) out[op++] = out[from++] as number;
  return end;
}
