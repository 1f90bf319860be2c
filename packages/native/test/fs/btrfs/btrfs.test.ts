import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isImagecheckError, isInternalError } from '@imagecheck/access';
import { lzo1xDecompress } from '@imagecheck/binary';
import {
  type BtrfsFixture,
  buildBtrfsFixture,
  BTRFS_CASES as CASES,
  requireTools,
  sha256,
  type TreeEntry,
  walkHostDir,
  walkNodeFs,
} from '@imagecheck/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '../../../src/block/file-source.js';
import { MemorySource } from '../../../src/block/slice.js';
import type { ByteSource } from '../../../src/block/types.js';
import { type BtrfsFileSystem, crc32c, openBtrfs } from '../../../src/fs/btrfs/index.js';

const corpus = join(import.meta.dirname, '../../fixtures/corpus');

function xzDecompress(path: string): Uint8Array {
  return new Uint8Array(execFileSync('xz', ['-dc', path], { maxBuffer: 512 * 1024 * 1024 }));
}

async function typedError(p: Promise<unknown>): Promise<{ code: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isImagecheckError(err), String(err)).toBe(true);
  return err as { code: string };
}

async function open(source: ByteSource, subvolume?: string | number): Promise<BtrfsFileSystem> {
  const fs = await openBtrfs(source, subvolume);
  if (fs === undefined) throw new Error('not btrfs');
  return fs;
}

/** Entries under `prefix` of a walk, re-rooted at `/`. */
function under(entries: TreeEntry[], prefix: string): TreeEntry[] {
  return entries
    .filter((e) => e.path.startsWith(`${prefix}/`))
    .map((e) => ({ ...e, path: e.path.slice(prefix.length) }));
}

describe('crc32c and LZO primitives', () => {
  it('crc32c matches the standard check value', () => {
    expect(crc32c(new TextEncoder().encode('123456789')).toString(16)).toBe('e3069283');
  });
  it('LZO1X on garbage throws a typed error or returns bounded output, never hangs', () => {
    let state = 12345;
    for (let n = 0; n < 300; n++) {
      const buf = new Uint8Array(64 + (n % 200));
      for (let i = 0; i < buf.length; i++) {
        state = (state * 1103515245 + 12345) >>> 0;
        buf[i] = state >>> 24;
      }
      try {
        expect(lzo1xDecompress(buf, 4096).length).toBeLessThanOrEqual(4096);
      } catch (e) {
        expect(isImagecheckError(e)).toBe(true);
      }
    }
  });
});

