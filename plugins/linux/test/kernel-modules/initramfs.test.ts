import { readFileSync } from 'node:fs';
import { isImagecheckError } from '@imagecheck/access';
import { requireTools } from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import {
  CpioReader,
  moduleName,
  type RangeInput,
  readInitramfsModules,
  scanInitramfs,
} from '../../src/kernel-modules/initramfs/index.js';
import { buildInitramfs, buildMkinitramfs, type Compression, canMkinitramfs, toolsFor } from './fixtures.js';

const corpus = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../fixtures/corpus/${name}`, import.meta.url)));

/** A RangeInput over bytes that counts what is read, as the guest file would be read. */
function memInput(bytes: Uint8Array): RangeInput & { bytesRead: number; reads: number } {
  const input = {
    size: bytes.length,
    bytesRead: 0,
    reads: 0,
    read(offset: number, length: number): Promise<Uint8Array> {
      const b = bytes.subarray(offset, Math.min(bytes.length, offset + length));
      input.bytesRead += b.length;
      input.reads++;
      return Promise.resolve(b);
    },
  };
  return input;
}

async function entryNames(bytes: Uint8Array): Promise<string[][]> {
  const names: string[][] = [];
  await scanInitramfs(memInput(bytes), {
    onEntry: (e, seg) => {
      while (names.length <= seg) names.push([]);
      names[seg]?.push(e.name);
    },
  });
  return names;
}

/** The entries `unmkinitramfs -v` listed for a corpus file (ground truth recorded with the corpus). */
function truthListing(name: string): string[] {
  const text = readFileSync(new URL(`../fixtures/corpus/${name}.truth.txt`, import.meta.url), 'utf8');
  const start = text.indexOf('### unmkinitramfs -v');
  const end = text.indexOf('###', start + 3);
  return text
    .slice(start, end)
    .split('\n')
    .slice(1)
    .filter((l) => l.startsWith('  ') && !l.includes('cpio:'))
    .map((l) => (l.trim() === '.' ? '' : l.trim()));
}

async function expectTyped(p: Promise<unknown>, code: string | RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isImagecheckError(err), `expected a typed error, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toMatch(code);
}

describe('initramfs reader on the corpus (3cpio and dfvfs samples)', () => {
  it.each([
    ['3cpio__single.cpio', ['cpio']],
    ['3cpio__shell.cpio', ['cpio']],
    ['3cpio__gzip.cpio', ['cpio', 'gzip']],
    ['3cpio__zstd.cpio', ['cpio', 'zstd']],
    ['3cpio__lz4.cpio', ['cpio', 'lz4-legacy']],
    ['3cpio__bigdata.cpio', ['cpio', 'zstd']],
  ])('%s: segments %j, the entries unmkinitramfs lists', async (name, formats) => {
    const bytes = corpus(name);
    const scan = await scanInitramfs(memInput(bytes));
    expect(scan.segments.map((s) => s.format)).toEqual(formats);
    expect((await entryNames(bytes)).flat()).toEqual(truthListing(name));
  });

  it('bigdata: skips a 102,500,000-byte file without buffering it, reading the 4.8 KB file once', async () => {
    const input = memInput(corpus('3cpio__bigdata.cpio'));
    const scan = await scanInitramfs(input);
    // Segments @0 and @512 are two archives of one uncompressed run; zstd at 1536 (ground truth).
    expect(scan.segments.map((s) => [s.offset, s.format, s.archives])).toEqual([
      [0, 'cpio', 2],
      [1536, 'zstd', 1],
    ]);
    expect(scan.decompressedBytes).toBeGreaterThan(102_500_000);
    expect(input.bytesRead).toBeLessThan(3 * 4830);
  });

  it('a plain newc cpio (dfvfs syslog.newc)', async () => {
    const names = await entryNames(corpus('dfvfs__syslog.newc.cpio'));
    expect(names).toEqual([['syslog']]);
  });

  it('path traversal: names are recorded, never resolved through the archive symlink', async () => {
    const entries: { name: string; mode: number }[] = [];
    await scanInitramfs(memInput(corpus('3cpio__path-traversal.cpio')), {
      onEntry: (e) => entries.push({ name: e.name, mode: e.mode & 0o170000 }),
    });
    expect(entries).toEqual([
      { name: '', mode: 0o040000 },
      { name: 'tmp', mode: 0o120000 },
      { name: 'tmp/trav.txt', mode: 0o100000 },
    ]);
  });

  it('3cpio__xz.cpio: the xz segment is read (xz-embedded in WebAssembly)', async () => {
    const bytes = corpus('3cpio__xz.cpio');
    const scan = await scanInitramfs(memInput(bytes));
    expect(scan.segments.map((s) => s.format)).toEqual(['cpio', 'xz']);
    expect((await entryNames(bytes)).flat()).toEqual(truthListing('3cpio__gzip.cpio'));
  });

  it.each([
    ['3cpio__lzma.cpio', 'lzma'],
    ['3cpio__lzop.cpio', 'lzop'],
  ])('%s: a clear UnsupportedError naming %s', async (name, format) => {
    await expectTyped(scanInitramfs(memInput(corpus(name))), 'initramfs/unsupported-compression');
    const err = await scanInitramfs(memInput(corpus(name))).catch((e: unknown) => e);
    expect((err as { name: string; data: { format: string; offset: number } }).name).toBe('UnsupportedError');
    expect((err as { data: { format: string; offset: number } }).data).toEqual({ format, offset: 512 });
  });
});

