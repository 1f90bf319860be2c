import { readFile } from 'node:fs/promises';
import { FormatError, isImagecheckError } from '@imagecheck/access';
import { requireTools } from '@imagecheck/test-kit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decompressLznt1,
  decompressLzx,
  decompressXpress,
  decompressXpressHuffman,
  MAX_LZNT1_OUTPUT,
  MAX_LZX_OUTPUT,
  MAX_XPRESS_OUTPUT,
} from '../src/index.js';
import { CLUSTER, compressionUnits, NTFS_TOOLS, ntfsFixture, UNIT_CLUSTERS } from './fixtures/ntfs.js';
import { sambaLibrary, sambaXpressFixture } from './fixtures/samba.js';
import { fileChunks, readWim, wimFixture } from './fixtures/wim.js';

/**
 * Corrupted input: random bytes, and truncations, bit flips and overwrites of real compressed
 * chunks (from wimlib, ntfs-3g and Samba). Every decoder must return at most `outputSize` bytes
 * (exactly that many for XPRESS and LZX) or throw a `FormatError` with a code of its family,
 * never another exception, and quickly.
 */

interface Codec {
  name: 'lznt1' | 'xpress' | 'xpress-huffman' | 'lzx';
  decode: (input: Uint8Array, outputSize: number) => Uint8Array;
  exact: boolean;
  prefix: string;
}

const CODECS: Codec[] = [
  { name: 'lznt1', decode: decompressLznt1, exact: false, prefix: 'lznt1/' },
  { name: 'xpress', decode: decompressXpress, exact: true, prefix: 'xpress/' },
  { name: 'xpress-huffman', decode: decompressXpressHuffman, exact: true, prefix: 'xpress/' },
  { name: 'lzx', decode: (i, n) => decompressLzx(i, n), exact: true, prefix: 'lzx/' },
];

/** `CODEC_FUZZ_RUNS=20` runs every property 20 times as often, for a longer search by hand. */
const RUNS = Number(process.env.CODEC_FUZZ_RUNS ?? 1);

/** A loaded 2-core machine still decodes 64 KiB in a few milliseconds; a hang would take far longer. */
const SLOW_MS = 1000;

/** Runs one decode and checks the contract; returns the error code, or 'ok'. */
function check(codec: Codec, input: Uint8Array, outputSize: number): string {
  const start = performance.now();
  let code = 'ok';
  try {
    const out = codec.decode(input, outputSize);
    if (codec.exact) expect(out.length).toBe(outputSize);
    else expect(out.length).toBeLessThanOrEqual(outputSize);
  } catch (err) {
    if (!(err instanceof FormatError) || !isImagecheckError(err)) throw err;
    expect(err.code.startsWith(codec.prefix), err.code).toBe(true);
    code = err.code;
  }
  expect(performance.now() - start).toBeLessThan(SLOW_MS);
  return code;
}

describe('every decoder on random bytes', () => {
  for (const codec of CODECS) {
    it(`${codec.name}: a FormatError or a result of the right size`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 6000 }), fc.integer({ min: 0, max: 32768 }), (input, size) => {
          check(codec, input, size);
        }),
        { numRuns: 300 * RUNS },
      );
    });
  }

  it('refuses output sizes over the caps before allocating', () => {
    const input = new Uint8Array(16);
    expect(() => decompressLznt1(input, MAX_LZNT1_OUTPUT + 1)).toThrow(
      expect.objectContaining({ code: 'lznt1/bad-output-size' }),
    );
    expect(() => decompressXpress(input, MAX_XPRESS_OUTPUT + 1)).toThrow(
      expect.objectContaining({ code: 'xpress/bad-output-size' }),
    );
    expect(() => decompressXpressHuffman(input, -1)).toThrow(
      expect.objectContaining({ code: 'xpress/bad-output-size' }),
    );
    expect(() => decompressLzx(input, MAX_LZX_OUTPUT + 1, { windowSize: MAX_LZX_OUTPUT })).toThrow(
      expect.objectContaining({ code: 'lzx/bad-output-size' }),
    );
    // A chunk never exceeds its window.
    expect(() => decompressLzx(input, 32769)).toThrow(
      expect.objectContaining({ code: 'lzx/bad-output-size' }),
    );
    expect(() => decompressLzx(input, 100, { windowSize: 40000 })).toThrow(
      expect.objectContaining({ code: 'lzx/bad-window-size' }),
    );
  });
});

