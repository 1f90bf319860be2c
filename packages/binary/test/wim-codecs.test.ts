import { readFile } from 'node:fs/promises';
import { requireTools } from '@imagecheck/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import { decompressLzx, decompressXpressHuffman } from '../src/index.js';
import {
  fileChunks,
  readWim,
  type Wim,
  type WimFixture,
  type WimVariant,
  wimFixture,
} from './fixtures/wim.js';

/**
 * XPRESS Huffman and LZX against wimlib: every chunk of every file wimcapture compressed is
 * decoded on its own and compared with the file it captured and with what wimapply extracts.
 */

const VARIANTS: WimVariant[] = [
  { compression: 'XPRESS', chunkSize: 4096 },
  { compression: 'XPRESS', chunkSize: 8192 },
  { compression: 'XPRESS', chunkSize: 16384 },
  { compression: 'XPRESS', chunkSize: 32768 },
  { compression: 'XPRESS', chunkSize: 65536 },
  { compression: 'LZX', chunkSize: 32768 },
  { compression: 'LZX', chunkSize: 65536 },
  { compression: 'LZX', chunkSize: 1 << 20 },
  { compression: 'LZX', chunkSize: 1 << 21 },
];

const HDR_XPRESS = 0x20000;
const HDR_LZX = 0x40000;

const haveWimlib = requireTools('wimcapture', 'wimapply');

function decode(variant: WimVariant, data: Uint8Array, size: number): Uint8Array {
  return variant.compression === 'XPRESS'
    ? decompressXpressHuffman(data, size)
    : decompressLzx(data, size, { windowSize: Math.max(32768, variant.chunkSize) });
}

/** E8 bytes an LZX compressor translates in a chunk: operand in [-i, 12000000) at position i < size - 10. */
function translatableCalls(chunk: Uint8Array): number {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let sites = 0;
  for (let i = 0; i < chunk.length - 10; i++) {
    if (chunk[i] !== 0xe8) continue;
    const rel = view.getInt32(i + 1, true);
    if (rel >= -i && rel < 12_000_000) sites++;
    i += 4;
  }
  return sites;
}

describe.skipIf(!haveWimlib).each(VARIANTS)('wimlib $compression, $chunkSize-byte chunks', (variant) => {
  let fixture: WimFixture;
  let wim: Wim;
  beforeAll(async () => {
    fixture = await wimFixture(variant);
    wim = readWim(new Uint8Array(await readFile(fixture.wimPath)));
  }, 300_000);

  it('is a WIM with that compression and chunk size', () => {
    expect(wim.flags & (HDR_XPRESS | HDR_LZX)).toBe(variant.compression === 'XPRESS' ? HDR_XPRESS : HDR_LZX);
    expect(wim.chunkSize).toBe(variant.chunkSize);
  });

  it('decodes every compressed chunk of every file to the bytes wimlib captured and wimapply extracts', () => {
    let compressed = 0;
    let raw = 0;
    let alignedFirst = 0;
    let e8Sites = 0;
    for (const [name, contents] of Object.entries(fixture.files)) {
      expect(
        Buffer.compare(fixture.applied[name] ?? new Uint8Array(), contents),
        `${name} as wimapply wrote it`,
      ).toBe(0);
      const chunks = fileChunks(wim, contents);
      if (chunks === undefined) continue;
      const whole = new Uint8Array(contents.length);
      let at = 0;
      for (const chunk of chunks) {
        const out = chunk.raw ? chunk.data : decode(variant, chunk.data, chunk.size);
        if (chunk.raw) raw++;
        else {
          compressed++;
          // The first block's type is the top 3 bits of the first 16-bit word (2 = aligned offset).
          if (((chunk.data[0] ?? 0) | ((chunk.data[1] ?? 0) << 8)) >>> 13 === 2) alignedFirst++;
          e8Sites += translatableCalls(contents.subarray(at, at + chunk.size));
        }
        expect(out.length).toBe(chunk.size);
        whole.set(out, at);
        at += chunk.size;
      }
      expect(Buffer.compare(whole, contents), `${name}`).toBe(0);
    }
    expect(compressed).toBeGreaterThan(0);
    // What the corpus is there to exercise: stored chunks (random data) with small chunks, and
    // for LZX aligned offset blocks and E8 call translation (which a decoder that skipped
    // undoing it would get wrong at every one of these sites).
    if (variant.chunkSize <= 16384) expect(raw).toBeGreaterThan(0);
    if (variant.compression === 'LZX') {
      expect(alignedFirst).toBeGreaterThan(0);
      expect(e8Sites).toBeGreaterThan(1000);
    }
  });
});
