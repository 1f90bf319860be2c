import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type FormatError, isImagecheckError, isInternalError } from '@imagecheck/access';
import {
  buildFatFixture,
  FAT_CASES as CASES,
  type FatFixture,
  requireTools,
  sha256,
  type TreeEntry,
  walkHostDir,
  walkNodeFs,
} from '@imagecheck/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '../../../src/block/file-source.js';
import { MemorySource } from '../../../src/block/slice.js';
import { FatFileSystem, openFat } from '../../../src/fs/fat/index.js';

const corpus = join(import.meta.dirname, '../../fixtures/corpus');

/** FAT keeps names, types, sizes and data; modes and owners are synthesised. */
function expectedFat(host: TreeEntry[]): TreeEntry[] {
  return host.map((e) =>
    e.type === 'dir'
      ? { path: e.path, type: 'dir', mode: 0o40755, uid: 0, gid: 0 }
      : { path: e.path, type: 'file', size: e.size, mode: 0o100644, uid: 0, gid: 0, sha256: e.sha256 },
  );
}

/** The `tsk_recover -a` section of a ground-truth file: size, sha256, path per line. */
function truthFiles(text: string): { size: number; sha256: string; path: string }[] {
  const start = text.indexOf('### regular files extracted with tsk_recover');
  return text
    .slice(start)
    .split('\n')
    .slice(1)
    .filter((l) => /^\d+ [0-9a-f]{64} \//.test(l))
    .map((l) => {
      const [size, hash, ...rest] = l.split(' ');
      return { size: Number(size), sha256: hash as string, path: rest.join(' ') };
    });
}

/** The `fls -r -p` section: type (`r` or `d`) and path of every allocated entry. */
function truthEntries(text: string): { type: string; path: string }[] {
  return text
    .split('\n')
    .map((l) => /^([rd])\/[rd] \d+:\t(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && !(m[2] ?? '').includes('(Volume Label Entry)'))
    .map((m) => ({ type: m[1] === 'd' ? 'dir' : 'file', path: `/${m[2]}` }));
}

async function expectTypedError(p: Promise<unknown>, code?: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isImagecheckError(err), String(err)).toBe(true);
  if (code !== undefined) expect((err as FormatError).code).toMatch(code);
}

describe.skipIf(!requireTools('mkfs.fat', 'mcopy', 'mdel'))(
  'FAT fixtures built with mkfs.fat + mcopy',
  () => {
    for (const { name, params } of CASES) {
      describe(name, () => {
        let fx: FatFixture;
        let src: FileSource;
        let fs: FatFileSystem;
        beforeAll(async () => {
          fx = await buildFatFixture(params);
          src = await FileSource.open(fx.image);
          const opened = await openFat(src);
          if (!(opened instanceof FatFileSystem)) throw new Error('not opened as FAT');
          fs = opened;
        });
        afterAll(async () => {
          await src?.close();
        });

        it('decides the FAT type by cluster count and reports volume id and label as blkid does', () => {
          expect(fs.bpb.fatType).toBe(params.fatType);
          expect(fs.info.type).toBe('vfat');
          expect(fs.info.details?.version).toBe(`FAT${params.fatType}`);
          const id = params.volumeId.toUpperCase();
          expect(fs.info.uuid).toBe(`${id.slice(0, 4)}-${id.slice(4)}`);
          expect(fs.info.label).toBe(params.label);
          expect(fs.caseSensitive).toBe(false);
          expect(fs.posixMetadata).toBe(false);
        });

        it('reads the whole tree: names, types, sizes and content hashes match the source', async () => {
          const got = await walkNodeFs(fs);
          const want = expectedFat(await walkHostDir(fx.tree));
          expect(got.length).toBe(want.length);
          expect(got).toEqual(want);
        });

        it('looks names up case-insensitively, by long and by 8.3 name', async () => {
          const root = await fs.root();
          const efi = await fs.lookup(root, 'efi');
          expect(efi?.type).toBe('dir');
          const boot = efi && (await fs.lookup(efi, 'Boot'));
          const loader = boot && (await fs.lookup(boot, 'bootx64.efi'));
          expect(loader?.size).toBe(300 * 1024 + 17);
          const mixed = await fs.lookup(root, 'MIXEDCASE.TXT');
          expect(mixed).toBeDefined();
          const short = await fs.lookup(root, 'MIXEDC~1.TXT');
          expect(short?.id).toBe(mixed?.id);
          const names = (await fs.readdir(root)).map((e) => e.name);
          expect(names).toContain('lower.txt');
          expect(names).toContain('UPPER.TXT');
          expect(names).toContain('exactly8.ext');
          expect(await fs.lookup(root, 'no such file')).toBeUndefined();
        });

        it('serves nodes by id and ranged reads, short at the end of the file', async () => {
          const root = await fs.root();
          const large = await fs.lookup(root, 'large.bin');
          if (large === undefined) throw new Error('large.bin missing');
          const again = await fs.node(large.id);
          expect(again).toMatchObject({
            id: large.id,
            size: large.size,
            type: 'file',
            mode: 0o100644,
            uid: 0,
            gid: 0,
          });
          const whole = readFileSync(join(fx.tree, 'large.bin'));
          const mid = await fs.read(large, 123_457, 70_001);
          expect(sha256(mid)).toBe(sha256(whole.subarray(123_457, 123_457 + 70_001)));
          const tail = await fs.read(large, large.size - 10, 100);
          expect(tail.length).toBe(10);
          expect((await fs.read(large, large.size + 5, 10)).length).toBe(0);
          // The builder's holes make frag/fragmented.bin a multi-run chain (mtools on FAT32 allocates
          // after its FSInfo hint instead, so there it stays contiguous).
          const frag = await fs.lookup(root, 'frag');
          const fragmented = frag && (await fs.lookup(frag, 'fragmented.bin'));
          const runs = await (fs as unknown as { fileChain(n: unknown): Promise<unknown[]> }).fileChain(
            fragmented,
          );
          if (params.fatType !== 32) expect(runs.length).toBeGreaterThan(1);
          expect(sha256(await fs.read(fragmented as NonNullable<typeof fragmented>, 0, 1 << 20))).toBe(
            sha256(readFileSync(join(fx.tree, 'frag', 'fragmented.bin'))),
          );
          // Reader misuse (an id it never handed out, a wrong node type) is a bug: InternalError.
          await expectTypedError(fs.node('12345'), /^fat\/bad-node-id$/);
          await expectTypedError(fs.readdir(large), /^fat\/not-a-directory$/);
          await expectTypedError(fs.readlink(large), /^fat\/not-a-symlink$/);
          expect(isInternalError(await fs.readdir(large).catch((e: unknown) => e))).toBe(true);
        });
      });
    }
  },
);

describe('FAT corpus images', () => {
  it('go-fat fat12.dd: deep directories and multi-slot long names match tsk_recover', async () => {
    const bytes = new Uint8Array(readFileSync(join(corpus, 'go-fat__fat12.dd')));
    const fs = await openFat(new MemorySource(bytes));
    if (fs === undefined) throw new Error('not FAT');
    expect(fs.info.uuid).toBe('67B1-4554');
    expect(fs.info.label).toBeUndefined();
    expect(fs.info.details?.version).toBe('FAT12');
    const tree = await walkNodeFs(fs);
    const truth = readFileSync(join(corpus, 'go-fat__fat12.dd.truth.txt'), 'utf8');
    // Every allocated entry fls lists, no more, no fewer.
    const listed = truthEntries(truth);
    expect(listed.length).toBeGreaterThan(390);
    expect(tree.map((e) => `${e.type} ${e.path}`).sort()).toEqual(
      listed.map((e) => `${e.type} ${e.path}`).sort(),
    );
    // Content of every non-empty file tsk_recover extracted.
    const want = truthFiles(truth);
    const byPath = new Map(tree.map((e) => [e.path, e]));
    for (const w of want) {
      expect(byPath.get(w.path), w.path).toMatchObject({ size: w.size, sha256: w.sha256 });
    }
    for (const e of tree)
      if (e.type === 'file' && !want.some((w) => w.path === e.path)) expect(e.size).toBe(0);
  });

  // The root file's long-name entries carry checksum 0x25 while its short name `SHORT   TXT`
  // sums to 0xB5: an orphaned long name. The Sleuth Kit shows it anyway (long_name_test.txt);
  // Linux and Windows discard it and show the 8.3 name, and so do we.
  it('dfir_ntfs fat_lfn_test (FAT32): an orphaned long name is ignored, volume id, the 16 directories', async () => {
    const bytes = new Uint8Array(gunzipSync(readFileSync(join(corpus, 'dfir_ntfs__fat_lfn_test.raw.gz'))));
    const fs = await openFat(new MemorySource(bytes));
    if (fs === undefined) throw new Error('not FAT');
    expect(fs.info.uuid).toBe('F681-3013');
    expect(fs.info.details?.version).toBe('FAT32');
    const tree = await walkNodeFs(fs);
    const want = truthFiles(readFileSync(join(corpus, 'dfir_ntfs__fat_lfn_test.raw.gz.truth.txt'), 'utf8'));
    expect(want.map((w) => w.path)).toEqual(['/long_name_test.txt']);
    const [w] = want;
    expect(tree.find((e) => e.path === '/SHORT.TXT')).toMatchObject({ size: w?.size, sha256: w?.sha256 });
    expect(tree.find((e) => e.path === '/long_name_test.txt')).toBeUndefined();
    const dirs = tree.filter((e) => e.type === 'dir' && e.path.split('/').length === 2).map((e) => e.path);
    expect(dirs.sort()).toEqual(Array.from({ length: 16 }, (_, i) => `/${i + 1}`).sort());
  });

  it('is not fooled by non-FAT bytes', async () => {
    expect(await openFat(new MemorySource(new Uint8Array(4096)))).toBeUndefined();
    expect(await openFat(new MemorySource(new Uint8Array(100)))).toBeUndefined();
  });
});

describe('corrupted FAT volumes: typed errors, no hangs', () => {
  const base = new Uint8Array(readFileSync(join(corpus, 'go-fat__fat12.dd')));
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'fat-corrupt-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** FAT12 entry writer for the corruption cases. */
  function setFat12(img: Uint8Array, fatOffset: number, cluster: number, value: number): void {
    const o = fatOffset + cluster + (cluster >> 1);
    const v = (img[o] ?? 0) | ((img[o + 1] ?? 0) << 8);
    const nv = (cluster & 1) === 1 ? (v & 0x000f) | (value << 4) : (v & 0xf000) | value;
    img[o] = nv & 0xff;
    img[o + 1] = nv >> 8;
  }

  async function firstFileChain(fs: FatFileSystem): Promise<{ id: string; cluster: number }> {
    const root = await fs.root();
    const a = await fs.lookup(root, 'a');
    const b = a && (await fs.lookup(a, 'b'));
    const alice = b && (await fs.lookup(b, 'alice.txt'));
    if (alice === undefined) throw new Error('alice.txt missing');
    return { id: alice.id, cluster: (alice as unknown as { firstCluster: number }).firstCluster };
  }

  it('truncated image', async () => {
    await expectTypedError(openFat(new MemorySource(base.slice(0, 300_000))), /^fat\/truncated$/);
  });

  it('a cluster chain that loops back on itself', async () => {
    const fs0 = (await openFat(new MemorySource(base))) as FatFileSystem;
    const { cluster } = await firstFileChain(fs0);
    const img = base.slice();
    // alice.txt spans many clusters: point its third cluster back to its first.
    setFat12(img, fs0.bpb.fatOffset, cluster + 2, cluster);
    const fs = (await openFat(new MemorySource(img))) as FatFileSystem;
    const node = await fs.node((await firstFileChain(fs)).id);
    await expectTypedError(fs.read(node, 0, node.size), /^fat\/chain-loop$/);
  });

  it('a chain into a free cluster, and one ending early', async () => {
    const fs0 = (await openFat(new MemorySource(base))) as FatFileSystem;
    const { cluster } = await firstFileChain(fs0);
    const free = base.slice();
    setFat12(free, fs0.bpb.fatOffset, cluster + 1, 0);
    let fs = (await openFat(new MemorySource(free))) as FatFileSystem;
    let node = await fs.node((await firstFileChain(fs)).id);
    await expectTypedError(fs.read(node, 0, node.size), /^fat\/free-in-chain$/);
    const short = base.slice();
    setFat12(short, fs0.bpb.fatOffset, cluster + 1, 0xfff);
    fs = (await openFat(new MemorySource(short))) as FatFileSystem;
    node = await fs.node((await firstFileChain(fs)).id);
    await expectTypedError(fs.read(node, 0, node.size), /^fat\/short-chain$/);
  });

  it('a directory whose chain loops (would list forever)', async () => {
    const fs0 = (await openFat(new MemorySource(base))) as FatFileSystem;
    const root = await fs0.root();
    const a = (await fs0.lookup(root, 'a')) as unknown as { firstCluster: number; id: string };
    const img = base.slice();
    setFat12(img, fs0.bpb.fatOffset, a.firstCluster, a.firstCluster);
    const fs = await openFat(new MemorySource(img));
    if (fs === undefined) throw new Error('not FAT');
    const dir = await fs.node(a.id);
    await expectTypedError(fs.readdir(dir), /^fat\/chain-loop$/);
  });

  it('an inflated file size and a huge cluster count', async () => {
    const fs0 = (await openFat(new MemorySource(base))) as FatFileSystem;
    const { id } = await firstFileChain(fs0);
    const img = base.slice();
    const off = Number(id) + 28;
    img.set([0xff, 0xff, 0xff, 0x7f], off);
    const fs = (await openFat(new MemorySource(img))) as FatFileSystem;
    const node = await fs.node(id);
    await expectTypedError(fs.read(node, 0, 4096), /^fat\/size-exceeds-volume$/);
    const geo = base.slice();
    geo[13] = 0; // sectors per cluster 0: not a FAT boot sector any more
    expect(await openFat(new MemorySource(geo))).toBeUndefined();
    const big = base.slice();
    big.set([0x00, 0x00], 19);
    big.set([0xff, 0xff, 0xff, 0x0f], 32); // TotSec32 far beyond the source
    await expectTypedError(openFat(new MemorySource(big)), /^fat\//);
    // Written to disk too, to read corrupt bytes through the file source as callers do.
    const path = join(tmp, 'big.img');
    await writeFile(path, big);
    const src = await FileSource.open(path);
    try {
      await expectTypedError(openFat(src), /^fat\//);
    } finally {
      await src.close();
    }
  });
});