describe('named errors on the [MS-XCA] examples', () => {
  const abc = Uint8Array.of(0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63, 0x17, 0x00, 0x0f, 0xff, 0x26, 0x01);
  // biome-ignore format: the specification's rows of 16 bytes
  const tune = Uint8Array.of(
    0x38, 0xb0, 0x88, 0x46, 0x23, 0x20, 0x00, 0x20, 0x47, 0x20, 0x41, 0x00, 0x10, 0xa2, 0x47, 0x01,
    0xa0, 0x45, 0x20, 0x44, 0x00, 0x08, 0x45, 0x01, 0x50, 0x79, 0x00, 0xc0, 0x45, 0x20, 0x05, 0x24,
    0x13, 0x88, 0x05, 0xb4, 0x02, 0x4a, 0x44, 0xef, 0x03, 0x58, 0x02, 0x8c, 0x09, 0x16, 0x01, 0x48,
    0x45, 0x00, 0xbe, 0x00, 0x9e, 0x00, 0x04, 0x01, 0x18, 0x90, 0x00,
  );

  it('plain XPRESS: a match before the output start, a match past its end, input ending early', () => {
    const first = abc.slice();
    first[3] = 0xff; // the first item becomes a match, reaching back from position 0
    expect(() => decompressXpress(first, 300)).toThrow(
      expect.objectContaining({ code: 'xpress/bad-distance', data: expect.objectContaining({ offset: 4 }) }),
    );
    expect(() => decompressXpress(abc, 299)).toThrow(
      expect.objectContaining({ code: 'xpress/output-overflow' }),
    );
    expect(() => decompressXpress(abc, 301)).toThrow(expect.objectContaining({ code: 'xpress/truncated' }));
  });

  it('LZNT1: a bad signature, a chunk running past the input, output overflow', () => {
    const signed = tune.slice();
    signed[1] = 0x80 | ((signed[1] ?? 0) & 0x0f); // signature 0 instead of 3
    expect(() => decompressLznt1(signed, 4096)).toThrow(
      expect.objectContaining({ code: 'lznt1/bad-signature' }),
    );
    expect(() => decompressLznt1(tune.subarray(0, 40), 4096)).toThrow(
      expect.objectContaining({ code: 'lznt1/truncated' }),
    );
    expect(() => decompressLznt1(tune, 100)).toThrow(
      expect.objectContaining({ code: 'lznt1/output-overflow' }),
    );
    // Two copies: the first chunk is padded to 4096 bytes; 4100 bytes of output cannot hold the
    // second, and with 4096 the output is full before it, which ends the data as in ntfs-3g.
    const twice = Uint8Array.from([...tune, ...tune]);
    const once = decompressLznt1(tune, 4096);
    expect(decompressLznt1(twice, 8192).length).toBe(4096 + once.length);
    expect(() => decompressLznt1(twice, 4100)).toThrow(
      expect.objectContaining({ code: 'lznt1/output-overflow' }),
    );
    const full = decompressLznt1(twice, 4096);
    expect(full.length).toBe(4096);
    expect(Buffer.compare(full.subarray(0, once.length), once)).toBe(0);
    expect(full.subarray(once.length).every((b) => b === 0)).toBe(true);
  });
});

interface Sample {
  data: Uint8Array;
  size: number;
}

const haveWimlib = requireTools('wimcapture', 'wimapply');
const haveNtfs =
  typeof process.getuid === 'function' && process.getuid() === 0 && requireTools(...NTFS_TOOLS);
const haveSamba = requireTools('python3', sambaLibrary());

/** Every `step`-th compressed chunk of a wimlib fixture. */
async function wimSamples(compression: 'XPRESS' | 'LZX', chunkSize: number): Promise<Sample[]> {
  const fixture = await wimFixture({ compression, chunkSize });
  const wim = readWim(new Uint8Array(await readFile(fixture.wimPath)));
  const samples: Sample[] = [];
  for (const contents of Object.values(fixture.files)) {
    for (const chunk of fileChunks(wim, contents) ?? [])
      if (!chunk.raw) samples.push({ data: chunk.data, size: chunk.size });
  }
  return samples.filter((_, i) => i % 7 === 0);
}

/** The compressed units of the ntfs-3g fixture, as the NTFS reader would pass them. */
async function ntfsSamples(): Promise<Sample[]> {
  const fixture = await ntfsFixture();
  const image = new Uint8Array(await readFile(fixture.image));
  return fixture.files
    .filter((f) => f.runs.length > 0)
    .flatMap((f) => compressionUnits(f, image))
    .filter((u) => u.kind === 'compressed')
    .map((u) => ({ data: u.data, size: UNIT_CLUSTERS * CLUSTER }));
}

