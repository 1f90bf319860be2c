import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { requireTools, walkNodeFs, which } from '@imagecheck/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSource, MemorySource } from '../../../src/block/index.js';
import { type ExtFileSystem, openExt } from '../../../src/fs/ext/index.js';

const corpus = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/corpus');

function xz(name: string): Uint8Array {
  return new Uint8Array(
    execFileSync(which('xz') ?? 'xz', ['-dc', join(corpus, name)], { maxBuffer: 64 << 20 }),
  );
}

/** The "all entries" section of a ground-truth file: `type size sha256|-> target path`. */
function truthEntries(
  name: string,
): { type: string; size?: number; sha256?: string; target?: string; path: string }[] {
  const text = readFileSync(join(corpus, name), 'utf8');
  const section = text.split('### all entries')[1] ?? '';
  const out = [];
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('###') || line.trim() === '') {
      if (line.startsWith('###')) break;
      continue;
    }
    const f = line.split(' ');
    if (f[0] === 'd') out.push({ type: 'dir', path: f.slice(3).join(' ') });
    else if (f[0] === 'f')
      out.push({ type: 'file', size: Number(f[1]), sha256: f[2], path: f.slice(3).join(' ') });
    else if (f[0] === 'l') out.push({ type: 'symlink', target: f[3], path: f.slice(4).join(' ') });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function compareWithTruth(fs: ExtFileSystem, truthFile: string): Promise<void> {
  const tree = await walkNodeFs(fs);
  const got = tree.map((e) =>
    e.type === 'file'
      ? { type: 'file', size: e.size, sha256: e.sha256, path: e.path }
      : e.type === 'symlink'
        ? { type: 'symlink', target: e.target, path: e.path }
        : { type: e.type, path: e.path },
  );
  expect(got.sort((a, b) => (a.path < b.path ? -1 : 1))).toEqual(truthEntries(truthFile));
}

describe('ext corpus: go-ext4 hierarchy images', () => {
  for (const [file, uuid, label] of [
    ['go-ext4__hierarchy_64.ext4', 'dac7fa47-1933-43ec-8b14-a91c716cb6c7', undefined],
    ['go-ext4__hierarchy_32.ext4', '9905d1c3-345a-4deb-82b2-4992f3f546cc', 'tinyimage'],
  ] as const) {
    it(`${file}: type, uuid, and the whole tree match the recorded listing`, async () => {
      const src = await FileSource.open(join(corpus, file));
      try {
        const fs = await openExt(src);
        expect(fs).toBeDefined();
        if (fs === undefined) return;
        expect(fs.info.type).toBe('ext4');
        expect(fs.info.uuid).toBe(uuid);
        expect(fs.info.label).toBe(label);
        expect(fs.info.details?.blockSize).toBe(1024);
        expect(fs.info.details?.needsRecovery).toBe(false);
        await compareWithTruth(fs, `${file}.truth.txt`);
        const lf = await fs.lookup(await fs.root(), 'lost+found');
        expect(lf?.mode).toBe(0o40700);
        expect(lf?.size).toBe(12288);
      } finally {
        await src.close();
      }
    });
  }
});

describe('ext corpus: dissect ext4 symlink test (metadata_csum, 4 KiB)', () => {
  it('reads relative symlinks and the target file; checksums verify', async () => {
    const bytes = new Uint8Array(
      gunzipSync(readFileSync(join(corpus, 'dissect.extfs__ext4_symlink_test.bin.gz'))),
    );
    const fs = await openExt(new MemorySource(bytes));
    expect(fs?.info.type).toBe('ext4');
    expect(fs?.info.uuid).toBe('f67a7a89-c91e-4298-888b-a751d1590198');
    expect(fs?.info.details?.metadataChecksums).toBe(true);
    if (fs !== undefined) await compareWithTruth(fs, 'dissect.extfs__ext4_symlink_test.bin.truth.txt');
  });

  it('a flipped superblock byte fails the metadata_csum check with a typed error', async () => {
    const bytes = new Uint8Array(
      gunzipSync(readFileSync(join(corpus, 'dissect.extfs__ext4_symlink_test.bin.gz'))),
    );
    bytes[1024 + 0x78] = (bytes[1024 + 0x78] ?? 0) ^ 0x20; // a volume-name byte
    await expect(openExt(new MemorySource(bytes))).rejects.toMatchObject({
      code: 'ext/bad-superblock-checksum',
    });
  });
});