const DEBIAN_TREE = {
  'usr/lib/modules/6.1.0-13-amd64/kernel/drivers/block/virtio_blk.ko': 'ELF placeholder',
  'usr/lib/modules/6.1.0-13-amd64/kernel/drivers/virtio/virtio_pci.ko': 'ELF placeholder',
  'usr/lib/modules/6.1.0-13-amd64/kernel/drivers/nvme/host/nvme-core.ko': 'ELF placeholder',
  'usr/lib/modules/6.1.0-13-amd64/modules.builtin':
    'kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_ring.ko\n',
  'usr/lib/modules/6.1.0-13-amd64/modules.order':
    'kernel/drivers/block/virtio_blk.ko\nkernel/drivers/virtio/virtio_pci.ko\n',
  'usr/bin/busybox': 'x'.repeat(10_000),
  init: '#!/bin/sh\n',
};

describe.each(['none', 'gzip', 'zstd', 'lz4', 'xz', 'bzip2', 'lzma'] as Compression[])(
  'an early microcode cpio + a %s main archive made by cpio and the real compressor',
  (compression) => {
    const supported = ['none', 'gzip', 'zstd', 'lz4', 'xz', 'bzip2'].includes(compression);
    it.skipIf(!requireTools(...toolsFor(compression)))(
      supported ? 'lists modules, modules.builtin and modules.order' : 'UnsupportedError',
      async () => {
        const img = await buildInitramfs({ files: DEBIAN_TREE, compression, earlyMicrocode: true });
        if (!supported) {
          await expectTyped(readInitramfsModules(memInput(img)), 'initramfs/unsupported-compression');
          return;
        }
        const r = await readInitramfsModules(memInput(img));
        expect(r.segments[0]?.format).toBe('cpio');
        if (compression !== 'none') {
          expect(r.segments.map((s) => s.format)).toEqual([
            'cpio',
            compression === 'lz4' ? 'lz4-legacy' : compression,
          ]);
        }
        expect(r.modules).toEqual(['nvme_core', 'virtio_blk', 'virtio_pci']);
        expect(r.modulePaths.virtio_blk).toBe(
          'usr/lib/modules/6.1.0-13-amd64/kernel/drivers/block/virtio_blk.ko',
        );
        expect(r.kernelVersions).toEqual(['6.1.0-13-amd64']);
        expect(r.builtin).toEqual(['virtio', 'virtio_ring']);
        expect(r.order).toEqual(['virtio_blk', 'virtio_pci']);
        expect(r.warnings).toEqual([]);
      },
    );
  },
);