describe.skipIf(!requireTools('mkfs.btrfs', 'mkfifo'))('btrfs fixtures built with the real tools', () => {
  for (const { name, params } of CASES) {
    describe(name, () => {
      let fx: BtrfsFixture | undefined;
      let skipped = '';
      let src: FileSource | undefined;
      beforeAll(async () => {
        const built = await buildBtrfsFixture(params);
        if ('skipped' in built) skipped = built.skipped;
        else {
          fx = built;
          src = await FileSource.open(built.image);
        }
      });
      afterAll(async () => {
        await src?.close();
      });

      it('reads the default subvolume: the whole tree matches the source (names, types, sizes, modes, owners, targets, hashes)', async (ctx) => {
        if (fx === undefined || src === undefined) return ctx.skip(skipped);
        const fs = await open(src);
        expect(fs.info.type).toBe('btrfs');
        expect(fs.info.label).toBe(params.label);
        expect(fs.info.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        const blkid = execFileSync('blkid', ['-p', '-o', 'value', '-s', 'UUID', fx.image], {
          encoding: 'utf8',
        }).trim();
        expect(fs.info.uuid).toBe(blkid);
        const csum = { sha256: 'sha256', xxhash: 'xxhash64', blake2: 'blake2b' }[params.csum ?? 'sha256'];
        expect(fs.info.details).toMatchObject({
          checksum: params.csum === undefined ? 'crc32c' : csum,
          checksumVerified: params.csum === undefined || params.csum === 'sha256',
          ...(params.nodeSize === undefined ? {} : { nodeSize: params.nodeSize }),
        });
        const got = await walkNodeFs(fs);
        const want = await walkHostDir(fx.tree);
        expect(got.length).toBe(want.length);
        expect(got).toEqual(want);
      });

      it('serves symlinks, special files, ranged reads and node ids', async (ctx) => {
        if (fx === undefined || src === undefined) return ctx.skip(skipped);
        const fs = await open(src);
        const root = await fs.root();
        const links = await fs.lookup(root, 'links');
        if (links === undefined) throw new Error('links missing');
        const slow = await fs.lookup(links, 'slow');
        expect(slow?.type).toBe('symlink');
        expect(await fs.readlink(slow as NonNullable<typeof slow>)).toMatch(/^\.\.\/x{80}\//);
        expect((await fs.lookup(links, 'fifo'))?.type).toBe('other');
        expect(await fs.lookup(links, 'FAST')).toBeUndefined(); // case-sensitive
        const large = await fs.lookup(root, 'large.bin');
        if (large === undefined) throw new Error('large.bin missing');
        const host = readFileSync(join(fx.tree, 'large.bin'));
        const piece = await fs.read(large, 1_000_001, 300_000);
        expect(sha256(piece)).toBe(sha256(host.subarray(1_000_001, 1_300_001)));
        expect((await fs.read(large, large.size - 3, 10)).length).toBe(3);
        const sparse = await fs.lookup(root, 'sparse.img');
        if (sparse === undefined) throw new Error('sparse.img missing');
        const hole = await fs.read(sparse, 1024 * 1024, 4096);
        expect(hole.every((b) => b === 0)).toBe(true);
        expect(await fs.node(large.id)).toMatchObject({ id: large.id, size: large.size });
        expect((await typedError(fs.node('5:999999999'))).code).toMatch(/^btrfs\/|^guest\//);
        // Reader misuse (an id it never handed out, a file passed as a directory) is a bug, not a finding.
        const misuse = [await typedError(fs.node('nonsense')), await typedError(fs.readdir(large))];
        expect(misuse.map((e) => e.code)).toEqual(['btrfs/bad-node-id', 'btrfs/not-a-directory']);
        expect(misuse.every((e) => isInternalError(e))).toBe(true);
      });

      // mkfs.btrfs --rootdir makes no subvolumes: only the mounted images have them.
      if (params.kind === 'mount')
        it('lists subvolumes and opens each by path, by id and by subvolid=', async (ctx) => {
          if (fx === undefined || src === undefined) return ctx.skip(skipped);
          const fs = await open(src);
          const subs = await fs.listSubvolumes();
          const paths = subs.map((s) => s.path).sort();
          expect(paths).toEqual([
            '',
            '@',
            '@/.snapshots',
            '@/.snapshots/1/snapshot',
            'home',
            'root',
            'root/var/lib/machines',
          ]);
          expect([...(await fs.subvolumePaths())].sort()).toEqual(paths.filter((p) => p !== ''));
          const rootSub = subs.find((s) => s.path === 'root');
          expect(await fs.defaultSubvolumeId()).toBe(rootSub?.id);
          expect(fs.subvolumeId).toBe(rootSub?.id);

          const home = await open(src, '/home');
          expect(await walkNodeFs(home)).toEqual(await walkHostDir(fx.homeTree));
          const snap = await open(src, '@/.snapshots/1/snapshot');
          const want = await walkHostDir(fx.tree);
          expect(await walkNodeFs(snap)).toEqual(want);
          // The nested subvolume is a placeholder (inode 2) in the snapshot, and its own tree in root.
          const snapRoot = await snap.root();
          const varDir = await snap.lookup(snapRoot, 'var');
          const lib = varDir && (await snap.lookup(varDir, 'lib'));
          const machines = lib && (await snap.lookup(lib, 'machines'));
          expect(machines?.id).toMatch(/:2$/);
          const nested = subs.find((s) => s.path === 'root/var/lib/machines');
          expect(nested?.parentId).toBe(rootSub?.id);
          const live = await open(src);
          const liveVar = await live.lookup(await live.root(), 'var');
          const liveLib = liveVar && (await live.lookup(liveVar, 'lib'));
          expect((liveLib && (await live.lookup(liveLib, 'machines')))?.id).toBe(`${nested?.id}:256`);
          const byId = await open(src, rootSub?.id);
          expect(byId.subvolumeId).toBe(rootSub?.id);
          const bySubvolid = await open(src, `subvolid=${rootSub?.id}`);
          expect(bySubvolid.subvolumeId).toBe(rootSub?.id);

          // The top level shows each subvolume as a directory whose contents come from its own tree.
          const top = await open(src, 'subvolid=5');
          const all = await walkNodeFs(top);
          expect(all.filter((e) => !e.path.slice(1).includes('/')).map((e) => `${e.type} ${e.path}`)).toEqual(
            ['dir /@', 'dir /home', 'dir /root'],
          );
          expect(under(all, '/root')).toEqual(want);
          expect(under(all, '/@/.snapshots/1/snapshot')).toEqual(want);
          expect((await typedError(open(src, 'no/such/subvolume'))).code).toBe('guest/ENOENT');
        });
    });
  }
});

describe('btrfs corpus images', () => {
  it('btrfs-progs compress.raw: zlib, lzo and zstd extents decode to the recorded bytes', async () => {
    const fs = await open(new MemorySource(xzDecompress(join(corpus, 'btrfs-progs__compress.raw.xz'))));
    expect(fs.info.uuid).toBe('b210911b-cecd-4ca3-ab40-c5adad99a7e5');
    expect(fs.info.details).toMatchObject({
      nodeSize: 16384,
      sectorSize: 4096,
      checksum: 'crc32c',
      incompatFlags: '0x179',
    });
    const truth = readFileSync(join(corpus, 'btrfs-progs__compress.raw.truth.txt'), 'utf8');
    const want = [...truth.matchAll(/^f (\d+) ([0-9a-f]{64}) (\/\S+)$/gm)].map((m) => ({
      path: m[3],
      size: Number(m[1]),
      sha256: m[2],
    }));
    expect(want.length).toBe(3);
    const got = await walkNodeFs(fs);
    expect(got.map((e) => ({ path: e.path, size: e.size, sha256: e.sha256 }))).toEqual(want);
  });

  it('util-linux btrfs.img: an empty filesystem with the recorded fsid', async () => {
    const fs = await open(new MemorySource(xzDecompress(join(corpus, 'util-linux__btrfs.img.xz'))));
    expect(fs.info.uuid).toBe('d4a78b72-55e4-4811-86a6-09af936d43f9');
    expect(fs.info.details?.generation).toBe(6);
    expect(await fs.readdir(await fs.root())).toEqual([]);
    expect(await fs.listSubvolumes()).toEqual([{ id: 5, path: '', parentId: 0 }]);
  });

  describe.skipIf(!requireTools('qemu-img'))(
    'DiscUtils btrfs.vhdx (MBR partition): subvolume, symlink, lzo/zlib and sparse files',
    () => {
      let tmp: string;
      let src: FileSource;
      beforeAll(async () => {
        tmp = await mkdtemp(join(tmpdir(), 'btrfs-vhdx-'));
        await writeFile(
          join(tmp, 'd.vhdx'),
          gunzipSync(readFileSync(join(corpus, 'DiscUtils__btrfs.vhdx.gz'))),
        );
        execFileSync('qemu-img', ['convert', '-O', 'raw', join(tmp, 'd.vhdx'), join(tmp, 'd.raw')]);
        src = await FileSource.open(join(tmp, 'd.raw'));
      });
      afterAll(async () => {
        await src?.close();
        await rm(tmp, { recursive: true, force: true });
      });

      it('matches the virt-ls listing: types, modes, sizes, hashes, the symlink target', async () => {
        // Partition 1 of the MBR: start 2048, 2095104 sectors.
        const fs = await open(src.slice(2048 * 512, 2095104 * 512));
        expect(fs.info.uuid).toBe('5e0c7724-5a3e-4ec9-8b6f-a1342cc65d09');
        const listing = readFileSync(join(corpus, 'DiscUtils__btrfs.vhdx.listing.txt'), 'utf8');
        const want = [
          ...listing.matchAll(
            /^([-dl]) (\d{4})\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+ \d+ \d+ (?:([0-9a-f]{64}) )?(\/\S*)(?: -> (\S+))?$/gm,
          ),
        ]
          .filter((m) => m[7] !== '/')
          .map((m) => {
            const type = m[1] === 'd' ? 'dir' : m[1] === 'l' ? 'symlink' : 'file';
            const bits = type === 'dir' ? 0o40000 : type === 'symlink' ? 0o120000 : 0o100000;
            return {
              path: m[7],
              type,
              mode: bits | Number.parseInt(m[2] as string, 8),
              uid: Number(m[4]),
              gid: Number(m[5]),
              ...(type === 'file' ? { size: Number(m[3]), sha256: m[6] } : {}),
              ...(type === 'symlink' ? { target: m[8] } : {}),
            };
          })
          .sort((a, b) => ((a.path as string) < (b.path as string) ? -1 : 1));
        expect(want.length).toBe(13);
        const got = await walkNodeFs(fs);
        expect(got).toEqual(want);
        expect((await fs.listSubvolumes()).map((s) => [s.id, s.path])).toEqual([
          [5, ''],
          [256, 'subvolume'],
        ]);
        const sub = await open(src.slice(2048 * 512, 2095104 * 512), 'subvolume');
        expect((await walkNodeFs(sub)).map((e) => e.path)).toEqual([
          '/subvolumefolder',
          '/subvolumefolder/subvolumefile',
        ]);
      });
    },
  );
});

describe('corrupted btrfs: typed errors, no hangs', () => {
  let base: Uint8Array;
  let fs0: BtrfsFileSystem;
  beforeAll(async () => {
    base = xzDecompress(join(corpus, 'btrfs-progs__compress.raw.xz'));
    fs0 = await open(new MemorySource(base));
  });
  const physical = (logical: number) =>
    (fs0 as unknown as { mapLogical(l: number, n: number): number }).mapLogical(logical, 16384);
  /** Rewrites a node's crc32c after patching it, so only the structural checks can catch the damage. */
  const reseal = (img: Uint8Array, at: number, size: number) => {
    const c = crc32c(img.subarray(at + 32, at + size));
    img.set([c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24], at);
  };

  it('truncated image', async () => {
    const e = await typedError(open(new MemorySource(base.subarray(0, 21 * 1024 * 1024))));
    expect(e.code).toMatch(/^(block|btrfs)\//);
  });

  it('a flipped superblock byte fails the checksum', async () => {
    const img = base.slice();
    img[0x10000 + 0x70] = (img[0x10000 + 0x70] ?? 0) ^ 0xff;
    expect((await typedError(open(new MemorySource(img)))).code).toBe('btrfs/bad-checksum');
  });

  it('a flipped tree-node byte fails the checksum', async () => {
    const img = base.slice();
    const at = physical(fs0.superblock.root);
    img[at + 200] = (img[at + 200] ?? 0) ^ 0x55;
    expect((await typedError(open(new MemorySource(img)))).code).toBe('btrfs/bad-checksum');
  });

  it('a tree node that points at itself (a loop)', async () => {
    const img = base.slice();
    const at = physical(fs0.superblock.root);
    const n = fs0.superblock.nodeSize;
    img[at + 0x64] = 1; // level 1
    img.set([1, 0, 0, 0], at + 0x60); // one key pointer
    img.fill(0, at + 0x65, at + 0x65 + 17);
    const ptr = new DataView(img.buffer, img.byteOffset + at + 0x65 + 17, 16);
    ptr.setBigUint64(0, BigInt(fs0.superblock.root), true);
    ptr.setBigUint64(8, 1n, true);
    reseal(img, at, n);
    // The superblock still says level 0, so also raise it to 1 and reseal the superblock.
    img[0x10000 + 0xc6] = 1;
    reseal(img, 0x10000, 4096);
    expect((await typedError(open(new MemorySource(img)))).code).toBe('btrfs/bad-node');
  });

  it('a leaf with a huge item count', async () => {
    const img = base.slice();
    const at = physical(fs0.superblock.root);
    img.set([0xff, 0xff, 0xff, 0x7f], at + 0x60);
    reseal(img, at, fs0.superblock.nodeSize);
    expect((await typedError(open(new MemorySource(img)))).code).toBe('btrfs/bad-node');
  });

  it('bad inode numbers and an unknown subvolume', async () => {
    expect((await typedError(fs0.node('5:123456789'))).code).toBe('btrfs/missing-inode');
    expect((await typedError(fs0.node('77777:256'))).code).toBe('guest/ENOENT');
    expect((await typedError(open(new MemorySource(base), 'subvolid=999'))).code).toBe('guest/ENOENT');
  });

  it('a corrupted compressed extent', async () => {
    const root = await fs0.root();
    for (const name of ['lzo', 'zlib', 'zstd']) {
      const img = base.slice();
      const probe = await open(new MemorySource(img));
      const node = await probe.lookup(root, name);
      if (node === undefined) throw new Error(`${name} missing`);
      const exts = await (
        probe as unknown as { extents(n: unknown): Promise<{ diskBytenr: number; diskNumBytes: number }[]> }
      ).extents(node);
      const first = exts[0];
      if (first === undefined) throw new Error('no extents');
      const at = (probe as unknown as { mapLogical(l: number, n: number): number }).mapLogical(
        first.diskBytenr,
        first.diskNumBytes,
      );
      for (let i = 0; i < first.diskNumBytes; i += 7) img[at + i] = (img[at + i] ?? 0) ^ 0xa5;
      const fs = await open(new MemorySource(img));
      const n2 = await fs.lookup(await fs.root(), name);
      expect(
        isImagecheckError(await fs.read(n2 as NonNullable<typeof n2>, 0, 204800).catch((e: unknown) => e)),
      ).toBe(true);
    }
  });
});
