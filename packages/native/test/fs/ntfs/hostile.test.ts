/**
 * Damaged and hostile NTFS volumes: real images (the corpus) with bytes flipped in the MFT, in
 * INDX records, in runlists and in a non-resident attribute list, truncated, or with a loop made in
 * the index. Whatever the damage, the reader must end in a typed error or a (possibly wrong)
 * answer, never a TypeError or RangeError, a hang, or unbounded memory.
 */
import { readFile } from 'node:fs/promises';
import { isImagecheckError } from '@imagecheck/access';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/block/slice.js';
import { NtfsFileSystem } from '../../../src/fs/ntfs/index.js';
import { corpusBytes } from '../../fixtures/disks.js';
import { buildNtfsFixture, NTFS_CASES, NTFS_TOOLS, type NtfsFixtureParams } from '../../fixtures/ntfs.js';
import { run } from '../../helpers/tools.js';
import { requireTools } from './truth.js';

const TOOLS = ['xz', 'fsstat', 'istat'];
const haveTools = requireTools(...TOOLS);
/** Nodes one exploration visits at most, and bytes it reads per file. */
const MAX_NODES = 5000;
const READ_BYTES = 64 * 1024;

/**
 * Opens and explores a volume the way a check does: every directory (once, by id), a lookup of
 * every name, the first bytes of every file, every link target. Returns what ended it.
 */
async function explore(bytes: Uint8Array): Promise<'ok' | string> {
  try {
    const fs = await NtfsFileSystem.open(new MemorySource(bytes));
    if (fs === undefined) return 'not ntfs';
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

function flipped(base: Uint8Array, start: number, flips: readonly (readonly [number, number])[]): Uint8Array {
  const out = new Uint8Array(base);
  for (const [at, mask] of flips) out[start + at] = (out[start + at] ?? 0) ^ mask;
  return out;
}

const flipsIn = (length: number) =>
  fc.array(fc.tuple(fc.nat(length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 24 });

/** Runs `explore` on each sample and checks it ends typed and in bounded time. */
async function fuzz(base: Uint8Array, start: number, length: number, runs: number): Promise<Set<string>> {
  const outcomes = new Set<string>();
  await fc.assert(
    fc.asyncProperty(flipsIn(length), async (flips) => {
      const t0 = performance.now();
      outcomes.add(await explore(flipped(base, start, flips)));
      expect(performance.now() - t0).toBeLessThan(5000);
    }),
    { numRuns: runs },
  );
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

  it.each(images)('%s: the undamaged image explores cleanly but for compressed data', async (name) => {
    const { bytes } = await image(name);
    expect(['ok', 'ntfs/codec-unavailable']).toContain(await explore(bytes));
  });

  it.each(images)('%s: bit flips in the first 64 MFT records', { timeout: 300_000 }, async (name) => {
    const { bytes, path } = await image(name);
    const { offset } = await mftOffset(path);
    const outcomes = await fuzz(bytes, offset, 64 * 1024, 80);
    expect(outcomes.size).toBeGreaterThan(1);
  });

  it.each(images.slice(0, 2))('%s: bit flips in INDX records', { timeout: 300_000 }, async (name) => {
    const { bytes, path } = await image(name);
    const { cluster } = await mftOffset(path);
    const indx = indxOffsets(bytes, cluster);
    expect(indx.length).toBeGreaterThan(0);
    for (const o of indx.slice(0, 4)) await fuzz(bytes, o, 4096, 30);
  });

  it('a non-resident $ATTRIBUTE_LIST with bit flips (record 27 of ntfs3_attrlist)', {
    timeout: 300_000,
  }, async () => {
    const { bytes, path } = await image('dfir_ntfs__ntfs3_attrlist.raw.gz');
    const istat = await run('istat', ['-f', 'ntfs', path, '27']);
    const first = Number(/\$ATTRIBUTE_LIST \(32-\d+\).*\n(\d+)/.exec(istat)?.[1]);
    const { cluster } = await mftOffset(path);
    const outcomes = await fuzz(bytes, first * cluster, 3328, 80);
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
    for (const rec of [0, 10]) await fuzz(bytes, offset + rec * 1024 + 256, 512, 80);
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
