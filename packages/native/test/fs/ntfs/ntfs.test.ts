import { readFile } from 'node:fs/promises';
import { createGuestTree, type FsNode } from '@imagecheck/access';
import {
  buildNtfsFixture,
  NTFS_CASES,
  NTFS_STATE_CASES,
  NTFS_TOOLS,
  type NtfsFixture,
  requireTools,
  run,
  sha256,
  walkNodeFs,
} from '@imagecheck/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSource } from '../../../src/block/file-source.js';
import { MemorySource } from '../../../src/block/slice.js';
import { NtfsFileSystem } from '../../../src/fs/ntfs/index.js';
import { BUILTIN_FILESYSTEM_OPENERS } from '../../../src/fs/registry.js';
import { probeFilesystem } from '../../../src/probe/index.js';
import { compareWithTsk, type TskTruth, tskTruth } from './truth.js';

const haveTools = requireTools(...NTFS_TOOLS);

const sources: FileSource[] = [];
afterAll(async () => {
  for (const s of sources) await s.close();
});

async function openImage(image: string): Promise<NtfsFileSystem> {
  const src = await FileSource.open(image);
  sources.push(src);
  const fs = await NtfsFileSystem.open(src);
  if (fs === undefined) throw new Error(`${image} is not NTFS`);
  return fs;
}

