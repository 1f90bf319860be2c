import { copyFile, mkdir, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { isImagecheckError } from '@imagecheck/access';
import { buildContainerFixtures, requireTools, run, TOOLS } from '@imagecheck/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CHAIN_DEPTH, openContainer } from '../../src/index.js';
import { hashSource } from './compare.js';

/*
 * Hostile inputs: real qemu-img output, then one documented patch of a named on-disk field (a tool
 * will not write these). Each must end in a typed ImagecheckError, quickly; none may hang or throw
 * an untyped error.
 */

let fixtures: string;
let work: string;

async function copy(name: string): Promise<string> {
  const dest = join(work, `${Math.random().toString(36).slice(2)}-${name}`);
  await copyFile(join(fixtures, name), dest);
  return dest;
}

async function patch(path: string, offset: number, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'r+');
  await fh.write(bytes, 0, bytes.length, offset);
  await fh.close();
}

const be64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, false);
  return b;
};
const be32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, false);
  return b;
};
const le32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
};
const le64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
};

async function u64beAt(path: string, offset: number): Promise<bigint> {
  const b = await readFile(path);
  return new DataView(b.buffer, b.byteOffset).getBigUint64(offset, false);
}

/** Opens and reads the whole disk; returns the typed error it must end in. */
async function failure(
  path: string,
  options?: { allowedBackingDirs?: string[] },
): Promise<{ code: string; message: string; name: string }> {
  try {
    const c = await openContainer(path, options);
    try {
      await hashSource(c.source);
    } finally {
      await c.close();
    }
  } catch (err) {
    if (!isImagecheckError(err)) throw err;
    return err;
  }
  throw new Error(`${path} was read without error`);
}

