/**
 * NTFS volumes made by Windows and by others, from the shared corpus (see
 * test/fixtures/corpus/ATTRIBUTION.md), compared whole with The Sleuth Kit.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTools, run, walkNodeFs } from '@imagecheck/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySource } from '../../../src/block/slice.js';
import type { ByteSource } from '../../../src/block/types.js';
import { openContainer } from '../../../src/container/index.js';
import { NtfsFileSystem } from '../../../src/fs/ntfs/index.js';
import { BUILTIN_FILESYSTEM_OPENERS } from '../../../src/fs/registry.js';
import { readLayout } from '../../../src/layout.js';
import { corpusBytes } from '../../helpers/corpus.js';
import { compareWithTsk, tskTruth } from './truth.js';

const TOOLS = ['fls', 'icat', 'tsk_recover', 'istat', 'xz'];
const haveTools = requireTools(...TOOLS);
const corpus = fileURLToPath(new URL('../../fixtures/corpus/', import.meta.url));
const tmp = mkdtemp(join(tmpdir(), 'ntfs-corpus-'));
afterAll(async () => rm(await tmp, { recursive: true, force: true }));

/** Decompresses a corpus image to a temp file (for TSK) and opens it from memory (for the reader). */
async function load(name: string): Promise<{ path: string; fs: NtfsFileSystem; bytes: Uint8Array }> {
  const bytes = corpusBytes(name);
  const path = join(await tmp, name.replace(/\.(gz|xz)$/, ''));
  await writeFile(path, bytes);
  const fs = await NtfsFileSystem.open(new MemorySource(bytes));
  if (fs === undefined) throw new Error(`${name} is not NTFS`);
  return { path, fs, bytes };
}

