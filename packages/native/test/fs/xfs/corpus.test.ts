import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { requireTools, type TreeEntry, walkNodeFs, which } from '@imagecheck/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '../../../src/block/file-source.js';
import { MemorySource } from '../../../src/block/slice.js';
import { openXfs } from '../../../src/fs/xfs/index.js';

const corpus = resolve(import.meta.dirname, '../../fixtures/corpus');

function gz(name: string): MemorySource {
  return new MemorySource(new Uint8Array(gunzipSync(readFileSync(join(corpus, name)))));
}
function xz(name: string): Buffer {
  return execFileSync(which('xz') ?? 'xz', ['-dc', join(corpus, name)], { maxBuffer: 64 << 20 });
}

/** Parses a `virt-ls -lR --checksum=sha256 --time-t --uids` listing (columns in the ground-truth header). */
function parseListing(text: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !/^[-dl] /.test(line)) continue;
    const t = line.trim().split(/\s+/);
    const [kind, mode, size, uid, gid] = t;
    const typeBits = kind === 'd' ? 0o040000 : kind === 'l' ? 0o120000 : 0o100000;
    const base = { mode: typeBits | Number.parseInt(mode ?? '', 8), uid: Number(uid), gid: Number(gid) };
    if (kind === '-')
      out.push({ ...base, type: 'file', size: Number(size), sha256: t[8], path: t.slice(9).join(' ') });
    else if (kind === 'd') out.push({ ...base, type: 'dir', path: t.slice(8).join(' ') });
    else {
      const [path, target] = t.slice(8).join(' ').split(' -> ');
      out.push({ ...base, type: 'symlink', path: path ?? '', target });
    }
  }
  return out.filter((e) => e.path !== '/').sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function sortByPath(entries: TreeEntry[]): TreeEntry[] {
  return [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

describe('xfs corpus: dissect.xfs and util-linux images', () => {
  it('reads the v5 reflink image (file, directory, symlink) as recorded', async () => {
    const fs = await openXfs(gz('dissect.xfs__xfs.bin.gz'));
    if (fs === undefined) throw new Error('not detected');
    expect(fs.info.uuid).toBe('3fb8342e-e144-4f0c-8bd7-725e78966200');
    expect(fs.info.details).toMatchObject({ version: 5, ftype: true, logClean: true });
    expect(fs.info.details?.features).toContain('reflink');
    const root = await fs.root();
    expect(root.id).toBe('11072');
    const truth = parseListing(readFileSync(join(corpus, 'dissect.xfs__xfs.bin.truth.txt'), 'utf8'));
    expect(sortByPath(await walkNodeFs(fs))).toEqual(truth);
    const link = await fs.lookup(root, 'test_link');
    expect(link?.id).toBe('11078');
    expect((await fs.readdir(root)).map((e) => [e.name, e.type, e.id]).sort()).toEqual([
      ['test_dir', 'dir', '11076'],
      ['test_file', 'file', '11075'],
      ['test_link', 'symlink', '11078'],
    ]);
  });

  it('reads the bigtime image with its 64-bit timestamps', async () => {
    const fs = await openXfs(gz('dissect.xfs__xfs_bigtime.bin.gz'));
    if (fs === undefined) throw new Error('not detected');
    expect(fs.info.uuid).toBe('259e589f-1198-4de1-8c8e-db9b67910a1a');
    expect(fs.info.details?.features).toContain('bigtime');
    const truth = parseListing(readFileSync(join(corpus, 'dissect.xfs__xfs_bigtime.bin.truth.txt'), 'utf8'));
    expect(sortByPath(await walkNodeFs(fs))).toEqual(truth);
    const file = await fs.lookup(await fs.root(), 'file');
    // mtime 1680858909 from the listing (virt-ls --time-t).
    expect(Math.floor((file?.mtimeMs ?? 0) / 1000)).toBe(1680858909);
  });

  it.skipIf(!requireTools('xz'))(
    'reads the empty util-linux v5 image: label, root inode, no entries',
    async () => {
      const fs = await openXfs(new MemorySource(new Uint8Array(xz('util-linux__xfs-v5.img.xz'))));
      if (fs === undefined) throw new Error('not detected');
      expect(fs.info).toMatchObject({
        type: 'xfs',
        uuid: '3fdcb214-0f39-466d-a81a-a1fb114fe7cd',
        label: 'test-xfs-v5',
      });
      expect((await fs.root()).id).toBe('6912');
      expect(await fs.readdir(await fs.root())).toEqual([]);
      expect(fs.info.details?.features).toEqual(
        expect.arrayContaining(['crc', 'ftype', 'sparse_inodes', 'finobt']),
      );
    },
  );

  it('says "not mine" for bytes without the XFSB magic', async () => {
    expect(await openXfs(new MemorySource(new Uint8Array(65536)))).toBeUndefined();
    expect(await openXfs(new MemorySource(new Uint8Array(100)))).toBeUndefined();
  });
});

// The VHDX images hold the filesystem at sector 2048 (partition tables recorded in the truth files).
// They are converted with qemu-img rather than the native VHDX reader so this test depends on XFS alone.
describe.skipIf(!requireTools('qemu-img', 'xz'))(
  'xfs corpus: DiscUtils VHDX images (v4 and v5, big directories)',
  () => {
    let tmp: string;
    beforeAll(() => {
      tmp = mkdtempSync(join(tmpdir(), 'xfs-corpus-'));
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    for (const [name, uuid, version, sectors] of [
      ['DiscUtils__xfs.vhdx', '805566be-97c1-41b5-acdb-006f2a94697b', 4, 20969439],
      ['DiscUtils__xfs5.vhdx', 'ec2f0a36-e586-436d-baa1-99d1ac656f6d', 5, 20969472],
    ] as const) {
      it(`${name}: whole tree equals the recorded listing`, async () => {
        const vhdx = join(tmp, name);
        const raw = join(tmp, `${name}.raw`);
        execFileSync('sh', ['-c', `gzip -dc "${join(corpus, `${name}.gz`)}" > "${vhdx}"`]);
        execFileSync(which('qemu-img') ?? 'qemu-img', ['convert', '-O', 'raw', vhdx, raw]);
        const disk = await FileSource.open(raw);
        try {
          const fs = await openXfs(disk.slice(2048 * 512, sectors * 512));
          if (fs === undefined) throw new Error('not detected');
          expect(fs.info).toMatchObject({ type: 'xfs', uuid });
          expect(fs.info.details).toMatchObject({ version, logClean: true });
          const truth = parseListing(xz(`${name}.listing.txt.xz`).toString('utf8'));
          const got = sortByPath(await walkNodeFs(fs));
          expect(got.length).toBe(truth.length);
          expect(got).toEqual(truth);
        } finally {
          await disk.close();
        }
      });
    }
  },
);
