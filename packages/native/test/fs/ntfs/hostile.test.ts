/**
 * Damaged and hostile NTFS volumes: real images (the corpus) with bytes flipped in the MFT, in
 * INDX records, in runlists and in a non-resident attribute list, truncated, or with a loop made in
 * the index. Whatever the damage, the reader must end in a typed error or a (possibly wrong)
 * answer, never a TypeError or RangeError, a hang, or unbounded memory.
 */
import { readFile } from 'node:fs/promises';
import { isImagecheckError } from '@imagecheck/access';
import {
  buildNtfsFixture,
  NTFS_CASES,
  NTFS_TOOLS,
  type NtfsFixtureParams,
  requireTools,
  run,
} from '@imagecheck/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampRead, MemorySource, SliceSource } from '../../../src/block/slice.js';
import type { ByteSource } from '../../../src/block/types.js';
import { NtfsFileSystem } from '../../../src/fs/ntfs/index.js';
import { corpusBytes } from '../../helpers/corpus.js';

const TOOLS = ['xz', 'fsstat', 'istat'];
const haveTools = requireTools(...TOOLS);
/** Nodes one exploration visits at most, and bytes it reads per file. */
const MAX_NODES = 5000;
const READ_BYTES = 64 * 1024;

/**
 * Opens and explores a volume the way a check does: every directory (once, by id), a lookup of
 * every name, the first bytes of every file, every link target. Returns what ended it.
 */
async function explore(bytes: Uint8Array | ByteSource, files?: readonly string[]): Promise<'ok' | string> {
  try {
    const fs = await NtfsFileSystem.open(bytes instanceof Uint8Array ? new MemorySource(bytes) : bytes);
    if (fs === undefined) return 'not ntfs';
    if (files !== undefined) {
      // Only these files, read whole: the damage is in their data.
      for (const path of files) {
        let node = await fs.root();
        for (const part of path.split('/').filter(Boolean))
          node = (await fs.lookup(node, part)) as typeof node;
        await fs.read(node, 0, node.size);
      }
      return 'ok';
    }
    const seen = new Set<string>();
    const queue = [await fs.root()];
    while (queue.length > 0 && seen.size < MAX_NODES) {
      const dir = queue.shift() as Awaited<ReturnType<typeof fs.root>>;
      if (seen.has(dir.id)) continue;
      seen.add(dir.id);
      for (const e of await fs.readdir(dir)) {
        const n = await fs.lookup(dir, e.name);
        if (n === undefined) continue;
        if (n.type === 'dir') queue.push(n);
        else if (n.type === 'symlink') await fs.readlink(n);
        else if (n.type === 'file') {
          await fs.read(n, 0, READ_BYTES);
          await fs.streamsOf(n);
        }
      }
    }
    return 'ok';
  } catch (err) {
    if (isImagecheckError(err)) return err.code;
    throw err;
  }
}

/**
 * The image with bytes XORed at `start + at`, without copying it: reads return patched copies of
 * the bytes they cover.
 */
class FlippedSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly base: Uint8Array,
    private readonly flips: ReadonlyMap<number, number>,
  ) {
    this.size = base.length;
  }
  async read(offset: number, length: number, options?: { allowShort?: boolean }): Promise<Uint8Array> {
    const end = clampRead(this.size, offset, length, options?.allowShort === true, 'memory');
    const out = new Uint8Array(this.base.subarray(offset, end)); // a copy (Buffer#slice would share memory)
    for (const [at, mask] of this.flips)
      if (at >= offset && at < end) out[at - offset] = (out[at - offset] ?? 0) ^ mask;
    return out;
  }
  slice(offset: number, length: number): ByteSource {
    return new SliceSource(this, offset, length);
  }
}

function flipped(base: Uint8Array, start: number, flips: readonly (readonly [number, number])[]): ByteSource {
  const m = new Map<number, number>();
  for (const [at, mask] of flips) m.set(start + at, (m.get(start + at) ?? 0) ^ mask);
  return new FlippedSource(base, m);
}

// fast-check biases numbers toward small values (record 0's header here); half the offsets are
// drawn without that bias so flips land across the whole region.
const flipsIn = (length: number) =>
  fc.array(
    fc.tuple(fc.oneof(fc.nat(length - 1), fc.noBias(fc.nat(length - 1))), fc.integer({ min: 1, max: 255 })),
    { minLength: 1, maxLength: 24 },
  );

