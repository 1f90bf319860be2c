import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { isImagecheckError } from '@imagecheck/access';
import { hasZstd } from '@imagecheck/binary';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContainer } from '../../src/index.js';
import { hashSource } from './compare.js';

/*
 * Real images from the shared corpus (see test/fixtures/corpus/ATTRIBUTION.md). Expected sizes and
 * sha256 of the virtual disk are the independently recorded ones (qemu-img convert, corpus
 * ground-truth/images/*.truth.txt).
 */
const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/corpus');

let work: string;
async function materialise(rel: string): Promise<string> {
  const src = join(CORPUS, rel);
  const name = basename(rel).replace(/\.gz$/, '');
  const dest = join(work, rel.includes('/') ? dirname(rel) : '', name);
  const bytes = await readFile(src);
  await writeFile(dest, rel.endsWith('.gz') ? gunzipSync(bytes) : bytes);
  return dest;
}

const CASES: { file: string; format: string; size: number; sha256: string; zstd?: boolean }[] = [
  {
    file: 'dfvfs__ext2.qcow2',
    format: 'qcow2',
    size: 4194304,
    sha256: 'a6c2f0e39afe6c6ab432ca5465349fcefe8dc944398e97b2d957d3f89dbb5d80',
  },
  {
    file: 'dfvfs__ext2.vmdk',
    format: 'vmdk',
    size: 4194304,
    sha256: 'a6c2f0e39afe6c6ab432ca5465349fcefe8dc944398e97b2d957d3f89dbb5d80',
  },
  {
    file: 'dfvfs__ext2.vhd',
    format: 'vhd',
    size: 4212736,
    sha256: '870be7ae16c1fa8faab05c6eb9205dc9a7ae35c5f552c5cf8a267c0bc6a5cb99',
  },
  {
    file: 'dfvfs__vsstest.qcow2',
    format: 'qcow2',
    size: 1073741824,
    sha256: '5cba558cfac0916cae697d2231dc1e17874aa262f2890f5236fb9c90b9610d0a',
  },
  {
    file: 'dissect.hypervisor__basic.qcow2.gz',
    format: 'qcow2',
    size: 536870912,
    sha256: '3c86a52ad19ebbe34acffb812d276817ddca56522eb72de2b984d70ffb20582f',
  },
  {
    file: 'dissect.hypervisor__basic-zstd.qcow2.gz',
    format: 'qcow2',
    size: 536870912,
    sha256: '3c86a52ad19ebbe34acffb812d276817ddca56522eb72de2b984d70ffb20582f',
    zstd: true,
  },
  {
    file: 'dissect.hypervisor__backing-chain/backing-chain-1.qcow2.gz',
    format: 'qcow2',
    size: 536870912,
    sha256: '186334af67c1acb54b08ded0b6a419571000755d4c810c8b768a30281e2ab074',
  },
  {
    file: 'dissect.hypervisor__backing-chain/backing-chain-2.qcow2.gz',
    format: 'qcow2',
    size: 536870912,
    sha256: '8e2e850f2a31828f6f053f70f1fbfa71a42ce0571c6d8cd2a7ca0e21e1db8341',
  },
  {
    file: 'dissect.hypervisor__backing-chain/backing-chain-3.qcow2.gz',
    format: 'qcow2',
    size: 536870912,
    sha256: '4a57a3a5c273c7c1144743ecafc7b23181f6e23c8abad104493a63a3599bd276',
  },
  {
    file: 'dissect.hypervisor__snapshot.qcow2.gz',
    format: 'qcow2',
    size: 536870912,
    sha256: '9acca8e8c22201155389f65abbf6bc9723edc7384ead80503839f49dcc56d767',
  },
  {
    file: 'dissect.hypervisor__dynamic.vhd.gz',
    format: 'vhd',
    size: 10485760,
    sha256: 'ecff2ef6615a3cddc6a6885f1c6d9cf13a232697e1dc6575f2c2f01f57247784',
  },
  {
    file: 'dissect.hypervisor__fixed.vhd.gz',
    format: 'vhd',
    size: 10485760,
    sha256: '459325ab1fcd1d5ec9854cba790ee26378317cda177ffc1072008a1df88e6463',
  },
  {
    file: 'dissect.hypervisor__dynamic.vhdx.gz',
    format: 'vhdx',
    size: 10485760,
    sha256: '8e2b5e9265d694b42b81819e3bff29770eff4ed0f4f9f311693ff3dbdc93efac',
  },
  {
    file: 'dissect.hypervisor__fixed.vhdx.gz',
    format: 'vhdx',
    size: 10485760,
    sha256: 'bc0be4623b15aa84216fb31ba24e3b621ec7f1c72d198c990ac0eced222d9f62',
  },
  {
    file: 'DiscUtils__vhdx-log-replay.vhdx.gz',
    format: 'vhdx',
    size: 1073741824,
    sha256: '3ba3b309425b7ff5e8e0199edceed95226250f880c53b24e8eae93865f3fad5e',
  },
  {
    file: 'go-vmdk-parser__vmdk-streamoptimized.img',
    format: 'vmdk',
    size: 65536,
    sha256: 'de2f256064a0af797747c2b97505dc0b9f3df0de4f489eac731c23ae9ca9cc31',
  },
];