describe.skipIf(!haveTools)('NTFS corpus images against The Sleuth Kit', () => {
  it('util-linux ntfs.img (Windows, empty): label, serial, version, every metafile', async () => {
    const { path, fs } = await load('util-linux__ntfs.img.xz');
    // blkid: LABEL="Новый том" UUID="09CBB6DE30C87310".
    expect(fs.info).toMatchObject({ type: 'ntfs', uuid: '09CBB6DE30C87310', label: 'Новый том' });
    expect(fs.info.details).toMatchObject({ version: '3.1', clusterSize: 4096, dirty: false });
    compareWithTsk(await walkNodeFs(fs), await tskTruth(path), {});
  });

  it('dfir_ntfs ntfs3_attrlist.raw: a file with 100 names and a non-resident $ATTRIBUTE_LIST', async () => {
    const { path, fs } = await load('dfir_ntfs__ntfs3_attrlist.raw.gz');
    expect(fs.info.uuid).toBe('239378FD6F0C69C8');
    const istat = await run('istat', ['-f', 'ntfs', path, '27']);
    expect(istat).toMatch(/Type: \$ATTRIBUTE_LIST \(32-\d+\)\s+Name: N\/A\s+Non-Resident/);
    const links = Number(/^Links: (\d+)$/m.exec(istat)?.[1]);
    expect(links).toBe(100);
    const root = await fs.root();
    const names = (await fs.readdir(root)).filter((e) => e.id === '27').map((e) => e.name);
    expect(names).toHaveLength(links);
    const node = await fs.lookup(root, names[0] as string);
    expect(node).toMatchObject({ id: '27', type: 'file', size: 4, nlink: links });
    const modified = /\$STANDARD_INFORMATION[\s\S]*?File Modified:\t(\S+ \S+)/.exec(istat)?.[1] as string;
    expect(node?.mtimeMs).toBe(Date.parse(`${modified.slice(0, 23)}Z`.replace(' ', 'T')));
    expect(new TextDecoder().decode(await fs.read(node as never, 0, 100))).toBe('123\n');
    compareWithTsk(await walkNodeFs(fs), await tskTruth(path), {});
  });

  it('dissect.ntfs ntfs.bin (Windows 2022): a 1,000+-entry index, LZNT1-compressed Large.txt', async () => {
    const { path, fs } = await load('dissect.ntfs__ntfs.bin.gz');
    expect(fs.info).toMatchObject({ uuid: '9C60667F60665FCE', label: 'New Volume' });
    const truth = await tskTruth(path);
    const root = await fs.root();
    const large = await fs.lookup(root, 'large directory');
    const entries = await fs.readdir(large as never);
    expect(entries.length).toBe(truth.entries.filter((e) => e.path.startsWith('/Large Directory/')).length);
    expect(entries.length).toBeGreaterThan(1000);
    compareWithTsk(await walkNodeFs(fs), truth, {});
  });

  it.skipIf(!requireTools('ntfs-3g', 'fusermount3'))(
    'dissect.ntfs ntfs.bin: a clean $LogFile restart area, as ntfs-3g judges it when it mounts read-write',
    { timeout: 60_000 },
    async () => {
      const { path, fs } = await load('dissect.ntfs__ntfs.bin.gz');
      expect(fs.info.details).toMatchObject({
        logFile: { state: 'restart', clean: true, windowsCache: false },
        hiberfil: { present: false },
        dirty: false,
        needsRecovery: false,
      });
      // ntfs-3g refuses a read-write mount (falling back to read-only) when the log is unclean or
      // Windows kept metadata in its cache; on a copy it mounts read-write.
      const mnt = join(await tmp, 'mnt');
      await run('mkdir', ['-p', mnt]);
      await run('ntfs-3g', [path, mnt]);
      try {
        const line = (await run('grep', [` ${mnt} `, '/proc/mounts'])).trim();
        expect(line.split(' ')[3]?.split(',')[0]).toBe('rw');
      } finally {
        await run('fusermount3', ['-u', mnt]);
      }
    },
  );

  it('dissect.hypervisor dynamic.vhd (Windows): NTFS in an MBR partition of a VHD, found by the layout and opened by the registry', async () => {
    const vhd = join(await tmp, 'dynamic.vhd');
    await writeFile(vhd, corpusBytes('dissect.hypervisor__dynamic.vhd.gz'));
    const container = await openContainer(vhd);
    try {
      const { layout, sources } = await readLayout(container.source, {
        format: container.format,
        readableTypes: new Set(Object.keys(BUILTIN_FILESYSTEM_OPENERS)),
      });
      const ntfs = layout.filesystems.find((f) => f.type === 'ntfs');
      // blkid: TYPE="ntfs" LABEL="New Volume" UUID="0896723096721E7E", partition 1 at sector 128.
      expect(ntfs).toMatchObject({ uuid: '0896723096721E7E', label: 'New Volume', readable: true });
      const fs = (await BUILTIN_FILESYSTEM_OPENERS.ntfs?.(
        sources.get(ntfs?.id as string) as ByteSource,
      )) as NtfsFileSystem;
      expect(fs.info).toMatchObject({ type: 'ntfs', uuid: '0896723096721E7E', label: 'New Volume' });
      const start = (layout.disk.partitions[0]?.start ?? 0) / 512;
      expect(start).toBe(128);
      // TSK reads the VHD itself.
      compareWithTsk(await walkNodeFs(fs), await tskTruth(vhd, ['-i', 'vhd', '-o', String(start)]), {});
    } finally {
      await container.close?.();
    }
  });

  it.skipIf(!requireTools('qemu-img'))(
    'dfvfs vsstest.qcow2 (Windows, inside a compressed qcow2): the whole tree',
    { timeout: 120_000 },
    async () => {
      const qcow = join(corpus, 'dfvfs__vsstest.qcow2');
      const raw = join(await tmp, 'vsstest.raw');
      await run('qemu-img', ['convert', '-O', 'raw', qcow, raw]);
      const container = await openContainer(qcow);
      const fs = await NtfsFileSystem.open(container.source);
      expect(fs?.info).toMatchObject({ uuid: 'C45E30FD5E30EA36', label: 'vsstest' });
      compareWithTsk(await walkNodeFs(fs as NtfsFileSystem), await tskTruth(raw), {});
      // Windows gave two names 8.3 aliases: readdir hides them (the listing above matches fls), a
      // lookup by the alias finds the file, and nlink counts only the long name (istat's "Links",
      // the MFT record's count, includes the alias).
      const v = fs as NtfsFileSystem;
      const root = await v.root();
      for (const [long, id] of [
        ['another_file', '39'],
        ['System Volume Information', '36'],
      ] as const) {
        const istat = await run('istat', ['-f', 'ntfs', raw, id]);
        const names = [...istat.matchAll(/^Name: (.*)$/gm)].map((m) => m[1]);
        const alias = names.find((n) => n !== long) as string;
        expect(alias).toMatch(/~1$/);
        expect((await v.readdir(root)).map((e) => e.name)).not.toContain(alias);
        expect(await v.lookup(root, alias)).toMatchObject({ id, nlink: names.length - 1 });
        expect((await v.lookup(root, long))?.id).toBe(id);
      }
      await container.close?.();
    },
  );
});