describe.skipIf(!requireTools('cpio', 'gzip', 'zstd', 'find', 'sh'))(
  'module file names of every distribution',
  () => {
    it('.ko, .ko.xz (RHEL), .ko.zst (openSUSE, Ubuntu 24.04), .ko.gz (Alpine); dashes fold to underscores', async () => {
      const img = await buildInitramfs({
        compression: 'gzip',
        files: {
          'lib/modules/5.14.0-362.el9.x86_64/kernel/drivers/block/virtio_blk.ko.xz': 'x',
          'lib/modules/6.4.0-150600.23-default/kernel/drivers/nvme/host/nvme-core.ko.zst': 'x',
          'lib/modules/6.6.30-0-virt/kernel/drivers/net/virtio_net.ko.gz': 'x',
          'lib/modules/6.1.0-13-amd64/kernel/drivers/scsi/virtio_scsi.ko': 'x',
          'lib/modules/6.1.0-13-amd64/kernel/drivers/scsi/virtio_scsi.ko.sig': 'not a module',
        },
      });
      const r = await readInitramfsModules(memInput(img));
      expect(r.modules).toEqual(['nvme_core', 'virtio_blk', 'virtio_net', 'virtio_scsi']);
      expect(r.kernelVersions).toEqual([
        '5.14.0-362.el9.x86_64',
        '6.1.0-13-amd64',
        '6.4.0-150600.23-default',
        '6.6.30-0-virt',
      ]);
      expect(moduleName('kernel/drivers/nvme/host/nvme-core.ko.zst')).toBe('nvme_core');
    });

    it('two compressed segments in a row (gzip then zstd), with NUL padding between them', async () => {
      const a = await buildInitramfs({ compression: 'gzip', files: { 'a/x.ko': '1' } });
      const b = await buildInitramfs({ compression: 'zstd', files: { 'b/y.ko': '2' } });
      const img = new Uint8Array([...a, 0, 0, 0, 0, 0, 0, 0, 0, ...b]);
      const r = await readInitramfsModules(memInput(img));
      expect(r.segments.map((s) => [s.offset, s.format])).toEqual([
        [0, 'gzip'],
        [a.length + 8, 'zstd'],
      ]);
      expect(r.modules).toEqual(['x', 'y']);
    });
  },
);

describe.skipIf(!canMkinitramfs())(
  "real initramfs-tools images of this machine's kernel (mkinitramfs)",
  () => {
    // mkinitramfs takes a minute or two the first time; the image is cached afterwards.
    it('MODULES=most carries virtio_blk, virtio_pci, virtio_scsi, virtio_net and their dependencies', {
      timeout: 600_000,
    }, async () => {
      const { version, path } = await buildMkinitramfs('most');
      const input = memInput(new Uint8Array(readFileSync(path)));
      const r = await readInitramfsModules(input);
      expect(r.segments.at(-1)?.format).toBe('zstd');
      expect(r.kernelVersions).toContain(version);
      for (const m of ['virtio_blk', 'virtio_pci', 'virtio_scsi', 'virtio_net', 'virtio', 'virtio_ring']) {
        if (!r.builtin?.includes(m)) expect(r.modules).toContain(m);
      }
      expect(r.builtin?.length).toBeGreaterThan(10);
      expect(r.entries).toBeGreaterThan(300);
      // Read once, in ranges: every byte of the file, no more.
      expect(input.bytesRead).toBe(input.size);
    });

    it('MODULES=list with an empty list leaves virtio_blk out', { timeout: 600_000 }, async () => {
      const { path } = await buildMkinitramfs('none');
      const r = await readInitramfsModules(memInput(new Uint8Array(readFileSync(path))));
      expect(r.modules).not.toContain('virtio_blk');
      expect(r.modules).not.toContain('virtio_pci');
    });
  },
);

/** A newc header for `name` with `size` bytes of data (fields as GNU cpio writes them). */
function header(name: string, size: number, overrides: { namesize?: string; mode?: string } = {}): string {
  const f = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');
  return `070701${f(1)}${overrides.mode ?? f(0o100644)}${f(0)}${f(0)}${f(1)}${f(0)}${f(size)}${f(0)}${f(0)}${f(0)}${f(0)}${overrides.namesize ?? f(name.length + 1)}${f(0)}`;
}

