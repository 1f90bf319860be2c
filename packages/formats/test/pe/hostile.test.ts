/**
 * Damaged and crafted PE images: truncations, bit flips, resource directories that point back at
 * themselves, huge counts and lengths. Every one must end in a typed ImagecheckError (FormatError
 * with a `pe/...` or `binary/...` code) or a result, never a TypeError/RangeError, a hang or an
 * unbounded read. The inputs are real MinGW-built images, mutated.
 */
import { readFile } from 'node:fs/promises';
import { FormatError, isImagecheckError } from '@imagecheck/access';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bytesSource,
  listResources,
  type RandomAccessSource,
  readPe,
  readVersionInfo,
  rvaToOffset,
} from '../../src/index.js';
import { buildPe, hasPeTools, PE_FIXTURES } from '../fixtures/pe.js';

const ready = hasPeTools();

/** Reads headers and version info; returns the error, or undefined when the image still parses. */
async function parse(bytes: Uint8Array): Promise<unknown> {
  // Count what the reader asks for: nothing a crafted header says may make it read much.
  let asked = 0;
  const inner = bytesSource(bytes);
  const source: RandomAccessSource = {
    size: inner.size,
    read(offset, length) {
      asked += length;
      return inner.read(offset, length);
    },
  };
  try {
    const pe = await readPe(source);
    await readVersionInfo(source, pe);
    return undefined;
  } catch (err) {
    return err;
  } finally {
    // Headers (at most 1 MiB + 4 KiB + 96 sections) plus 64 resources of 64 KiB each and their tables.
    expect(asked).toBeLessThan(8 * 1024 * 1024);
  }
}