/** Runs `explore` on each sample and checks it ends typed and in bounded time. */
async function fuzz(
  base: Uint8Array,
  start: number,
  length: number,
  runs: number,
  files?: readonly string[],
): Promise<Set<string>> {
  const outcomes = new Set<string>();
  await fc.assert(
    fc.asyncProperty(flipsIn(length), async (flips) => {
      const t0 = performance.now();
      outcomes.add(await explore(flipped(base, start, flips), files));
      expect(performance.now() - t0).toBeLessThan(5000);
    }),
    { numRuns: runs },
  );
  if (process.env.NTFS_FUZZ_DEBUG) console.log(start, [...outcomes]);
  return outcomes;
}

async function mftOffset(path: string): Promise<{ offset: number; cluster: number }> {
  const out = await run('fsstat', ['-f', 'ntfs', path]);
  const mft = Number(/First Cluster of MFT: (\d+)/.exec(out)?.[1]);
  const cluster = Number(/Cluster Size: (\d+)/.exec(out)?.[1]);
  return { offset: mft * cluster, cluster };
}

/** Offsets of INDX records: cluster-aligned blocks starting with the magic. */
function indxOffsets(bytes: Uint8Array, cluster: number): number[] {
  const out: number[] = [];
  for (let o = 0; o + 4 <= bytes.length; o += cluster) {
    if (bytes[o] === 0x49 && bytes[o + 1] === 0x4e && bytes[o + 2] === 0x44 && bytes[o + 3] === 0x58)
      out.push(o);
  }
  return out;
}