async function caught(
  p: Promise<unknown>,
): Promise<Record<string, unknown> & { code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(isImagecheckError(err)).toBe(true);
    return err as Record<string, unknown> & { code: string; message: string };
  }
  throw new Error('expected a typed error');
}

describe('corpus images match their recorded virtual-disk sha256', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'imagecheck-corpus-'));
    await writeFile(join(work, '.keep'), '');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(work, 'dissect.hypervisor__backing-chain')));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it.each(CASES)('$file', async (c) => {
    if (c.zstd === true && !hasZstd()) return;
    if (c.file.includes('backing-chain')) {
      for (const n of [1, 2, 3])
        await materialise(`dissect.hypervisor__backing-chain/backing-chain-${n}.qcow2.gz`);
    }
    const path = await materialise(c.file);
    const opened = await openContainer(path);
    try {
      expect(opened.format).toBe(c.format);
      expect(opened.source.size).toBe(c.size);
      expect(await hashSource(opened.source, 16 * 1024 * 1024)).toBe(c.sha256);
    } finally {
      await opened.close();
    }
  });

  it('the backing chain lists all three levels', async () => {
    for (const n of [1, 2, 3])
      await materialise(`dissect.hypervisor__backing-chain/backing-chain-${n}.qcow2.gz`);
    const c = await openContainer(join(work, 'dissect.hypervisor__backing-chain/backing-chain-1.qcow2'));
    const chain = c.details.backingChain as { path: string }[];
    expect(chain.map((x) => basename(x.path))).toEqual(['backing-chain-2.qcow2', 'backing-chain-3.qcow2']);
    const mib = await c.source.read(1024 * 1024, 64);
    expect(new TextDecoder().decode(mib).replace(/\0+$/, '')).toBe('Nothing here two');
    await c.close();
  });

  it('snapshot.qcow2 reads the current state and lists its internal snapshots', async () => {
    const c = await openContainer(await materialise('dissect.hypervisor__snapshot.qcow2.gz'));
    expect(c.details.snapshotCount).toBe(2);
    expect((c.details.snapshots as { id: string; name: string }[]).map((s) => [s.id, s.name])).toEqual([
      ['1', "you can't see me"],
      ['2', 'confused'],
    ]);
    await c.close();
  });

  it('basic.qcow2 follows its pattern: MiB i filled with byte i', async () => {
    const c = await openContainer(await materialise('dissect.hypervisor__basic.qcow2.gz'));
    for (const i of [0, 1, 77, 254, 255]) {
      const b = await c.source.read(i * 1024 * 1024 + 4000, 100);
      expect(b.every((x) => x === (i < 255 ? i : 0))).toBe(true);
    }
    await c.close();
  });

  it('the log-replay VHDX is replayed in memory', async () => {
    const c = await openContainer(await materialise('DiscUtils__vhdx-log-replay.vhdx.gz'));
    expect(c.details.logReplayed).toMatchObject({ entries: expect.any(Number) });
    await c.close();
  });

  it('a log-replay VHDX whose log entry is corrupted ends in a typed error', async () => {
    const path = await materialise('DiscUtils__vhdx-log-replay.vhdx.gz');
    const bytes = await readFile(path);
    // Flip a byte inside every log entry ('loge' header at a 4 KiB boundary): no valid sequence remains.
    for (let at = 0; at + 4096 <= bytes.length; at += 4096) {
      if (bytes.toString('latin1', at, at + 4) === 'loge') bytes[at + 100] = (bytes[at + 100] ?? 0) ^ 0xff;
    }
    const broken = join(work, 'broken-log.vhdx');
    await writeFile(broken, bytes);
    expect((await caught(openContainer(broken))).code).toBe('vhdx/no-log-sequence');
  });

  it('a differencing VHDX whose parent is missing names the parent', async () => {
    const err = await caught(openContainer(await materialise('dissect.hypervisor__differencing.avhdx.gz')));
    expect(err.code).toBe('container/link-missing');
    expect(err.message).toContain('Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx');
  });

  it('a seSparse extent is reported as unsupported', async () => {
    const err = await caught(openContainer(await materialise('dissect.hypervisor__sesparse.vmdk.gz')));
    expect(err.code).toBe('vmdk/sesparse');
    expect(err.name).toBe('UnsupportedError');
  });
});