function expectTyped(err: unknown): void {
  if (err === undefined) return;
  if (!isImagecheckError(err)) throw err; // shows the TypeError/RangeError with its stack
  expect(err).toBeInstanceOf(FormatError);
  expect(err.code).toMatch(/^(pe|binary|source)\//);
}

describe.skipIf(!ready)('PE reader on damaged images', () => {
  let cmd: Uint8Array;
  let rsrcBase: number;
  beforeAll(async () => {
    const spec = PE_FIXTURES.find((s) => s.name === 'cmd-x64.exe');
    if (!spec) throw new Error('fixture missing');
    cmd = new Uint8Array(await readFile(await buildPe(spec)));
    const pe = await readPe(bytesSource(cmd));
    const dir = pe.dataDirectories[2];
    if (!dir) throw new Error('no resource directory');
    rsrcBase = rvaToOffset(pe, dir.virtualAddress, 16, 'resource directory');
  });

  const mutate = (edit: (b: Uint8Array, view: DataView) => void): Uint8Array => {
    const b = cmd.slice();
    edit(b, new DataView(b.buffer));
    return b;
  };

  it('every truncation gives a typed error or a result', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: cmd.length }), async (n) => {
        expectTyped(await parse(cmd.subarray(0, n)));
      }),
      { numRuns: 300 },
    );
    // The boundaries that matter: inside the DOS header, the PE header, the section table, the resources.
    for (const n of [
      0,
      1,
      63,
      64,
      0x80,
      0x98,
      0x180,
      rsrcBase,
      rsrcBase + 16,
      rsrcBase + 40,
      cmd.length - 1,
    ]) {
      expectTyped(await parse(cmd.subarray(0, n)));
    }
  });

  it('bit flips in the headers and the resource section give typed errors or results', async () => {
    const regions = fc.oneof(
      fc.integer({ min: 0, max: 0x3ff }),
      fc.integer({ min: rsrcBase, max: rsrcBase + 0x600 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(regions, fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }),
        async (flips) => {
          const b = mutate((bytes) => {
            for (const [at, bit] of flips) if (at < bytes.length) bytes[at] = (bytes[at] ?? 0) ^ (1 << bit);
          });
          expectTyped(await parse(b));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('random bytes over the resource section give typed errors or results', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0x200 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        async (at, junk) => {
          const b = mutate((bytes) =>
            bytes.set(junk.subarray(0, Math.max(0, bytes.length - rsrcBase - at)), rsrcBase + at),
          );
          expectTyped(await parse(b));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a resource directory entry pointing back at the root is a typed error, not a loop', async () => {
    // Root: 16-byte header, then entries. cmd-x64.exe has one type (RT_VERSION): its subdirectory
    // offset is at rsrcBase + 16 + 4. Point it at the root itself (0x80000000 | 0).
    const loopTypeToRoot = mutate((_, v) => v.setUint32(rsrcBase + 20, 0x80000000, true));
    const err = await parse(loopTypeToRoot);
    expect(isImagecheckError(err) && err.code).toBe('pe/bad-resource-tree');
    // The name level pointing at the root too: every level is walked once, by structure.
    const pe = await readPe(bytesSource(cmd));
    const leaves = await listResources(bytesSource(cmd), pe);
    expect(leaves).toHaveLength(1);
    const typeTarget = new DataView(cmd.buffer).getUint32(rsrcBase + 20, true) & 0x7fffffff;
    const nameEntryData = rsrcBase + typeTarget + 16 + 4;
    const loopNameToRoot = mutate((_, v) => v.setUint32(nameEntryData, 0x80000000, true));
    const err2 = await parse(loopNameToRoot);
    expect(isImagecheckError(err2) && err2.code).toBe('pe/bad-resource-tree');
  });

  it('huge counts and offsets stop at their caps', async () => {
    const peOff = new DataView(cmd.buffer).getUint32(0x3c, true);
    const cases: [string, Uint8Array, string][] = [
      ['e_lfanew past 1 MiB', mutate((_, v) => v.setUint32(0x3c, 0x7fffffff, true)), 'binary/over-cap'],
      ['e_lfanew past the end', mutate((_, v) => v.setUint32(0x3c, cmd.length - 2, true)), 'pe/truncated'],
      ['65535 sections', mutate((_, v) => v.setUint16(peOff + 6, 0xffff, true)), 'binary/over-cap'],
      [
        '65535-byte optional header',
        mutate((_, v) => v.setUint16(peOff + 20, 0xffff, true)),
        'binary/over-cap',
      ],
      [
        'optional header too short',
        mutate((_, v) => v.setUint16(peOff + 20, 40, true)),
        'pe/bad-optional-header',
      ],
      [
        'unknown optional magic',
        mutate((_, v) => v.setUint16(peOff + 24, 0x107, true)),
        'pe/bad-optional-header',
      ],
      ['no MZ', mutate((b) => b.set([0x5a, 0x4d], 0)), 'pe/not-pe'],
      ['no PE signature', mutate((b) => b.set([0x4e, 0x45], peOff)), 'pe/not-pe'],
      [
        '131070 resource entries',
        mutate((_, v) => {
          v.setUint16(rsrcBase + 12, 0xffff, true);
          v.setUint16(rsrcBase + 14, 0xffff, true);
        }),
        'binary/over-cap',
      ],
      [
        'resource directory RVA outside every section',
        mutate((_, v) => {
          // Data directory 2 (resource) of a PE32+ optional header: 112 + 2 * 8.
          v.setUint32(peOff + 24 + 112 + 16, 0x7ff00000, true);
        }),
        'pe/bad-rva',
      ],
    ];
    for (const [what, bytes, code] of cases) {
      const err = await parse(bytes);
      expect(isImagecheckError(err) ? err.code : err, what).toBe(code);
    }
  });

  it('a version block whose wLength overruns its parent is pe/bad-version-info', async () => {
    const pe = await readPe(bytesSource(cmd));
    const [leaf] = await listResources(bytesSource(cmd), pe);
    if (!leaf) throw new Error('no version resource');
    // VS_VERSIONINFO.wLength at the start of the resource data: larger than the resource.
    const b = mutate((_, v) => v.setUint16(leaf.offset, 0xfff0, true));
    const err = await parse(b);
    expect(isImagecheckError(err) && err.code).toBe('pe/bad-version-info');
    // VS_FIXEDFILEINFO signature: key "VS_VERSION_INFO" (16 UTF-16 units incl. NUL) from 6, value at 40.
    const sig = mutate((_, v) => v.setUint32(leaf.offset + 40, 0x12345678, true));
    const err2 = await parse(sig);
    expect(isImagecheckError(err2) && err2.code).toBe('pe/bad-fixed-file-info');
  });
});
