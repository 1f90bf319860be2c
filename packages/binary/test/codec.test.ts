import * as nodeZlib from 'node:zlib';
import { isImagecheckError, UnsupportedError } from '@imagecheck/access';
import { pipe, requireTools } from '@imagecheck/test-kit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ByteView,
  type CodecKind,
  decompress,
  decompressStream,
  decompressSync,
  hasZstd,
  type StreamCodecKind,
  type ZlibModule,
  zstdFrameLength,
} from '../src/index.js';

/*
 * Every codec against data compressed by the real tool (gzip, python3's zlib, zstd, xz, bzip2,
 * `lz4 -l`, lzop), compared with the original bytes.
 */

/** Text, runs and incompressible bytes, so each compressor emits literals, matches and stored data. */
function sample(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let seed = 42;
  const line = new TextEncoder().encode('the quick brown fox jumps over the lazy dog 0123456789\n');
  for (let i = 0; i < size; ) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const kind = seed % 3;
    const n = Math.min(size - i, 1 + ((seed >>> 8) % 4096));
    for (let j = 0; j < n; j++) {
      if (kind === 0) out[i + j] = line[(i + j) % line.length] as number;
      else if (kind === 1) out[i + j] = 0;
      else {
        seed = (seed * 1103515245 + 12345) >>> 0;
        out[i + j] = seed >>> 24;
      }
    }
    i += n;
  }
  return out;
}

const ZLIB_PY = 'import sys, zlib\nsys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), 6))';

/** The LZO1X blocks of an lzop file (lzop's own container: header, then (dst, src, checksums, data) blocks). */
function lzopBlocks(file: Uint8Array): { compressed: Uint8Array; length: number }[] {
  const v = new ByteView(file, 'lzop file');
  let p = 9; // magic 89 4c 5a 4f 00 0d 0a 1a 0a
  const version = v.u16be(p);
  p += 4; // version, lib_version
  if (version >= 0x0940) p += 2; // version_needed_to_extract
  p += 1; // method
  if (version >= 0x0940) p += 1; // level
  const flags = v.u32be(p);
  p += 4;
  if (flags & 0x800) p += 4; // filter
  p += 8; // mode, mtime_low
  if (version >= 0x0940) p += 4; // mtime_high
  p += 1 + v.u8(p); // name
  p += 4; // header checksum
  if (flags & 0x40) p += 8 + v.u32be(p); // extra field: length, data, checksum
  const blocks: { compressed: Uint8Array; length: number }[] = [];
  for (;;) {
    const dst = v.u32be(p);
    if (dst === 0) break;
    const src = v.u32be(p + 4);
    p += 8;
    if (flags & 0x1) p += 4; // adler32 of the decompressed data
    if (flags & 0x100) p += 4; // crc32 of the decompressed data
    if (src < dst) {
      if (flags & 0x2) p += 4;
      if (flags & 0x200) p += 4;
      blocks.push({ compressed: v.bytesAt(p, src), length: dst });
    }
    p += src;
  }
  return blocks;
}

const DATA = sample(300_000);
/** 9 MiB: two lz4 legacy blocks (8 MiB each at most). */
const BIG = sample(9 * 1024 * 1024 + 12345);

interface Made {
  kind: CodecKind;
  tools: string[];
  make: () => { compressed: Uint8Array; original: Uint8Array };
}

const MADE: Made[] = [
  {
    kind: 'gzip',
    tools: ['gzip'],
    make: () => ({ compressed: pipe('gzip', ['-c', '-n'], DATA), original: DATA }),
  },
  {
    kind: 'deflate-raw',
    tools: ['gzip'],
    // gzip -n writes a 10-byte header without optional fields, then raw deflate, then 8 bytes.
    make: () => {
      const gz = pipe('gzip', ['-c', '-n'], DATA);
      return { compressed: gz.subarray(10, gz.length - 8), original: DATA };
    },
  },
  {
    kind: 'zlib',
    tools: ['python3'],
    make: () => ({ compressed: pipe('python3', ['-c', ZLIB_PY], DATA), original: DATA }),
  },
  {
    kind: 'zstd',
    tools: ['zstd'],
    make: () => ({ compressed: pipe('zstd', ['-c', '-q'], DATA), original: DATA }),
  },
  { kind: 'xz', tools: ['xz'], make: () => ({ compressed: pipe('xz', ['-c'], DATA), original: DATA }) },
  {
    kind: 'bzip2',
    tools: ['bzip2'],
    make: () => ({ compressed: pipe('bzip2', ['-c'], DATA), original: DATA }),
  },
  {
    kind: 'lz4-legacy',
    tools: ['lz4'],
    make: () => ({ compressed: pipe('lz4', ['-l', '-c', '-q'], BIG), original: BIG }),
  },
  {
    kind: 'lz4-block',
    tools: ['lz4'],
    // The first block of a legacy frame: size (LE32) at 4, the block at 8; it holds the first 8 MiB.
    make: () => {
      const f = pipe('lz4', ['-l', '-c', '-q'], BIG);
      const n = new ByteView(f, 'lz4').u32le(4);
      return { compressed: f.subarray(8, 8 + n), original: BIG.subarray(0, 8 * 1024 * 1024) };
    },
  },
  {
    kind: 'lzo1x',
    tools: ['lzop'],
    // lzop's first block: LZO1X of the first 256 KiB (its block size).
    make: () => {
      const [first] = lzopBlocks(pipe('lzop', ['-c'], DATA));
      if (first === undefined) throw new Error('lzop wrote no compressed block');
      return { compressed: first.compressed, original: DATA.subarray(0, first.length) };
    },
  },
];