describe.skipIf(!haveTools)('hostile NTFS volumes: typed errors only, in bounded time', () => {
  const images = ['dfir_ntfs__ntfs3_attrlist.raw.gz', 'dissect.ntfs__ntfs.bin.gz', 'util-linux__ntfs.img.xz'];
  const tmp = `/tmp/ntfs-hostile-${process.pid}`;

  async function image(name: string): Promise<{ bytes: Uint8Array; path: string }> {
    const bytes = corpusBytes(name);
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(tmp, { recursive: true });
    const path = `${tmp}/${name}`;
    await writeFile(path, bytes);
    return { bytes, path };
  }

  it.each(images)('%s: the undamaged image explores cleanly', async (name) => {
    const { bytes } = await image(name);
    expect(await explore(bytes)).toBe('ok');
  });

  it.each(images)('%s: bit flips in the first 64 MFT records', { timeout: 300_000 }, async (name) => {
    const { bytes, path } = await image(name);
    const { offset } = await mftOffset(path);
    const outcomes = await fuzz(bytes, offset, 64 * 1024, 300);
    expect(outcomes.size).toBeGreaterThan(1);
  });

  it.each(images.slice(0, 2))('%s: bit flips in INDX records', { timeout: 300_000 }, async (name) => {
    const { bytes, path } = await image(name);
    const { cluster } = await mftOffset(path);
    const indx = indxOffsets(bytes, cluster);
    expect(indx.length).toBeGreaterThan(0);
    for (const o of indx.slice(0, 4)) await fuzz(bytes, o, 4096, 100);
  });

  it('a non-resident $ATTRIBUTE_LIST with bit flips (record 27 of ntfs3_attrlist)', {
    timeout: 300_000,
  }, async () => {
    const { bytes, path } = await image('dfir_ntfs__ntfs3_attrlist.raw.gz');
    const istat = await run('istat', ['-f', 'ntfs', path, '27']);
    const first = Number(/\$ATTRIBUTE_LIST \(32-\d+\).*\n(\d+)/.exec(istat)?.[1]);
    const { cluster } = await mftOffset(path);
    const outcomes = await fuzz(bytes, first * cluster, 3328, 200);
    expect(
      [...outcomes].every(
        (o) => o === 'ok' || o.startsWith('ntfs/') || o.startsWith('binary/') || o.startsWith('guest/'),
      ),
    ).toBe(true);
  });

  it('runlists: huge, negative and out-of-volume runs of the $MFT and $UpCase', {
    timeout: 300_000,
  }, async () => {
    const { bytes, path } = await image('util-linux__ntfs.img.xz');
    const { offset } = await mftOffset(path);
    // The runlist of record 0's $DATA and of record 10's $DATA: every byte of both records' second half.
    for (const rec of [0, 10]) await fuzz(bytes, offset + rec * 1024 + 256, 512, 200);
  });

  it('a fix-up mismatch is ntfs/bad-fixup with the offset', async () => {
    const { bytes, path } = await image('util-linux__ntfs.img.xz');
    const { offset } = await mftOffset(path);
    const bad = new Uint8Array(bytes);
    bad[offset + 510] = (bad[offset + 510] ?? 0) ^ 0xff; // the last two bytes of record 0's first stride
    await expect(NtfsFileSystem.open(new MemorySource(bad))).rejects.toMatchObject({
      code: 'ntfs/bad-fixup',
      data: { structure: 'MFT record', offset: offset + 510 },
    });
  });

  it('truncated volumes fail typed', async () => {
    const { bytes } = await image('dfir_ntfs__ntfs3_attrlist.raw.gz');
    for (const size of [600, 4096, 20_000, 100_000, 1_000_000, bytes.length >> 1]) {
      const out = await explore(bytes.subarray(0, size));
      expect(out, String(size)).not.toBe('ok');
    }
  });

  it.skipIf(!requireTools(...NTFS_TOOLS))(
    'damaged file data: LZNT1 compression units and WofCompressedData streams (chunk tables, XPRESS and LZX chunks)',
    { timeout: 600_000 },
    async () => {
      const fixture = await buildNtfsFixture((NTFS_CASES[0] as { params: NtfsFixtureParams }).params);
      const bytes = new Uint8Array(await readFile(fixture.image));
      const { cluster } = await mftOffset(fixture.image);
      const fls = await run('fls', ['-r', '-p', '-f', 'ntfs', fixture.image]);
      for (const [path, stream] of [
        ['compressed/text.txt', 'N/A'],
        ['compressed/mixed.bin', 'N/A'],
        ['wof/xpress4k.bin', 'WofCompressedData'],
        ['wof/lzx.bin', 'WofCompressedData'],
      ] as const) {
        const inode = new RegExp(`(\\d+)-\\d+-\\d+:\\t${path.replace('.', '\\.')}$`, 'm').exec(
          fls,
        )?.[1] as string;
        const istat = await run('istat', ['-f', 'ntfs', fixture.image, inode]);
        // The clusters istat lists under the attribute.
        const section = istat
          .split(/^Type: /m)
          .find((t) => t.startsWith('$DATA') && t.includes(`Name: ${stream} `)) as string;
        const clusters = section
          .split('\n')
          .slice(1)
          .join(' ')
          .trim()
          .split(/\s+/)
          .map(Number)
          .filter((c) => c > 0);
        expect(clusters.length, path).toBeGreaterThan(0);
        const start = (clusters[0] as number) * cluster;
        const outcomes = await fuzz(bytes, start, Math.min(clusters.length * cluster, 64 * 1024), 150, [
          path,
        ]);
        expect(
          [...outcomes].some((o) => o !== 'ok'),
          path,
        ).toBe(true);
      }
    },
  );

  it.skipIf(!requireTools(...NTFS_TOOLS))(
    'an index node that points to itself is ntfs/index-loop, not a hang',
    { timeout: 600_000 },
    async () => {
      // The 3,000-entry directory of the mkntfs + ntfs-3g fixture has a three-level index.
      const fixture = await buildNtfsFixture((NTFS_CASES[0] as { params: NtfsFixtureParams }).params);
      const bytes = new Uint8Array(await readFile(fixture.image));
      const { cluster } = await mftOffset(fixture.image);
      // An INDX record with children: make its first child pointer name the record's own VCN.
      for (const o of indxOffsets(bytes, cluster)) {
        const v = new DataView(bytes.buffer, bytes.byteOffset + o);
        const header = 0x18;
        if ((v.getUint8(header + 0x0c) & 1) === 0) continue;
        const first = header + v.getUint32(header, true);
        const len = v.getUint16(first + 8, true);
        const own = v.getBigUint64(0x10, true);
        const bad = new Uint8Array(bytes);
        new DataView(bad.buffer).setBigUint64(o + first + len - 8, own, true);
        // The pointer may straddle a fix-up stride end; skip those records.
        if ((o + first + len - 8) % 512 > 504) continue;
        const fs = (await NtfsFileSystem.open(new MemorySource(bad))) as NtfsFileSystem;
        const many = await fs.lookup(await fs.root(), 'many');
        await expect(fs.readdir(many as never)).rejects.toMatchObject({ code: 'ntfs/index-loop' });
        return;
      }
      throw new Error('no INDX record with children in the image');
    },
  );
});