describe.skipIf(!haveTools).each(NTFS_CASES)(
  'NTFS made by mkntfs + wimlib + ntfs-3g: $name',
  ({ params }) => {
    let fixture: NtfsFixture;
    let fs: NtfsFileSystem;
    let truth: TskTruth;
    const setup = async () => {
      if (fs !== undefined) return;
      fixture = await buildNtfsFixture(params);
      fs = await openImage(fixture.image);
      truth = await tskTruth(fixture.image, [], ['/larger than the volume.bin']);
    };

    it('probes, opens through the registry, and reports the volume as ntfsinfo does', {
      timeout: 600_000,
    }, async () => {
      await setup();
      const src = await FileSource.open(fixture.image);
      const probe = await probeFilesystem(src);
      expect(probe?.type).toBe('ntfs');
      const opened = await BUILTIN_FILESYSTEM_OPENERS.ntfs?.(src);
      expect(opened?.info.label).toBe(params.label);
      await src.close();
      const info = await run('ntfsinfo', ['-m', '-f', fixture.image]);
      const serial = /Volume Serial Number: ([0-9A-F]+)/.exec(
        await run('fsstat', ['-f', 'ntfs', fixture.image]),
      )?.[1];
      const cluster = Number(/Cluster Size: (\d+)/.exec(info)?.[1]);
      const version = /Volume Version: ([\d.]+)/.exec(info)?.[1];
      const flags = Number(/Volume Flags: (0x[0-9a-f]+)/i.exec(info)?.[1]);
      expect(fs.info).toMatchObject({ type: 'ntfs', uuid: serial, label: params.label });
      expect(fs.info.details).toMatchObject({
        version,
        clusterSize: cluster,
        bytesPerSector: params.sectorSize,
        dirty: (flags & 1) !== 0,
        bootSector: 'primary',
        hiberfil: { present: false },
      });
      expect(fs.caseSensitive).toBe(false);
      expect(fs.posixMetadata).toBe(false);
    });

    it('walks the whole tree exactly as fls, icat and ntfs-3g see it', { timeout: 600_000 }, async () => {
      await setup();
      const tree = await walkNodeFs(fs);
      compareWithTsk(tree, truth, fixture.ntfs3gLinks, fixture.wof);
      expect(Object.keys(fixture.wof)).toHaveLength(4);
    });

    it('readdir types agree with the nodes lookup returns', { timeout: 600_000 }, async () => {
      await setup();
      const check = async (dir: FsNode, depth: number): Promise<void> => {
        for (const e of await fs.readdir(dir)) {
          const n = (await fs.lookup(dir, e.name)) as FsNode;
          expect(e.type, e.name).toBe(n.type);
          expect(e.id).toBe(n.id);
          if (n.type === 'dir' && depth < 12) await check(n, depth + 1);
        }
      };
      await check(await fs.root(), 0);
    });

    it('the guest resolver follows links inside the guest (C: is the guest root)', {
      timeout: 600_000,
    }, async () => {
      await setup();
      const guest = createGuestTree([{ mountpoint: '/', fs }]);
      const system = await guest.readFile('/Windows/System32/config/SYSTEM');
      expect(await guest.readFile('/links/absolute/config/system')).toEqual(system);
      expect(await guest.readFile('/links/up-and-over/SYSTEM')).toEqual(system);
      expect(new TextDecoder().decode(await guest.readFile('/links/relative-file'))).toBe('through a link\n');
      expect(await guest.realpath('/links/relative-dir/file.txt')).toBe('/links/target dir/file.txt');
      expect(await guest.readlink('/junction')).toBe('/Users/Public');
      await expect(guest.stat('/junction/x')).rejects.toMatchObject({ code: 'guest/ENOENT' });
      expect(await guest.readlink('/far junction')).toBe('/D:/Data');
      await expect(guest.stat('/far junction')).rejects.toMatchObject({ code: 'guest/ENOENT' });
    });

    it('a damaged primary boot sector: the backup in the last sector is used and said so', {
      timeout: 600_000,
    }, async () => {
      await setup();
      const bytes = new Uint8Array(await readFile(fixture.image));
      bytes[0x0b] = 0x03; // bytes per sector 0x0203: not a power of two
      const damaged = (await NtfsFileSystem.open(new MemorySource(bytes))) as NtfsFileSystem;
      expect(damaged.info.details).toMatchObject({
        bootSector: 'backup',
        primaryBootSectorError: 'ntfs/bad-boot-sector',
      });
      expect({ ...damaged.info, details: undefined }).toEqual({ ...fs.info, details: undefined });
      expect(await probeFilesystem(new MemorySource(bytes))).toMatchObject({
        type: 'ntfs',
        uuid: fs.info.uuid,
        details: { bootSector: 'backup' },
      });
      expect((await damaged.readdir(await damaged.root())).length).toBe(
        (await fs.readdir(await fs.root())).length,
      );
      // Both copies damaged: the primary's error.
      const last = Math.floor(bytes.length / params.sectorSize) * params.sectorSize - params.sectorSize;
      bytes[last + 0x0b] = 0x03;
      bytes[bytes.length - 512 + 0x0b] = 0x03;
      await expect(NtfsFileSystem.open(new MemorySource(bytes))).rejects.toMatchObject({
        code: 'ntfs/bad-boot-sector',
      });
    });

    it('names differing only in case: exact case wins, any case finds one', {
      timeout: 600_000,
    }, async () => {
      await setup();
      const root = await fs.root();
      for (const name of ['Case.txt', 'case.txt', 'CASE.TXT']) {
        const n = await fs.lookup(root, name);
        expect(new TextDecoder().decode(await fs.read(n as never, 0, 100))).toBe(`${name.split('.')[0]}\n`);
      }
      const any = await fs.lookup(root, 'cAsE.TxT');
      expect(
        ['Case.txt', 'case.txt', 'CASE.TXT'].map(
          (n) => truth.entries.find((e) => e.path === `/${n}`)?.address.split('-')[0],
        ),
      ).toContain(any?.id);
      expect(await fs.lookup(root, 'README.TXT')).toMatchObject({ type: 'file' });
      expect(await fs.lookup(root, 'no such file')).toBeUndefined();
    });

    it('hard links share one node with nlink = 3', { timeout: 600_000 }, async () => {
      await setup();
      const root = await fs.root();
      const hard = await fs.lookup(root, 'hard');
      const a = await fs.lookup(hard as never, 'original.txt');
      const b = await fs.lookup(hard as never, 'second.txt');
      const c = await fs.lookup((await fs.lookup(root, 'deep')) as never, 'third.txt');
      expect(a?.id).toBe(b?.id);
      expect(a?.id).toBe(c?.id);
      expect(a?.nlink).toBe(3);
      expect(a?.id).toBe(truth.entries.find((e) => e.path === '/hard/second.txt')?.address.split('-')[0]);
    });

    it('a multi-level directory index: lookups of every name, readdir in collation order', {
      timeout: 600_000,
    }, async () => {
      await setup();
      const root = await fs.root();
      const many = await fs.lookup(root, 'many');
      const names = (await fs.readdir(many as never)).map((e) => e.name);
      expect(names).toHaveLength(params.manyFiles);
      expect(names).toEqual([...names].sort());
      for (const name of [names[0], names[names.length - 1], names[Math.floor(names.length / 2)]]) {
        const n = await fs.lookup(many as never, (name as string).toUpperCase());
        const i = Number((name as string).slice(0, 5));
        expect(new TextDecoder().decode(await fs.read(n as never, 0, 10))).toBe(`${i}\n`);
      }
    });

    it('sparse files read holes as zeros; reads past the end are short', { timeout: 600_000 }, async () => {
      await setup();
      const root = await fs.root();
      const sparse = await fs.lookup(root, 'sparse.bin');
      expect(sparse?.size).toBe(10 * 1024 * 1024);
      expect((await fs.read(sparse as never, 0, 4096)).every((b) => b === 0)).toBe(true);
      expect((await fs.read(sparse as never, 10 * 1024 * 1024 - 10, 100)).length).toBe(10);
      expect((await fs.read(sparse as never, 20 * 1024 * 1024, 100)).length).toBe(0);
      // Larger than the volume: holes are not read from the image.
      const huge = await fs.lookup(root, 'larger than the volume.bin');
      expect(huge?.size).toBe(160 * 1024 * 1024);
      const src = sources[sources.length - 1] as FileSource;
      const before = src.stats.bytesRead;
      const head = await fs.read(huge as never, 0, 100 * 1024 * 1024);
      expect(head.every((b) => b === 0)).toBe(true);
      expect(src.stats.bytesRead - before).toBeLessThan(1024 * 1024);
    });

    it('LZNT1-compressed and sparse-compressed files: the same attribute flags as istat', {
      timeout: 600_000,
    }, async () => {
      await setup();
      const comp = await fs.lookup(await fs.root(), 'compressed');
      const names = (await fs.readdir(comp as never)).map((e) => e.name);
      expect(names.sort()).toEqual(['mixed.bin', 'random.bin', 'small.txt', 'sparse.bin', 'text.txt']);
      let compressed = 0;
      for (const name of names) {
        const node = await fs.lookup(comp as never, name);
        const address = truth.entries.find((e) => e.path === `/compressed/${name}`)?.address as string;
        const istat = await run('istat', ['-f', 'ntfs', fixture.image, address.split('-')[0] as string]);
        const line = /Type: \$DATA \(128-\d+\)\s+Name: N\/A\s+(.*)/.exec(istat)?.[1] as string;
        const info = (await fs.streamsOf(node as never)).find((s) => s.name === '');
        expect(info?.compressed, name).toBe(/Compressed/.test(line));
        if (info?.compressed) compressed++;
      }
      // ntfs-3g compresses only with clusters of at most 4 KiB.
      expect(compressed > 0).toBe(params.clusterSize <= 4096);
    });

    it('WOF files (XPRESS 4K/8K/16K, LZX chunks made by wimlib) read decompressed, at any offset', {
      timeout: 600_000,
    }, async () => {
      await setup();
      const dir = await fs.lookup(await fs.root(), 'wof');
      for (const [path, expected] of Object.entries(fixture.wof)) {
        const node = await fs.lookup(dir as never, path.slice('/wof/'.length));
        expect(await fs.reparseTag(node as never)).toBe(0x80000017);
        expect(node).toMatchObject({ type: 'file', size: expected.size });
        const names = (await fs.streamsOf(node as never)).map((s) => s.name).sort();
        expect(names).toEqual(['', 'WofCompressedData']);
        // The unnamed stream as stored is a hole; read() is the decompressed file.
        expect((await fs.readStream(node as never, '', 0, 4096))?.every((b) => b === 0)).toBe(true);
        const whole = await fs.read(node as never, 0, expected.size);
        expect(sha256(whole)).toBe(expected.sha256);
        // Reads that straddle chunk boundaries agree with the whole.
        for (const [off, len] of [
          [4090, 20],
          [32760, 40000],
          [expected.size - 7, 100],
        ] as const) {
          expect(await fs.read(node as never, off, len)).toEqual(whole.subarray(off, off + len));
        }
      }
    });

    it('named streams are listed and read; read() returns the unnamed stream', {
      timeout: 600_000,
    }, async () => {
      await setup();
      const root = await fs.root();
      const file = await fs.lookup(root, 'downloaded.exe');
      const streams = await fs.streamsOf(file as never);
      const tsk = truth.streams.get('/downloaded.exe');
      expect(new Map(streams.filter((s) => s.name !== '').map((s) => [s.name, s.size]))).toEqual(tsk);
      const zone = await fs.readStream(file as never, 'Zone.Identifier', 0, 1000);
      expect(new TextDecoder().decode(zone)).toBe('[ZoneTransfer]\r\nZoneId=3\r\n');
      expect(await fs.readStream(file as never, 'nope', 0, 10)).toBeUndefined();
    });
  },
);

