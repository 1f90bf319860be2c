import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isImagecheckError } from '@imagecheck/access';
import {
  type BuiltExtImage,
  buildExtImage,
  type ExtImageSpec,
  requireTools,
  run,
  walkNodeFs,
} from '@imagecheck/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/block/index.js';
import { openExt } from '../../../src/fs/ext/index.js';

const SMALL_TREE = { manyFiles: 20, sparseBytes: 2 * 1024 * 1024, slowLinkLength: 300 };
const PLAIN: ExtImageSpec = {
  name: 'corrupt-base',
  mkfs: ['-t', 'ext4', '-b', '4096', '-O', '^metadata_csum'],
  sizeMiB: 16,
  tree: SMALL_TREE,
};
const CSUM: ExtImageSpec = {
  name: 'corrupt-csum',
  mkfs: ['-t', 'ext4', '-b', '4096'],
  sizeMiB: 16,
  tree: SMALL_TREE,
};

function setU16(b: Uint8Array, off: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setUint16(off, v, true);
}
function setU32(b: Uint8Array, off: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(off, v, true);
}

/** Byte offset of an inode, as debugfs's `imap` reports it (independent of the reader). */
async function inodeOffset(image: string, path: string, blockSize: number): Promise<number> {
  const out = await run('debugfs', ['-R', `imap ${path}`, image]);
  const m = /located at block (\d+), offset 0x([0-9a-f]+)/.exec(out);
  if (m === null) throw new Error(`imap ${path}: ${out}`);
  return Number(m[1]) * blockSize + Number.parseInt(m[2] ?? '0', 16);
}

/** First physical block of a file or directory per debugfs `bmap`. */
async function firstBlock(image: string, path: string): Promise<number> {
  return Number((await run('debugfs', ['-R', `bmap ${path} 0`, image])).trim());
}

/** A walk that must end in a typed error (or succeed); anything else fails the test. */
async function walkOutcome(bytes: Uint8Array): Promise<string> {
  try {
    const fs = await openExt(new MemorySource(bytes));
    if (fs === undefined) return 'not-ext';
    await walkNodeFs(fs);
    return 'ok';
  } catch (err) {
    if (!isImagecheckError(err)) throw err;
    return err.code;
  }
}

