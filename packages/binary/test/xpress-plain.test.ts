import { requireTools } from '@imagecheck/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import { decompressLznt1, decompressXpress } from '../src/index.js';
import { sambaLibrary, sambaXpressFixture, type XpressPiece } from './fixtures/samba.js';

/**
 * Plain LZ77 XPRESS against Samba's compressor, and the worked examples that [MS-XCA] section 3
 * prints (the specification authors' bytes) for plain LZ77 and LZNT1.
 */

describe.skipIf(!requireTools('python3', sambaLibrary()))(
  'plain XPRESS written by Samba lzxpress_compress',
  () => {
    let pieces: XpressPiece[];
    beforeAll(async () => {
      pieces = await sambaXpressFixture();
    }, 300_000);

    it('decodes every piece to the bytes Samba compressed', () => {
      expect(pieces.length).toBeGreaterThan(50);
      for (const piece of pieces) {
        const out = decompressXpress(piece.compressed, piece.plain.length);
        expect(Buffer.compare(out, piece.plain), piece.name).toBe(0);
      }
    });

    it('compressed the compressible pieces, so matches of every length form were decoded', () => {
      const text = pieces.find((p) => p.name === 'text.txt@0+1MiB');
      const runs = pieces.find((p) => p.name === 'repetitive.bin@0');
      expect(text?.compressed.length).toBeLessThan((text?.plain.length ?? 0) / 2);
      // Runs far longer than 255 + 22 bytes need the 16-bit length form.
      expect(runs?.compressed.length).toBeLessThan((runs?.plain.length ?? 0) / 100);
    });
  },
);

describe('[MS-XCA] section 3 examples', () => {
  it('plain LZ77: the alphabet, all literals', () => {
    const compressed = Uint8Array.of(
      0x3f,
      0,
      0,
      0,
      ...new TextEncoder().encode('abcdefghijklmnopqrstuvwxyz'),
    );
    expect(new TextDecoder().decode(decompressXpress(compressed, 26))).toBe('abcdefghijklmnopqrstuvwxyz');
  });

  it('plain LZ77: "abc" 100 times, one overlapping match of 297 bytes', () => {
    const compressed = Uint8Array.of(
      0xff,
      0xff,
      0xff,
      0x1f,
      0x61,
      0x62,
      0x63,
      0x17,
      0x00,
      0x0f,
      0xff,
      0x26,
      0x01,
    );
    expect(new TextDecoder().decode(decompressXpress(compressed, 300))).toBe('abc'.repeat(100));
  });

  it('LZNT1: one compressed chunk of a tune', () => {
    // biome-ignore format: the specification's rows of 16 bytes
    const compressed = Uint8Array.of(
      0x38, 0xb0, 0x88, 0x46, 0x23, 0x20, 0x00, 0x20, 0x47, 0x20, 0x41, 0x00, 0x10, 0xa2, 0x47, 0x01,
      0xa0, 0x45, 0x20, 0x44, 0x00, 0x08, 0x45, 0x01, 0x50, 0x79, 0x00, 0xc0, 0x45, 0x20, 0x05, 0x24,
      0x13, 0x88, 0x05, 0xb4, 0x02, 0x4a, 0x44, 0xef, 0x03, 0x58, 0x02, 0x8c, 0x09, 0x16, 0x01, 0x48,
      0x45, 0x00, 0xbe, 0x00, 0x9e, 0x00, 0x04, 0x01, 0x18, 0x90, 0x00,
    );
    const tune =
      'F# F# G A A G F# E D D E F# F# E E F# F# G A A G F# E D D E F# E D D E E F# D E F# G F# D E F# G F# E D E A ' +
      'F# F# G A A G F# E D D E F# E D D\0';
    // The last (only) chunk comes back as decoded, not padded to 4096 bytes.
    expect(new TextDecoder().decode(decompressLznt1(compressed, 4096))).toBe(tune);
  });
});