describe.skipIf(!haveTools).each(NTFS_STATE_CASES)('NTFS volume state: $name', ({ params }) => {
  it('reports dirty flag, $LogFile and hiberfil.sys as ntfsinfo and the image hold them', {
    timeout: 600_000,
  }, async () => {
    const fixture = await buildNtfsFixture(params);
    const fs = await openImage(fixture.image);
    const info = await run('ntfsinfo', ['-m', '-f', fixture.image]);
    const flags = Number(/Volume Flags: (0x[0-9a-f]+)/i.exec(info)?.[1]);
    expect(fs.info.details).toMatchObject({
      volumeFlags: flags,
      dirty: (flags & 1) !== 0,
      clusterSize: Number(/Cluster Size: (\d+)/.exec(info)?.[1]),
    });
    expect(
      (await probeFilesystem(new MemorySource(new Uint8Array(await readFile(fixture.image)))))?.label,
    ).toBe(params.label);
    // The root as ntfs-3g's ntfsls lists it (metafiles included), and a file as ntfscat reads it.
    const root = await fs.root();
    const ntfsls = (await run('ntfsls', ['-f', '-a', '-s', fixture.image]))
      .split('\n')
      .filter((n) => n !== '' && n !== '.' && n !== '..');
    expect((await fs.readdir(root)).map((e) => e.name).sort()).toEqual(ntfsls.sort());
    const readme = (await fs.lookup(root, 'readme.txt')) as FsNode;
    expect(new TextDecoder().decode(await fs.read(readme, 0, 1000))).toBe(
      await run('ntfscat', ['-f', fixture.image, 'readme.txt']),
    );
    if (params.dirty) {
      expect(flags & 1).toBe(1);
      expect(fs.info.details).toMatchObject({ dirty: true, needsRecovery: true });
    }
    if (params.hiberfil) {
      expect(fs.info.details).toMatchObject({
        hiberfil: { present: true, signature: 'hibr', hibernated: true, size: 65536 },
      });
      // The same four bytes as icat reads them (ntfs-3g refuses a read-write mount on them).
      const fls = await run('fls', ['-f', 'ntfs', fixture.image]);
      const inode = /(\d+-\d+-\d+):\thiberfil\.sys$/m.exec(fls)?.[1] as string;
      const head = (await run('icat', ['-f', 'ntfs', fixture.image, inode])).slice(0, 4);
      expect(head).toBe('hibr');
    }
  });
});