describe.skipIf(!requireTools('xz'))(
  'ext corpus: util-linux blkid images (ext2 vs ext3 vs ext4 like blkid)',
  () => {
    for (const [file, type, label, uuid, journal] of [
      ['util-linux__ext2.img', 'ext2', 'test-ext2', '22f0eac3-5c89-4ec1-9076-60799119aaea', false],
      ['util-linux__ext3.img', 'ext3', 'test-ext3', '35f66dab-477e-4090-a872-95ee0e493ad6', true],
      ['util-linux__ext4.img', 'ext4', 'test-ext4', 'ada110f6-bd6d-49db-955d-342c27627b61', true],
    ] as const) {
      it(`${file}: ${type}, label and uuid as blkid reports them; root holds lost+found only`, async () => {
        const fs = await openExt(new MemorySource(xz(`${file}.xz`)));
        expect(fs?.info).toMatchObject({ type, label, uuid });
        expect(fs?.info.details?.hasJournal).toBe(journal);
        if (fs === undefined) return;
        const root = await fs.root();
        expect((await fs.readdir(root)).map((e) => e.name)).toEqual(['lost+found']);
        await compareWithTruth(fs, `${file}.truth.txt`);
        if (type !== 'ext4') expect(root).toMatchObject({ uid: 15806, gid: 15806, mode: 0o40755 });
      });
    }
  },
);

describe.skipIf(!requireTools('qemu-img'))(
  'ext corpus: dfvfs ext2 in qcow2 (raw copy via qemu-img convert)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ext-dfvfs-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('matches the libguestfs listing: names, modes, owners, sizes, hashes, link target', async () => {
      const raw = join(dir, 'ext2.raw');
      execFileSync(which('qemu-img') ?? 'qemu-img', [
        'convert',
        '-O',
        'raw',
        join(corpus, 'dfvfs__ext2.qcow2'),
        raw,
      ]);
      const src = await FileSource.open(raw);
      try {
        const fs = await openExt(src);
        expect(fs?.info).toMatchObject({
          type: 'ext2',
          label: 'ext2_test',
          uuid: 'f00050bb-07ee-46a3-83a6-a405ee0db51f',
        });
        if (fs === undefined) return;
        const tree = await walkNodeFs(fs);
        // Columns of the listing: type mode size uid gid atime mtime ctime [sha256] path
        const listing = readFileSync(join(corpus, 'dfvfs__ext2.listing.txt'), 'utf8')
          .split('\n')
          .filter((l) => /^[-dl] /.test(l))
          .map((l) => l.trim().split(/\s+/))
          .filter((f) => f.at(-1) !== '/' && f[0] !== undefined);
        const expected = listing
          .map((f) => {
            const [t, mode, size, uid, gid] = f;
            const base = { mode: Number.parseInt(mode ?? '', 8), uid: Number(uid), gid: Number(gid) };
            if (t === 'd') return { ...base, type: 'dir', path: f[8] };
            if (t === 'l') return { ...base, type: 'symlink', path: f[8], target: f[10] };
            return { ...base, type: 'file', size: Number(size), sha256: f[8], path: f[9] };
          })
          .sort((a, b) => ((a.path ?? '') < (b.path ?? '') ? -1 : 1));
        expect(
          tree.map((e) => ({ ...e, mode: e.mode & 0o7777 })).sort((a, b) => (a.path < b.path ? -1 : 1)),
        ).toEqual(expected);
      } finally {
        await src.close();
      }
    });
  },
);
