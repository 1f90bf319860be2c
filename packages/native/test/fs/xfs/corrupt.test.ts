import type { FsNode } from '@imagecheck/access';
import { isImagecheckError } from '@imagecheck/access';
import {
  buildXfsFixture,
  canLoopMount,
  requireTools,
  XFS_FIXTURES,
  type XfsFixtureParams,
} from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../../src/block/file-source.js';
import { SliceSource } from '../../../src/block/slice.js';
import type { ByteSource } from '../../../src/block/types.js';
import { xfsCrc } from '../../../src/fs/xfs/crc32c.js';
import { openXfs, type XfsFileSystem } from '../../../src/fs/xfs/index.js';
import { decodeExtent, inodeOffset } from '../../../src/fs/xfs/inode.js';

/** A source with some bytes replaced: corrupts an image without copying 300 MiB. */
class PatchedSource implements ByteSource {
  private readonly patches: { offset: number; bytes: Uint8Array }[] = [];
  constructor(private readonly base: ByteSource) {}
  get size(): number {
    return this.base.size;
  }
  clear(): void {
    this.patches.length = 0;
  }
  patch(offset: number, bytes: Uint8Array): void {
    this.patches.push({ offset, bytes: bytes.slice() });
  }
  async read(offset: number, length: number, options?: { allowShort?: boolean }): Promise<Uint8Array> {
    const out = (await this.base.read(offset, length, options)).slice();
    for (const p of this.patches) {
      for (let i = 0; i < p.bytes.length; i++) {
        const at = p.offset + i - offset;
        if (at >= 0 && at < out.length) out[at] = p.bytes[i] as number;
      }
    }
    return out;
  }
  slice(offset: number, length: number): ByteSource {
    return new SliceSource(this, offset, length);
  }
}

async function setup(p: XfsFixtureParams) {
  const fx = await buildXfsFixture(p);
  const file = await FileSource.open(fx.image);
  const clean = (await openXfs(file)) as XfsFileSystem;
  const src = new PatchedSource(file);
  async function nodeAt(path: string): Promise<FsNode> {
    let node = await clean.root();
    for (const part of path.split('/').filter(Boolean)) {
      const next = await clean.lookup(node, part);
      if (next === undefined) throw new Error(`${path} missing`);
      node = next;
    }
    return node;
  }
  /** Reads inode `id`, lets `mutate` change it, stores it back with a valid CRC (v5), so deeper checks are reached. */
  async function patchInode(
    id: string,
    mutate: (b: Uint8Array, dv: DataView) => void,
    fixCrc = clean.sb.hasCrc,
  ): Promise<void> {
    const off = inodeOffset(clean.sb, BigInt(id));
    const b = (await src.read(off, clean.sb.inodeSize)).slice();
    mutate(b, new DataView(b.buffer, b.byteOffset, b.byteLength));
    if (fixCrc) new DataView(b.buffer, b.byteOffset).setUint32(100, xfsCrc(b, 100), true);
    src.patch(off, b);
  }
  const reopen = async (): Promise<XfsFileSystem> => (await openXfs(src)) as XfsFileSystem;
  return { file, clean, src, nodeAt, patchInode, reopen };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isImagecheckError(err)) return err.code;
    throw err;
  }
  return 'no error';
}

/** Everything a reader does with one node: resolve it, list it (and look its entries up), read it, follow it. */
async function exercise(fs: XfsFileSystem, path: string): Promise<void> {
  const node = await findPath(fs, path);
  if (node.type === 'dir') {
    const entries = await fs.readdir(node);
    for (const e of entries.slice(0, 50)) await fs.lookup(node, e.name);
  } else if (node.type === 'symlink') await fs.readlink(node);
  else if (node.type === 'file') {
    await fs.read(node, 0, Math.min(node.size, 1 << 20));
    await fs.read(node, Math.max(0, node.size - 4096), 4096);
  }
}