function expectTyped(e: unknown, code?: string | RegExp): void {
  if (!isImagecheckError(e)) throw e;
  if (code !== undefined) expect(e.code).toMatch(code);
}

async function attempt(p: () => Promise<unknown> | unknown): Promise<unknown> {
  try {
    await p();
    return undefined;
  } catch (e) {
    return e;
  }
}

const STREAMING: ReadonlySet<CodecKind> = new Set([
  'deflate-raw',
  'zlib',
  'gzip',
  'zstd',
  'lz4-legacy',
  'xz',
  'bzip2',
]);

async function* chunks(b: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function streamAll(
  kind: StreamCodecKind,
  b: Uint8Array,
  size: number,
  maxOutput: number,
): Promise<{ out: Uint8Array; inputBytes: number | undefined }> {
  const parts: Uint8Array[] = [];
  const r = await decompressStream(kind, chunks(b, size), (c) => void parts.push(c.slice()), { maxOutput });
  return { out: Buffer.concat(parts), inputBytes: r.inputBytes };
}

for (const m of MADE) {
  describe.skipIf(!requireTools(...m.tools))(`${m.kind} made by ${m.tools.join(', ')}`, () => {
    let compressed: Uint8Array;
    let original: Uint8Array;
    beforeAll(() => {
      ({ compressed, original } = m.make());
    });

    it('decodes to the original bytes (one-shot)', async () => {
      const out = await decompress(m.kind, compressed, { maxOutput: original.length });
      expect(Buffer.compare(out, original)).toBe(0);
      if (m.kind !== 'xz') {
        const sync = decompressSync(m.kind, compressed, { maxOutput: original.length });
        expect(Buffer.compare(sync, original)).toBe(0);
      }
    });

    it('stops at the output cap with codec/output-too-large', async () => {
      expectTyped(
        await attempt(() => decompress(m.kind, compressed, { maxOutput: original.length - 1 })),
        'codec/output-too-large',
      );
      expectTyped(
        await attempt(() => decompress(m.kind, compressed, { maxOutput: 1000 })),
        'codec/output-too-large',
      );
    });

    it('truncated input is a typed error', async () => {
      for (const cut of [1, 7, Math.floor(compressed.length / 2), compressed.length - 1]) {
        const e = await attempt(() =>
          decompress(m.kind, compressed.subarray(0, cut), { maxOutput: original.length }),
        );
        // lz4 blocks and LZO streams have no end marker of their own; a cut one may decode short.
        if (e === undefined) expect(['lz4-legacy', 'lz4-block']).toContain(m.kind);
        else expectTyped(e);
      }
    });

    it('flipped bytes give the original, other bytes under the cap, or a typed error; never a hang', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
          async (flips) => {
            const b = compressed.slice();
            for (const [at, x] of flips) b[at % b.length] = (b[at % b.length] as number) ^ x;
            const r = await attempt(async () => {
              const out = await decompress(m.kind, b, { maxOutput: original.length });
              expect(out.length).toBeLessThanOrEqual(original.length);
            });
            if (r !== undefined) expectTyped(r);
          },
        ),
        { numRuns: m.kind === 'lz4-legacy' || m.kind === 'lz4-block' ? 15 : 40 },
      );
    });

    if (STREAMING.has(m.kind)) {
      const kind = m.kind as StreamCodecKind;
      it('streams to the original bytes in any chunking', async () => {
        for (const size of [1000, 65536, 1 << 22]) {
          const { out } = await streamAll(kind, compressed, size, original.length);
          expect(Buffer.compare(out, original)).toBe(0);
        }
      });

      it('a stream stops at its cap with codec/output-too-large', async () => {
        expectTyped(
          await attempt(() => streamAll(kind, compressed, 4096, original.length - 1)),
          'codec/output-too-large',
        );
      });

      it('a truncated stream is a typed error', async () => {
        const e = await attempt(() =>
          streamAll(kind, compressed.subarray(0, Math.floor(compressed.length / 2)), 4096, original.length),
        );
        expectTyped(e);
      });

      it('the sink can stop the decoder', async () => {
        let calls = 0;
        const r = await decompressStream(
          kind,
          chunks(compressed, 4096),
          () => {
            calls++;
            return false;
          },
          { maxOutput: original.length, chunkSize: 16384 },
        );
        expect(r.stopped).toBe(true);
        expect(calls).toBe(1);
        expect(r.outputBytes).toBeLessThan(original.length);
      });

      if (kind === 'gzip' || kind === 'zstd' || kind === 'lz4-legacy') {
        it('reports the compressed bytes the stream used when junk follows it', async () => {
          const junk = new Uint8Array([0, 0, 0, 0, ...new TextEncoder().encode('JUNK')]);
          const withJunk = Buffer.concat([compressed, junk]);
          const { out, inputBytes } = await streamAll(kind, withJunk, 65536, original.length);
          expect(Buffer.compare(out, original)).toBe(0);
          expect(inputBytes).toBe(compressed.length);
        });
      }
    }
  });
}