describe('hostile and damaged input: a typed error or a bounded result, quickly', () => {
  const gzipCorpus = corpus('3cpio__gzip.cpio');

  it.each([100, 300, 400, 600, 700])('truncated at %i bytes', async (n) => {
    await expectTyped(
      scanInitramfs(memInput(gzipCorpus.subarray(0, n))),
      /^initramfs\/(truncated|corrupt-stream)$/,
    );
  });

  it('a non-hexadecimal header field', async () => {
    const b = new Uint8Array(gzipCorpus);
    b[60] = 0x7a; // inside c_filesize of the first header
    await expectTyped(scanInitramfs(memInput(b)), 'initramfs/bad-cpio-header');
  });

  it('a namesize of 4 GiB', async () => {
    const b = new TextEncoder().encode(`${header('x', 0, { namesize: 'FFFFFFFF' })}x\0`);
    await expectTyped(scanInitramfs(memInput(b)), 'initramfs/bad-cpio-namesize');
  });

  it('a name without its NUL terminator', async () => {
    const b = new TextEncoder().encode(`${header('abc', 0)}abcd\0\0\0`);
    await expectTyped(scanInitramfs(memInput(b)), 'initramfs/bad-cpio-name');
  });

  it('a file size running past the end of the file', async () => {
    const b = new TextEncoder().encode(`${header('big', 1_000_000)}big\0data`);
    await expectTyped(scanInitramfs(memInput(b)), 'initramfs/truncated');
  });

  it('the old ASCII (odc) cpio format, which the kernel does not read', async () => {
    const b = new TextEncoder().encode(`070707${'0'.repeat(200)}`);
    await expectTyped(scanInitramfs(memInput(b)), 'initramfs/cpio-odc');
  });

  it('junk that is no initramfs', async () => {
    await expectTyped(
      scanInitramfs(memInput(new TextEncoder().encode('hello world, not an initramfs'))),
      'initramfs/bad-magic',
    );
    await expectTyped(scanInitramfs(memInput(new Uint8Array(4096))), 'initramfs/empty');
  });

  it('a flipped byte inside the gzip stream', async () => {
    const b = new Uint8Array(gzipCorpus);
    b[560] = (b[560] as number) ^ 0xff;
    await expectTyped(scanInitramfs(memInput(b)), /^initramfs\//);
  });

  it('a flipped byte inside the lz4 stream, and a block size over the format bound', async () => {
    const lz4 = corpus('3cpio__lz4.cpio');
    for (let at = 520; at < lz4.length; at += 17) {
      const b = new Uint8Array(lz4);
      b[at] = (b[at] as number) ^ 0x5a;
      const r = await scanInitramfs(memInput(b)).then(
        (s) => s,
        (e: unknown) => e,
      );
      if (!isImagecheckError(r)) expect((r as { segments: unknown[] }).segments.length).toBeGreaterThan(0);
    }
    const big = new Uint8Array(lz4);
    big.set([0xff, 0xff, 0xff, 0x7f], 516);
    await expectTyped(scanInitramfs(memInput(big)), 'initramfs/lz4-bad-block-size');
  });

  it('a flipped byte inside the xz stream (its CRC32 check catches it)', async () => {
    const b = new Uint8Array(corpus('3cpio__xz.cpio'));
    b[600] = (b[600] as number) ^ 0xff;
    await expectTyped(scanInitramfs(memInput(b)), /^initramfs\//);
  });

  it('a flipped byte inside the bzip2 stream (its block CRC catches it)', async () => {
    const b = new Uint8Array(corpus('3cpio__bzip2.cpio'));
    b[600] = (b[600] as number) ^ 0xff;
    await expectTyped(scanInitramfs(memInput(b)), /^initramfs\//);
  });

  it('a decompression bomb stops at the decompressed-size cap', async () => {
    // bigdata.cpio expands 4.8 KB into 102.5 MB; with a 16 MiB cap it must stop early.
    await expectTyped(
      scanInitramfs(memInput(corpus('3cpio__bigdata.cpio')), { maxDecompressedBytes: 16 * 1024 * 1024 }),
      'initramfs/decompressed-too-large',
    );
  });

  it('junk after the last segment is reported as a warning and leaves the archives read', async () => {
    const b = new Uint8Array([
      ...corpus('3cpio__zstd.cpio'),
      0,
      0,
      0,
      0,
      ...new TextEncoder().encode('JUNK'),
    ]);
    const r = await scanInitramfs(memInput(b));
    expect(r.segments.map((s) => s.format)).toEqual(['cpio', 'zstd']);
    expect(r.warnings.join()).toMatch(/unrecognised data at offset/);
  });

  it('the cpio reader takes its input in any chunking', () => {
    const bytes = corpus('3cpio__shell.cpio');
    for (const step of [1, 3, 7, 110, 111, 512]) {
      const names: string[] = [];
      const r = new CpioReader({ onEntry: (e) => names.push(e.name) });
      for (let i = 0; i < bytes.length; i += step) r.push(bytes.subarray(i, i + step));
      expect(names).toEqual(['', 'usr', 'usr/bin', 'usr/bin/ash', 'usr/bin/sh']);
      expect(r.atBoundary).toBe(true);
    }
  });
});
