import {
  buildXfsFixture,
  canLoopMount,
  requireTools,
  run,
  walkHostDir,
  walkNodeFs,
  XFS_FIXTURES,
  type XfsFixtureParams,
} from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../../src/block/file-source.js';
import { openXfs, type XfsFileSystem } from '../../../src/fs/xfs/index.js';

async function open(p: XfsFixtureParams): Promise<{ fs: XfsFileSystem; tree: string; source: FileSource }> {
  const fx = await buildXfsFixture(p);
  const source = await FileSource.open(fx.image);
  const fs = (await openXfs(source)) as XfsFileSystem | undefined;
  if (fs === undefined) throw new Error(`${fx.image}: not detected as XFS`);
  return { fs, tree: fx.tree, source };
}

async function findNode(fs: XfsFileSystem, path: string) {
  let node = await fs.root();
  for (const part of path.split('/').filter(Boolean)) {
    const next = await fs.lookup(node, part);
    if (next === undefined) throw new Error(`${path}: ${part} not found`);
    node = next;
  }
  return node;
}

describe.skipIf(!requireTools('mkfs.xfs', 'mkfifo'))(
  'xfs: protofile-built images equal their source trees',
  () => {
    it('v4 without ftype, 1 KiB blocks, 8 KiB directory blocks', async () => {
      const { fs, tree, source } = await open(XFS_FIXTURES.v4);
      try {
        expect(fs.info.details).toMatchObject({
          version: 4,
          ftype: false,
          blockSize: 1024,
          dirBlockSize: 8192,
          logClean: true,
        });
        expect(await walkNodeFs(fs)).toEqual(await walkHostDir(tree));
        // readdir takes types from the inodes when directory entries carry none.
        const types = Object.fromEntries((await fs.readdir(await fs.root())).map((e) => [e.name, e.type]));
        expect(types).toMatchObject({
          sf: 'dir',
          'small.bin': 'file',
          'fast-link': 'symlink',
          fifo: 'other',
        });
      } finally {
        await source.close();
      }
    });

    it('v5 with legacy timestamps', async () => {
      const { fs, tree, source } = await open(XFS_FIXTURES.v5proto);
      try {
        expect(fs.info.details).toMatchObject({ version: 5, ftype: true, logClean: true });
        expect(fs.info.details?.features).not.toContain('bigtime');
        expect(fs.info.label).toBe('v5-proto');
        expect(await walkNodeFs(fs)).toEqual(await walkHostDir(tree));
      } finally {
        await source.close();
      }
    });

    it('directory formats: shortform, block, leaf and node all list and look up', async () => {
      const { fs, source } = await open(XFS_FIXTURES.v5proto);
      try {
        for (const [dir, count] of [
          ['sf', 3],
          ['dir20', 20],
          ['dir300', 300],
          ['dir5000', 5000],
        ] as const) {
          const node = await findNode(fs, dir);
          const entries = await fs.readdir(node);
          expect(entries.length).toBe(count);
          const last =
            entries
              .map((e) => e.name)
              .sort()
              .at(-1) ?? '';
          expect((await fs.lookup(node, last))?.type).toBe('file');
          expect(await fs.lookup(node, `${last}-absent`)).toBeUndefined();
        }
        // Sizes tell the formats apart: shortform lives in the inode, the others span 1, >1 and many blocks.
        expect((await findNode(fs, 'sf')).size).toBeLessThan(100);
        expect((await findNode(fs, 'dir20')).size).toBe(4096);
        expect((await findNode(fs, 'dir5000')).size).toBeGreaterThan(64 * 4096);
      } finally {
        await source.close();
      }
    });
  },
);

describe.skipIf(!requireTools('mkfs.xfs', 'mkfifo') || !canLoopMount())('xfs: loop-mounted v5 images', () => {
  it('bigtime + nrext64 with a btree-format fragmented file, unwritten extents, holes, hard links and spaces', async () => {
    const { fs, tree, source } = await open(XFS_FIXTURES.v5mount);
    try {
      expect(fs.info.details).toMatchObject({ version: 5, logClean: true, needsRecovery: false });
      expect(fs.info.details?.features).toEqual(expect.arrayContaining(['bigtime', 'nrext64']));
      expect(await walkNodeFs(fs)).toEqual(await walkHostDir(tree));
      const small = await findNode(fs, 'small.bin');
      expect((await findNode(fs, 'hardlink-to-small')).id).toBe(small.id);
      expect(small.nlink).toBe(2);
      // bigtime: the timestamp decodes to a date near the build, not 1901 or 2038.
      expect(small.mtimeMs).toBeGreaterThan(Date.UTC(2020, 0, 1));
      expect(small.mtimeMs).toBeLessThan(Date.now() + 86_400_000);
    } finally {
      await source.close();
    }
  });

  it.skipIf(!requireTools('xfs_db'))(
    'the fixture forces the formats it is meant to (checked with xfs_db)',
    async () => {
      const fx = await buildXfsFixture(XFS_FIXTURES.v5mount);
      const db = (path: string, ...cmds: string[]) =>
        run('xfs_db', ['-r', '-c', `path ${path}`, ...cmds.flatMap((c) => ['-c', c]), fx.image]);
      const frag = await db('/frag.bin', 'p core.format core.nextents v3.nrext64 u3.bmbt.level');
      expect(frag).toMatch(/core\.format = 3 \(btree\)/);
      expect(frag).toMatch(/v3\.nrext64 = 1/);
      expect(Number(/core\.nextents = (\d+)/.exec(frag)?.[1])).toBeGreaterThan(900);
      expect(await db('/prealloc.bin', 'bmap')).toMatch(/flag 1/);
      // Node-format directory: a free-index block at 64 GiB of directory address space (16777216 × 4 KiB).
      expect(await db('/dir5000', 'bmap')).toMatch(/data offset 16777216 /);
      expect(await db('/dir300', 'bmap')).toMatch(/data offset 8388608 /);
      expect(await db('/sf', 'p core.format')).toMatch(/core\.format = 1 \(local\)/);
    },
  );

  it('reports a log that was not cleanly unmounted', async () => {
    const { fs, tree, source } = await open(XFS_FIXTURES.v5dirty);
    try {
      expect(fs.info.details).toMatchObject({ logClean: false, needsRecovery: true, logReplayed: false });
      // Everything up to the freeze is home; the file written after it was never replayed.
      expect((await walkNodeFs(fs)).filter((e) => e.path !== '/etc/only-in-the-log')).toEqual(
        await walkHostDir(tree),
      );
    } finally {
      await source.close();
    }
  });
});