describe.skipIf(!requireTools('gzip'))('decompression bombs', () => {
  it('256 MiB of zeros in a 256 KiB gzip stream stops at a 1 MiB cap quickly', async () => {
    const bomb = nodeZlib.gzipSync(new Uint8Array(256 * 1024 * 1024), { level: 9 });
    const t0 = performance.now();
    expectTyped(
      await attempt(() => decompress('gzip', bomb, { maxOutput: 1 << 20 })),
      'codec/output-too-large',
    );
    expectTyped(
      await attempt(() => decompressStream('gzip', chunks(bomb, 65536), () => true, { maxOutput: 1 << 20 })),
      'codec/output-too-large',
    );
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe.skipIf(!requireTools('zstd'))('zstd frames', () => {
  it('zstdFrameLength finds the end of a frame made by zstd (with and without checksum) before padding', () => {
    for (const args of [
      ['-c', '-q'],
      ['-c', '-q', '--no-check'],
      ['-c', '-q', '-19'],
    ]) {
      const frame = pipe('zstd', args, DATA);
      const padded = Buffer.concat([frame, new Uint8Array(4096).fill(0x28)]);
      expect(zstdFrameLength(padded)).toBe(frame.length);
      // Padding that looks like another frame is not decoded: only the first frame is.
      const twice = Buffer.concat([frame, frame]);
      expect(decompressSync('zstd', twice, { maxOutput: DATA.length }).length).toBe(DATA.length);
    }
  });

  it('a frame header or block cut short is codec/bad-zstd-frame naming the offset', () => {
    const frame = pipe('zstd', ['-c', '-q'], DATA);
    for (const cut of [0, 5, 20, frame.length - 1]) {
      let err: unknown;
      try {
        zstdFrameLength(frame.subarray(0, cut), 4096);
      } catch (e) {
        err = e;
      }
      expectTyped(err, 'codec/bad-zstd-frame');
      expect((err as { data: { offset: number } }).data.offset).toBeGreaterThanOrEqual(4096);
    }
  });

  it('without zstd in node:zlib (Node < 22.15) zstd is codec/zstd-unavailable, typed as unsupported', async () => {
    const { zstdDecompressSync: _a, createZstdDecompress: _b, ...rest } = nodeZlib as unknown as ZlibModule;
    const oldNode = rest as ZlibModule;
    const frame = pipe('zstd', ['-c', '-q'], DATA);
    expect(hasZstd(oldNode)).toBe(false);
    expect(hasZstd()).toBe(true);
    for (const e of [
      await attempt(() => decompressSync('zstd', frame, { maxOutput: DATA.length, zlib: oldNode })),
      await attempt(() =>
        decompressStream('zstd', chunks(frame, 4096), () => true, { maxOutput: DATA.length, zlib: oldNode }),
      ),
    ]) {
      expect(e).toBeInstanceOf(UnsupportedError);
      expect((e as UnsupportedError).code).toBe('codec/zstd-unavailable');
      expect((e as UnsupportedError).message).toMatch(/22\.15/);
    }
    // The deflate family still works on that Node.
    const gz = nodeZlib.gzipSync(DATA);
    expect(decompressSync('gzip', gz, { maxOutput: DATA.length, zlib: oldNode }).length).toBe(DATA.length);
  });
});

describe('misuse', () => {
  it('a negative or fractional maxOutput is an internal error (a caller bug)', () => {
    for (const maxOutput of [-1, 1.5, Number.NaN]) {
      let err: unknown;
      try {
        decompressSync('gzip', new Uint8Array(10), { maxOutput });
      } catch (e) {
        err = e;
      }
      expectTyped(err, 'codec/bad-max-output');
      expect((err as { userFacing: boolean }).userFacing).toBe(false);
    }
  });

  it('an error from the input or the sink is rethrown unchanged', async () => {
    const boom = new Error('read failed');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(0);
      throw boom;
    }
    for (const kind of ['gzip', 'lz4-legacy', 'bzip2'] as const) {
      expect(
        await attempt(() => decompressStream(kind, failing(), () => true, { maxOutput: DATA.length })),
      ).toBe(boom);
    }
    const sinkErr = new Error('sink');
    const gz = nodeZlib.gzipSync(DATA);
    expect(
      await attempt(() =>
        decompressStream(
          'gzip',
          chunks(gz, 1000),
          () => {
            throw sinkErr;
          },
          { maxOutput: DATA.length },
        ),
      ),
    ).toBe(sinkErr);
  });
});