/** Mutations of a real chunk: truncation, bit flips, overwrites with extreme or random values. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('flip' as const),
    bits: fc.array(
      fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), bit: fc.integer({ min: 0, max: 7 }) }),
      {
        minLength: 1,
        maxLength: 8,
      },
    ),
  }),
  fc.record({
    kind: fc.constant('overwrite' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    bytes: fc.array(fc.oneof(fc.constantFrom(0, 0xff), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 6,
    }),
  }),
);

function mutate(data: Uint8Array, m: Mutation): Uint8Array {
  const pos = (f: number) => Math.min(data.length - 1, Math.floor(f * data.length));
  if (m.kind === 'truncate') return data.slice(0, Math.floor(m.at * data.length));
  const out = data.slice();
  if (out.length === 0) return out;
  if (m.kind === 'flip') for (const { at, bit } of m.bits) out[pos(at)] = (out[pos(at)] ?? 0) ^ (1 << bit);
  else
    m.bytes.forEach((b, i) => {
      const at = pos(m.at) + i;
      if (at < out.length) out[at] = b;
    });
  return out;
}

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; bits: { at: number; bit: number }[] }
  | { kind: 'overwrite'; at: number; bytes: number[] };

function fuzzReal(codec: Codec, samples: () => Sample[]): void {
  it(`${codec.name}: mutated real chunks give a FormatError or a result of the right size`, () => {
    const all = samples();
    expect(all.length).toBeGreaterThan(5);
    const codes = new Map<string, number>();
    fc.assert(
      fc.property(fc.constantFrom(...all), mutation, (sample, m) => {
        const code = check(codec, mutate(sample.data, m as Mutation), sample.size);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }),
      { numRuns: 400 * RUNS },
    );
    // The mutations reach the decoder's checks, not only its happy path.
    expect([...codes.keys()].filter((c) => c !== 'ok').length).toBeGreaterThan(1);
  });
}

describe.skipIf(!haveWimlib)('XPRESS Huffman and LZX on mutated wimlib chunks', () => {
  let xpress: Sample[] = [];
  let lzx: Sample[] = [];
  beforeAll(async () => {
    xpress = await wimSamples('XPRESS', 4096);
    lzx = await wimSamples('LZX', 32768);
  }, 300_000);
  fuzzReal(CODECS[2] as Codec, () => xpress);
  fuzzReal(CODECS[3] as Codec, () => lzx);

  it('names a bad Huffman table: over-subscribed (every length 1) or empty (every length 0)', () => {
    const sample = xpress[0] as Sample;
    const over = sample.data.slice();
    over.fill(0x11, 0, 256);
    expect(() => decompressXpressHuffman(over, sample.size)).toThrow(
      expect.objectContaining({
        code: 'xpress/bad-huffman-table',
        data: expect.objectContaining({ offset: 0, actual: 'over-subscribed' }),
      }),
    );
    const empty = sample.data.slice();
    empty.fill(0, 0, 256);
    expect(() => decompressXpressHuffman(empty, sample.size)).toThrow(
      expect.objectContaining({ code: 'xpress/bad-huffman-table' }),
    );
  });

  it('names a truncated chunk and an unknown LZX block type', () => {
    const x = xpress[0] as Sample;
    expect(() => decompressXpressHuffman(x.data.subarray(0, 200), x.size)).toThrow(
      expect.objectContaining({ code: 'xpress/truncated' }),
    );
    const l = lzx[0] as Sample;
    expect(() => decompressLzx(l.data.subarray(0, l.data.length >> 1), l.size)).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^lzx\//) }),
    );
    const typed = l.data.slice();
    // The block type is the top 3 bits of the first little-endian 16-bit word; 0 is undefined.
    typed[1] = (typed[1] ?? 0) & 0x1f;
    expect(() => decompressLzx(typed, l.size)).toThrow(
      expect.objectContaining({ code: 'lzx/bad-block-type' }),
    );
  });
});

describe.skipIf(!haveNtfs)('LZNT1 on mutated ntfs-3g compression units', () => {
  let units: Sample[] = [];
  beforeAll(async () => {
    units = await ntfsSamples();
  }, 300_000);
  fuzzReal(CODECS[0] as Codec, () => units);
});

describe.skipIf(!haveSamba)('plain XPRESS on mutated Samba output', () => {
  let pieces: Sample[] = [];
  beforeAll(async () => {
    pieces = (await sambaXpressFixture()).map((p) => ({ data: p.compressed, size: p.plain.length }));
  }, 300_000);
  fuzzReal(CODECS[1] as Codec, () => pieces);
});