describe.skipIf(!requireTools(...TOOLS))('hostile container inputs end in a typed error', () => {
  beforeAll(async () => {
    fixtures = (await buildContainerFixtures()).dir;
    work = await mkdtemp(join(tmpdir(), 'imagecheck-hostile-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it.each([
    'v3.qcow2',
    'zlib.qcow2',
    'extl2.qcow2',
    'monolithicSparse.vmdk',
    'streamOptimized.vmdk',
    'dynamic.vhd',
    'dynamic.vhdx',
    'dynamic.vdi',
    'static.vdi',
  ])('truncated %s (cut to 60%%)', async (name) => {
    const p = await copy(name);
    const size = (await readFile(p)).length;
    await truncate(p, Math.floor(size * 0.6));
    const err = await failure(p);
    expect(err.code).toMatch(/^(qcow2|vmdk|vhd|vhdx|vdi|block)\//);
  });

  it.each([
    'v3.qcow2',
    'zlib.qcow2',
    'monolithicSparse.vmdk',
    'streamOptimized.vmdk',
    'dynamic.vhd',
    'dynamic.vhdx',
    'dynamic.vdi',
  ])('flipped metadata bytes in %s: typed error or a readable disk, never anything else', async (name) => {
    const original = await readFile(join(fixtures, name));
    let x = name.length * 2654435761;
    for (let round = 0; round < 12; round++) {
      const bytes = Buffer.from(original);
      for (let i = 0; i < 4; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        // Metadata lives in the first 64 KiB (qcow2/VMDK/VDI headers and tables) or the VHD footer copy.
        const at = x % Math.min(65536, bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ (1 << (x >>> 29));
      }
      const p = join(work, `flip-${round}-${name}`);
      await writeFile(p, bytes);
      try {
        const c = await openContainer(p);
        try {
          await c.source.read(0, Math.min(c.source.size, 4 * 1024 * 1024));
        } finally {
          await c.close();
        }
      } catch (err) {
        if (!isImagecheckError(err)) throw err;
      }
    }
  });

  describe('qcow2', () => {
    it('an L1 entry pointing at the L1 table itself (self-referencing L2)', async () => {
      const p = await copy('v3.qcow2');
      const l1 = Number(await u64beAt(p, 40)); // header field l1_table_offset
      await patch(p, l1, be64(0x8000_0000_0000_0000n | BigInt(l1))); // L1[0]: COPIED, L2 = the L1 table
      expect((await failure(p)).code).toBe('qcow2/bad-l2-offset');
    });

    it('an L1 entry pointing at the refcount table', async () => {
      const p = await copy('v3.qcow2');
      const l1 = Number(await u64beAt(p, 40));
      const refcounts = await u64beAt(p, 48); // refcount_table_offset
      await patch(p, l1, be64(refcounts));
      expect((await failure(p)).code).toBe('qcow2/bad-l2-offset');
    });

    it('an L1 entry pointing past the end of the file', async () => {
      const p = await copy('v3.qcow2');
      const l1 = Number(await u64beAt(p, 40));
      await patch(p, l1, be64(0x0000_0100_0000_0000n));
      expect((await failure(p)).code).toBe('qcow2/bad-l2-offset');
    });

    it('an L2 entry pointing back at its own L2 table is read, not followed (no cycle exists)', async () => {
      // qcow2 has no chains inside a file: a cluster that aliases metadata reads that metadata.
      const p = await copy('v3.qcow2');
      const l1 = Number(await u64beAt(p, 40));
      const l2 = Number((await u64beAt(p, l1)) & 0x00ff_ffff_ffff_fe00n);
      await patch(p, l2, be64(0x8000_0000_0000_0000n | BigInt(l2)));
      const c = await openContainer(p);
      const first = await c.source.read(0, 8);
      expect(first).toEqual(be64(0x8000_0000_0000_0000n | BigInt(l2)));
      await c.close();
    });

    it('the L1 table past the end of the file', async () => {
      const p = await copy('v3.qcow2');
      await patch(p, 40, be64(0x7000_0000_0000n)); // l1_table_offset
      expect((await failure(p)).code).toBe('qcow2/bad-l1-offset');
    });

    it('a huge declared virtual size', async () => {
      const p = await copy('v3.qcow2');
      await patch(p, 24, be64(1n << 62n)); // size
      expect((await failure(p)).code).toBe('qcow2/bad-size');
    });

    it('a huge L1 table size is refused before allocation', async () => {
      const p = await copy('v3.qcow2');
      await patch(p, 36, be32(0xffff_ffff)); // l1_size
      expect((await failure(p)).code).toBe('qcow2/bad-l1-size');
    });

    it('a compressed cluster that inflates past the cluster size', async () => {
      const p = await copy('zlib.qcow2');
      const l1 = Number(await u64beAt(p, 40));
      const l2 = Number((await u64beAt(p, l1)) & 0x00ff_ffff_ffff_fe00n);
      const table = await readFile(p);
      const view = new DataView(table.buffer, table.byteOffset);
      let host = -1;
      for (let i = 0; i < 8192 && host < 0; i++) {
        const e = view.getBigUint64(l2 + i * 8, false);
        // bit 62: compressed; with 64 KiB clusters the host offset is bits 0..53.
        if ((e & (1n << 62n)) !== 0n) host = Number(e & ((1n << 54n) - 1n));
      }
      expect(host).toBeGreaterThan(0);
      // 128 KiB of zeros deflates to a few hundred bytes: it fits where the cluster's data was.
      await patch(p, host, deflateRawSync(new Uint8Array(128 * 1024)));
      expect((await failure(p)).code).toBe('qcow2/bad-compressed-cluster');
    });

    it.each([
      ['/etc/passwd', '/etc/passwd'],
      ['../../x', join(work ?? '', '../../x')],
    ])('a backing file named %s is refused, naming the path and the option', async (name) => {
      const p = await copy('chain-top.qcow2');
      const offset = Number(await u64beAt(p, 8)); // backing_file_offset
      await patch(p, offset, new TextEncoder().encode(name));
      await patch(p, 16, be32(name.length)); // backing_file_size
      const err = await failure(p);
      expect(err.code).toBe('container/link-outside-allowed');
      expect(err.name).toBe('UsageError');
      expect(err.message).toContain(name.startsWith('/') ? name : '/x');
      expect(err.message).toContain('allowedBackingDirs');
      expect(err.message).toContain('--allow-backing-dir');
    });

    it('a backing file in another folder opens only when that folder is allowed', async () => {
      const other = await mkdtemp(join(tmpdir(), 'imagecheck-allowed-'));
      try {
        await copyFile(join(fixtures, 'chain-base.qcow2'), join(other, 'base.qcow2'));
        const top = join(work, 'over-allowed.qcow2');
        await run('qemu-img', ['create', '-f', 'qcow2', '-b', join(other, 'base.qcow2'), '-F', 'qcow2', top]);
        expect((await failure(top)).code).toBe('container/link-outside-allowed');
        const c = await openContainer(top, { allowedBackingDirs: [other] });
        const base = await openContainer(join(fixtures, 'chain-base.qcow2'));
        expect(await hashSource(c.source)).toBe(await hashSource(base.source));
        await c.close();
        await base.close();
      } finally {
        await rm(other, { recursive: true, force: true });
      }
    });

    it(`a backing chain longer than ${MAX_CHAIN_DEPTH} levels`, async () => {
      const dir = join(work, 'long-chain');
      await mkdir(dir);
      await run('qemu-img', ['create', '-f', 'qcow2', 'c0.qcow2', '1M'], { cwd: dir });
      for (let i = 1; i <= MAX_CHAIN_DEPTH; i++) {
        await run(
          'qemu-img',
          ['create', '-f', 'qcow2', '-u', '-b', `c${i - 1}.qcow2`, '-F', 'qcow2', `c${i}.qcow2`, '1M'],
          { cwd: dir },
        );
      }
      expect((await failure(join(dir, `c${MAX_CHAIN_DEPTH}.qcow2`))).code).toBe('container/chain-too-long');
    });

    it('a backing cycle (a -> b -> a)', async () => {
      const dir = join(work, 'cycle');
      await mkdir(dir);
      await run(
        'qemu-img',
        ['create', '-f', 'qcow2', '-u', '-b', 'b.qcow2', '-F', 'qcow2', 'a.qcow2', '1M'],
        { cwd: dir },
      );
      await run(
        'qemu-img',
        ['create', '-f', 'qcow2', '-u', '-b', 'a.qcow2', '-F', 'qcow2', 'b.qcow2', '1M'],
        { cwd: dir },
      );
      expect((await failure(join(dir, 'a.qcow2'))).code).toBe('container/chain-cycle');
    });

    it('an external data file is refused clearly', async () => {
      const dir = join(work, 'datafile');
      await mkdir(dir);
      await run('qemu-img', ['create', '-f', 'qcow2', '-o', 'data_file=data.raw', 'd.qcow2', '1M'], {
        cwd: dir,
      });
      const err = await failure(join(dir, 'd.qcow2'));
      expect(err.code).toBe('qcow2/external-data-file');
      expect(err.message).toContain('data.raw');
    });

    it('encryption is reported as unsupported', async () => {
      const dir = join(work, 'luks');
      await mkdir(dir);
      await run(
        'qemu-img',
        [
          'create',
          '-f',
          'qcow2',
          '--object',
          'secret,id=sec0,data=hunter2',
          '-o',
          'encrypt.format=luks,encrypt.key-secret=sec0',
          'e.qcow2',
          '1M',
        ],
        { cwd: dir },
      );
      const err = await failure(join(dir, 'e.qcow2'));
      expect(err.code).toBe('qcow2/encrypted');
      expect(err.name).toBe('UnsupportedError');
    });
  });

  describe('vmdk', () => {
    it('an extent path escaping the folder is refused', async () => {
      const dir = join(work, 'vmdk-escape');
      await mkdir(dir);
      const text = (await readFile(join(fixtures, 'monolithicFlat.vmdk'), 'latin1')).replace(
        '"monolithicFlat-flat.vmdk"',
        '"../../../etc/passwd"',
      );
      await writeFile(join(dir, 'd.vmdk'), text, 'latin1');
      const err = await failure(join(dir, 'd.vmdk'));
      expect(err.code).toBe('container/link-outside-allowed');
      expect(err.message).toContain('/etc/passwd');
    });

    it('a huge capacity in the sparse header', async () => {
      const p = await copy('monolithicSparse.vmdk');
      await patch(p, 12, le64(1n << 60n)); // capacity (sectors)
      expect((await failure(p)).code).toBe('vmdk/bad-capacity');
    });

    it('a grain directory past the end of the file', async () => {
      const p = await copy('monolithicSparse.vmdk');
      await patch(p, 56, le64(1n << 30n)); // gdOffset (sectors)
      expect((await failure(p)).code).toBe('vmdk/bad-gd-offset');
    });

    it('a grain table entry pointing into the header (self-referencing)', async () => {
      const p = await copy('monolithicSparse.vmdk');
      const b = await readFile(p);
      const v = new DataView(b.buffer, b.byteOffset);
      const gd = Number(v.getBigUint64(56, true)) * 512;
      const gt = v.getUint32(gd, true) * 512;
      await patch(p, gt + 16 * 4, le32(2)); // grain 16 at sector 2: inside the header/descriptor
      expect((await failure(p)).code).toBe('vmdk/bad-grain-offset');
    });
  });

  describe('vhd, vhdx, vdi', () => {
    it('a VHD BAT entry pointing at the BAT itself', async () => {
      const p = await copy('dynamic.vhd');
      const b = await readFile(p);
      const v = new DataView(b.buffer, b.byteOffset);
      const header = Number(v.getBigUint64(16, false)); // footer copy at 0: data offset
      const bat = Number(v.getBigUint64(header + 16, false)); // dynamic header: table offset
      await patch(p, bat, be32(bat / 512)); // BAT[0] -> the BAT's own sector
      expect((await failure(p)).code).toBe('vhd/bad-block-offset');
    });

    it('a VHDX BAT entry pointing into the header area', async () => {
      const p = await copy('dynamic-1m.vhdx');
      const b = await readFile(p);
      const v = new DataView(b.buffer, b.byteOffset);
      // Region table at 192 KiB; find the BAT region (GUID 2DC27766-...) and set entry 0 to
      // FULLY_PRESENT at file offset 0 MiB.
      let bat = -1;
      for (let i = 0; i < v.getUint32(192 * 1024 + 8, true); i++) {
        const o = 192 * 1024 + 16 + i * 32;
        if (v.getUint32(o, true) === 0x2dc27766) bat = Number(v.getBigUint64(o + 16, true));
      }
      expect(bat).toBeGreaterThan(0);
      await patch(p, bat, le64(6n));
      expect((await failure(p)).code).toBe('vhdx/bad-block-offset');
    });

    it('a VDI block count far beyond the file', async () => {
      const p = await copy('dynamic.vdi');
      await patch(p, 0x180, le32(0xffff_fff0)); // blocks in image
      expect((await failure(p)).code).toBe('vdi/bad-block-count');
    });

    it('a VDI block map entry beyond the image', async () => {
      const p = await copy('dynamic.vdi');
      const b = await readFile(p);
      const map = new DataView(b.buffer, b.byteOffset).getUint32(0x154, true);
      await patch(p, map, le32(0x7fff_0000));
      expect((await failure(p)).code).toBe('vdi/bad-block-map');
    });
  });
});