describe.skipIf(!requireTools('mkfs.xfs', 'mkfifo') || !canLoopMount())(
  'xfs: corrupted v5 images throw a typed error, do not hang',
  () => {
    it('truncated image', async () => {
      const { file } = await setup(XFS_FIXTURES.v5mount);
      expect(await code(openXfs(file.slice(0, file.size / 2)))).toBe('xfs/truncated');
      await file.close();
    });

    it('superblock byte flipped: CRC mismatch', async () => {
      const { file, src } = await setup(XFS_FIXTURES.v5mount);
      src.patch(150, new Uint8Array([0xaa]));
      expect(await code(openXfs(src))).toBe('xfs/bad-superblock-crc');
      await file.close();
    });

    it('inode byte flipped: CRC mismatch; magic and number checks behind a valid CRC', async () => {
      const { file, clean, src, patchInode, reopen } = await setup(XFS_FIXTURES.v5mount);
      const root = await clean.root();
      const off = inodeOffset(clean.sb, BigInt(root.id));
      src.patch(off + 60, new Uint8Array([0x7f]));
      expect(await code((await reopen()).root())).toBe('xfs/bad-inode-crc');
      await patchInode(root.id, (b) => {
        b[0] = 0;
      });
      expect(await code((await reopen()).root())).toBe('xfs/bad-inode-magic');
      await patchInode(root.id, (b, dv) => {
        b[0] = 0x49;
        dv.setBigUint64(152, 12345n);
      });
      expect(await code((await reopen()).root())).toBe('xfs/inode-number-mismatch');
      await file.close();
    });

    it('bmap btree root with a pointer repeated: a loop', async () => {
      const { file, nodeAt, patchInode, reopen } = await setup(XFS_FIXTURES.v5mount);
      const frag = await nodeAt('/frag.bin');
      await patchInode(frag.id, (b, dv) => {
        // Root at 176: level, numrecs, keys[maxrecs], ptrs[maxrecs] with maxrecs = (forksize - 4) / 16.
        const forkSize = b[82] === 0 ? b.length - 176 : (b[82] as number) * 8;
        const maxrecs = Math.floor((forkSize - 4) / 16);
        const ptrs = 176 + 4 + maxrecs * 8;
        dv.setBigUint64(ptrs + 8, dv.getBigUint64(ptrs));
      });
      const fs = await reopen();
      expect(await code(fs.read(frag, 0, 4096))).toBe('xfs/bmbt-loop');
      await patchInode(frag.id, (b, dv) => {
        const forkSize = b[82] === 0 ? b.length - 176 : (b[82] as number) * 8;
        dv.setBigUint64(176 + 4 + Math.floor((forkSize - 4) / 16) * 8, 0xffffffffffn);
      });
      expect(await code((await reopen()).read(frag, 0, 4096))).toBe('xfs/bad-block-number');
      await file.close();
    });

    it('huge extent counts and extents outside the filesystem', async () => {
      const { file, nodeAt, patchInode, reopen } = await setup(XFS_FIXTURES.v5mount);
      const small = await nodeAt('/large.bin');
      // nrext64 inode: the data fork count is the u64 at 24.
      await patchInode(small.id, (_b, dv) => dv.setBigUint64(24, 1n << 40n));
      expect(await code((await reopen()).read(small, 0, 10))).toBe('xfs/bad-extent-count');
      await patchInode(small.id, (_b, dv) => {
        dv.setBigUint64(24, 1n);
        // startblock lives in bits 21..72 of the record: set its high bits.
        dv.setUint32(176 + 4, dv.getUint32(176 + 4) | 0x1ff);
      });
      expect(await code((await reopen()).read(small, 0, 10))).toBe('xfs/bad-extent');
      await file.close();
    });

    it('fuzz: random bytes of inodes changed behind valid CRCs end in a result or a typed error', async () => {
      await fuzzInodes(XFS_FIXTURES.v5mount, [
        '/',
        '/sf',
        '/dir20',
        '/dir300',
        '/dir5000',
        '/frag.bin',
        '/large.bin',
        '/slow-link',
        '/prealloc.bin',
      ]);
    });

    it('directory entry with a bad inode number; directory block CRC mismatch', async () => {
      const { file, clean, src, nodeAt, patchInode, reopen } = await setup(XFS_FIXTURES.v5mount);
      const sf = await nodeAt('/sf');
      // Shortform: count, i8count, parent (4), then namelen, offset (2), name (1), ftype, ino (4).
      await patchInode(sf.id, (_b, dv) => dv.setUint32(176 + 6 + 3 + 1 + 1, 0xfffffff0));
      const fs = await reopen();
      expect(await code(fs.lookup(sf, 'x'))).toBe('xfs/bad-inode-number');
      const dir20 = await nodeAt('/dir20');
      const entries = await clean.readdir(dir20);
      expect(entries.length).toBe(20);
      // The block directory's single block, from the one extent in its inode; flip a byte of an entry name.
      const inode = await file.read(inodeOffset(clean.sb, BigInt(dir20.id)), clean.sb.inodeSize);
      const fsb = decodeExtent(inode, 176, BigInt(dir20.id)).startBlock;
      const agno = Math.floor(fsb / 2 ** clean.sb.agblkLog);
      const block = agno * clean.sb.agBlocks + (fsb % 2 ** clean.sb.agblkLog);
      src.patch(block * clean.sb.blockSize + 64 + 8 + 1 + 2, new Uint8Array([0x21]));
      expect(await code((await reopen()).readdir(dir20))).toBe('xfs/bad-dir-block-crc');
      await file.close();
    });
  },
);

async function findPath(fs: XfsFileSystem, path: string): Promise<FsNode> {
  let node = await fs.root();
  for (const part of path.split('/').filter(Boolean)) {
    const next = await fs.lookup(node, part);
    if (next === undefined) throw new Error(`${path} missing`);
    node = next;
  }
  return node;
}

async function fuzzInodes(p: XfsFixtureParams, paths: string[]): Promise<void> {
  const { file, clean, src, patchInode, reopen } = await setup(p);
  const ids = await Promise.all(paths.map(async (p) => (await findPath(clean, p)).id));
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const which = rand(ids.length);
    const id = ids[which] as string;
    const at = rand(clean.sb.inodeSize);
    if (at >= 100 && at < 104) continue;
    src.clear();
    await patchInode(id, (b) => {
      b[at] = rand(256);
    });
    const outcome = await code(reopen().then((fs) => exercise(fs, paths[which] as string)));
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  // Some changes must get through to the deeper checks, and some walks must still succeed.
  expect(outcomes.size).toBeGreaterThan(2);
  expect(
    [...outcomes.keys()].every(
      (k) => k === 'no error' || k.startsWith('xfs/') || k.startsWith('guest/') || k.startsWith('block/'),
    ),
  ).toBe(true);
  await file.close();
}

describe.skipIf(!requireTools('mkfs.xfs', 'mkfifo'))(
  'xfs: fuzzed inodes (v4, no CRCs to stop the damage)',
  () => {
    it('random bytes of inodes changed end in a result or a typed error', async () => {
      await fuzzInodes(XFS_FIXTURES.v4, [
        '/',
        '/sf',
        '/dir20',
        '/dir300',
        '/dir5000',
        '/large.bin',
        '/slow-link',
        '/sparse.bin',
      ]);
    });
  },
);
