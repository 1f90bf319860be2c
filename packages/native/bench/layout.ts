/**
 * Benchmark: open a 20 GiB sparse qcow2 holding a small GPT layout (ESP with FAT32, an ext4
 * root), and read what a layout listing reads. Prints wall time, bytes read from the host file,
 * host reads, and the block-cache hit rate.
 *
 *   npm run build && npm run bench        (node --experimental-strip-types bench/layout.ts)
 *
 * The image is built once with real tools (truncate, sgdisk, mkfs.fat, mkfs.ext4, qemu-img) into
 * the fixture cache ($IMAGECHECK_FIXTURE_CACHE or .fixtures-cache/ at the repository root).
 * The listing is the native backend's `inspect()`: container, partition table, and the signature
 * probes of every partition.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openNative } from '../dist/index.js';

const GIB = 1024 ** 3;
const SIZE = 20 * GIB;
const here = dirname(fileURLToPath(import.meta.url));
const cache = join(
  process.env.IMAGECHECK_FIXTURE_CACHE ?? resolve(here, '../../../.fixtures-cache'),
  'bench',
);
const image = join(cache, 'layout-20g-v1.qcow2');

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
  });
}

function build(): void {
  mkdirSync(cache, { recursive: true });
  const raw = join(cache, 'layout-20g.raw.tmp');
  rmSync(raw, { force: true });
  sh('truncate', ['-s', String(SIZE), raw]);
  sh('sgdisk', [
    '-o',
    '-n',
    '1:2048:+100M',
    '-t',
    '1:ef00',
    '-c',
    '1:EFI',
    '-n',
    '2:0:0',
    '-t',
    '2:8300',
    '-c',
    '2:root',
    raw,
  ]);
  sh('mkfs.fat', ['-F', '32', '-n', 'EFI', '--offset', '2048', raw, String(100 * 1024)]);
  // ext4 at partition 2 (sector 206848), 2 GiB of it: the superblock and group tables are what a listing reads.
  sh('mkfs.ext4', ['-q', '-F', '-L', 'root', '-E', `offset=${206848 * 512}`, raw, '2G']);
  sh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, `${image}.tmp`]);
  renameSync(`${image}.tmp`, image);
  rmSync(raw, { force: true });
}

if (!existsSync(image)) {
  const t = performance.now();
  build();
  console.log(`built ${image} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

const start = performance.now();
const access = await openNative(image);
const layout = await access.inspect();
const wall = performance.now() - start;
const s = access.stats?.() ?? {};
await access.close();
const disk = { size: layout.disk.virtualSize };
const c = { format: layout.disk.format };
const summary = {
  partitions: layout.disk.partitions.map((p) => `${p.number}:${p.typeName ?? p.type}`),
  filesystems: layout.filesystems.map((f) => `${f.id}:${f.type}`),
};
const lookups = (s.cacheHits ?? 0) + (s.cacheMisses ?? 0);
console.log(
  JSON.stringify(
    {
      image,
      format: c.format,
      virtualSize: disk.size,
      wallMs: Number(wall.toFixed(2)),
      bytesRead: s.bytesRead,
      reads: s.reads,
      cacheHits: s.cacheHits,
      cacheMisses: s.cacheMisses,
      cacheHitRate: lookups === 0 ? 0 : Number(((s.cacheHits ?? 0) / lookups).toFixed(3)),
      ...summary,
    },
    null,
    2,
  ),
);