describe.skipIf(!requireTools('mke2fs', 'debugfs', 'e2fsck', 'dumpe2fs'))(
  'ext corrupted images: typed errors, no hangs',
  () => {
    let plain: BuiltExtImage;
    let csum: BuiltExtImage;
    let pristine: Uint8Array;
    const bs = 4096;
    const copy = () => pristine.slice();

    beforeAll(async () => {
      plain = await buildExtImage(PLAIN);
      csum = await buildExtImage(CSUM);
      pristine = new Uint8Array(readFileSync(plain.image));
    });

    it('the unmodified image walks cleanly', async () => {
      expect(await walkOutcome(copy())).toBe('ok');
    });

    it('truncated: opens, reports the missing tail, and reads into it fail with ext/truncated', async () => {
      const fs = await openExt(new MemorySource(pristine.subarray(0, 2 * 1024 * 1024)));
      expect(fs?.info.details?.truncated).toEqual({ declared: 16 * 1024 * 1024, present: 2 * 1024 * 1024 });
      expect(await walkOutcome(pristine.subarray(0, 2 * 1024 * 1024))).toBe('ext/truncated');
      expect(await walkOutcome(pristine.subarray(0, 1500))).toBe('not-ext');
    });

    it('a looping extent tree (a node that points at itself) ends in ext/bad-extent-depth', async () => {
      const b = copy();
      const ino = await inodeOffset(plain.image, '/sparse/fragmented.bin', bs);
      const iblock = ino + 0x28;
      expect(new DataView(b.buffer).getUint16(iblock + 6, true)).toBe(1); // depth-1 tree: 64 extents
      const leaf = new DataView(b.buffer).getUint32(iblock + 12 + 4, true);
      setU16(b, iblock + 6, 2); // root now claims two levels below it
      setU16(b, leaf * bs + 6, 1); // the leaf claims to be an index ...
      setU32(b, leaf * bs + 12 + 4, leaf); // ... whose first entry is itself (ei_leaf_lo)
      setU16(b, leaf * bs + 12 + 8, 0); // ei_leaf_hi
      expect(await walkOutcome(b)).toBe('ext/bad-extent-depth');
    });

    it('an inflated extent count ends in ext/bad-extent-header', async () => {
      const b = copy();
      const ino = await inodeOffset(plain.image, '/sparse/fragmented.bin', bs);
      setU16(b, ino + 0x28 + 2, 0xffff);
      expect(await walkOutcome(b)).toBe('ext/bad-extent-header');
    });

    it('an extent pointing past the filesystem ends in ext/block-out-of-range', async () => {
      const b = copy();
      const ino = await inodeOffset(plain.image, '/big.bin', bs);
      setU32(b, ino + 0x28 + 12 + 8, 0xfffffff0); // ee_start_lo of the first extent
      expect(await walkOutcome(b)).toBe('ext/block-out-of-range');
    });

    it('a directory entry with a bad inode number ends in ext/bad-inode-number', async () => {
      const b = copy();
      const root = await firstBlock(plain.image, '/');
      const block = b.subarray(root * bs, (root + 1) * bs);
      const at = Buffer.from(block).indexOf('tiny.txt');
      expect(at).toBeGreaterThan(8);
      setU32(block, at - 8, 0x7fffffff);
      expect(await walkOutcome(b)).toBe('ext/bad-inode-number');
    });

    it('a zero rec_len in a directory ends in ext/bad-dirent (no endless loop)', async () => {
      const b = copy();
      const root = await firstBlock(plain.image, '/');
      setU16(b, root * bs + 4, 0); // rec_len of "."
      expect(await walkOutcome(b)).toBe('ext/bad-dirent');
    });

    it('an inflated i_size ends in ext/bad-inode-size', async () => {
      const b = copy();
      const ino = await inodeOffset(plain.image, '/tiny.txt', bs);
      setU32(b, ino + 0x6c, 0xffffffff); // i_size_high
      expect(await walkOutcome(b)).toBe('ext/bad-inode-size');
    });

    it('impossible superblock counts end in typed errors', async () => {
      const cases: [number, number, string][] = [
        [0x28, 0xffffffff, 'ext/bad-inodes-per-group'],
        [0x18, 40, 'ext/bad-block-size'],
        [0x20, 0, 'ext/bad-blocks-per-group'],
        [0x00, 0xffffffff, 'ext/bad-inodes-count'],
      ];
      for (const [off, value, code] of cases) {
        const b = copy();
        setU32(b, 1024 + off, value);
        expect(await walkOutcome(b)).toBe(code);
      }
    });

    it('metadata_csum: a flipped inode byte ends in ext/bad-inode-checksum', async () => {
      const b = new Uint8Array(readFileSync(csum.image));
      expect(await walkOutcome(b.slice())).toBe('ok');
      const ino = await inodeOffset(csum.image, '/tiny.txt', bs);
      b[ino + 0x10] = (b[ino + 0x10] ?? 0) ^ 1; // mtime
      expect(await walkOutcome(b)).toBe('ext/bad-inode-checksum');
    });

    it('needs_recovery (set with debugfs) is reported, the journal is not replayed, and the tree still reads', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ext-recover-'));
      try {
        const image = join(dir, 'image.raw');
        copyFileSync(plain.image, image);
        await run('debugfs', ['-w', '-R', 'feature needs_recovery', image]);
        const fs = await openExt(new MemorySource(new Uint8Array(readFileSync(image))));
        expect(fs?.info.details).toMatchObject({
          needsRecovery: true,
          journalReplayed: false,
          hasJournal: true,
        });
        expect(String(fs?.info.details?.note)).toMatch(/not replayed/);
        if (fs !== undefined) expect((await walkNodeFs(fs)).length).toBeGreaterThan(20);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('random byte flips in the metadata never escape as untyped errors', async () => {
      let x = 12345;
      const next = () => {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        return x;
      };
      const outcomes = new Map<string, number>();
      for (let i = 0; i < 60; i++) {
        const b = copy();
        // Flip 8 bytes among the first 192 KiB: superblock, descriptors, bitmaps, inode tables, root dirs.
        for (let k = 0; k < 8; k++) {
          const off = 1024 + (next() % (192 * 1024));
          b[off] = (b[off] ?? 0) ^ (1 << (next() % 8));
        }
        const outcome = await walkOutcome(b);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      expect([...outcomes.values()].reduce((a, c) => a + c, 0)).toBe(60);
    });
  },
);
