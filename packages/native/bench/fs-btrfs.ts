/**
 * btrfs and FAT reader benchmark: a full walk of a filesystem with every file hashed (what
 * `imagecheck ls / -R --hash` does), printing wall time and the bytes read from the image against
 * the bytes of file data.
 *
 * With no argument it builds (once, cached under .fixtures-cache/btrfs/) two btrfs images of a
 * root-filesystem-like host tree (default /opt/node24 then /usr/lib; `--dir DIR` to choose):
 * `mkfs.btrfs --rootdir` (uncompressed), and, when this machine can loop-mount btrfs, a copy made
 * through a `compress-force=zstd` mount; plus a FAT32 image of the same tree (`mkfs.fat` + `mcopy`,
 * symlinks skipped by mcopy), and walks each. `IMAGE [OFFSET SIZE]` walks an existing raw btrfs
 * or FAT image.
 *
 *   npx esbuild bench/fs-btrfs.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=../../node_modules/.cache/bench/fs-btrfs.mjs && node ../../node_modules/.cache/bench/fs-btrfs.mjs
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fixtureCacheDir, which } from '@imagecheck/test-kit';
import { FileSource } from '../src/block/file-source.js';
import type { ByteSource } from '../src/block/types.js';
import { openBtrfs } from '../src/fs/btrfs/index.js';
import { openFat } from '../src/fs/fat/index.js';
import { walkAndHash } from './walk.js';

function tool(name: string): string {
  return which(name) ?? name;
}

function sizedFile(path: string, bytes: number): void {
  rmSync(path, { force: true });
  writeFileSync(path, '');
  truncateSync(path, Math.ceil(bytes / 4096) * 4096);
}

/** Builds the cached bench images; returns [label, path] pairs. */
function benchImages(dir: string): [string, string][] {
  const key = createHash('sha256').update(`v1:${dir}`).digest('hex').slice(0, 12);
  const cache = fixtureCacheDir('btrfs', `bench-${key}`);
  const du = Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);
  const size = du * 1.6 + 256 * 1024 * 1024;
  const out: [string, string][] = [];

  const plain = join(cache, 'rootdir.raw');
  if (!existsSync(plain)) {
    sizedFile(`${plain}.tmp`, size);
    execFileSync(tool('mkfs.btrfs'), ['-q', '-f', '--rootdir', dir, `${plain}.tmp`]);
    renameSync(`${plain}.tmp`, plain);
  }
  out.push([`btrfs, mkfs.btrfs --rootdir ${dir}`, plain]);

  const zstd = join(cache, 'zstd.raw');
  if (!existsSync(zstd) && process.getuid?.() === 0) {
    sizedFile(`${zstd}.tmp`, size);
    execFileSync(tool('mkfs.btrfs'), ['-q', '-f', `${zstd}.tmp`]);
    const mnt = mkdtempSync(join(tmpdir(), 'bench-btrfs-'));
    try {
      execFileSync(tool('mount'), ['-o', 'loop,compress-force=zstd', `${zstd}.tmp`, mnt]);
      try {
        execFileSync('cp', ['-a', `${dir}/.`, mnt]);
      } finally {
        execFileSync(tool('umount'), [mnt]);
      }
      renameSync(`${zstd}.tmp`, zstd);
    } catch (err) {
      console.log(`(no zstd image: ${String(err).split('\n')[0]})`);
    } finally {
      rmSync(mnt, { recursive: true, force: true });
    }
  }
  if (existsSync(zstd)) out.push([`btrfs, loop mount compress-force=zstd, cp -a ${dir}`, zstd]);

  const fat = join(cache, 'fat32.raw');
  if (!existsSync(fat) && which('mcopy') !== undefined) {
    sizedFile(`${fat}.tmp`, Math.max(size, 300 * 1024 * 1024));
    execFileSync(tool('mkfs.fat'), ['-F', '32', `${fat}.tmp`]);
    try {
      execFileSync('mcopy', ['-s', '-i', `${fat}.tmp`, ...readdirSync(dir).map((n) => join(dir, n)), '::/'], {
        env: { ...process.env, MTOOLS_SKIP_CHECK: '1', LANG: 'C.UTF-8' },
        stdio: 'ignore',
      });
    } catch {
      // mcopy exits non-zero when it skips symlinks; the copied files are what we walk.
    }
    renameSync(`${fat}.tmp`, fat);
  }
  if (existsSync(fat)) out.push([`vfat (FAT32), mcopy -s ${dir}`, fat]);
  return out;
}

async function bench(label: string, image: string, offset = 0, size?: number): Promise<void> {
  const file = await FileSource.open(image);
  try {
    const t0 = performance.now();
    const source: ByteSource =
      offset === 0 && size === undefined ? file : file.slice(offset, size ?? file.size - offset);
    const fs = (await openBtrfs(source)) ?? (await openFat(source));
    if (fs === undefined) throw new Error(`${image}: no btrfs or FAT filesystem at ${offset}`);
    const stats = await walkAndHash(fs);
    const ms = performance.now() - t0;
    const s = file.stats;
    console.log(`\n${label}`);
    console.log(
      `${fs.info.type} ${fs.info.uuid}: ${stats.files} files, ${stats.dirs} dirs, ${stats.links} symlinks`,
    );
    console.log(`wall time          ${ms.toFixed(0)} ms`);
    console.log(`file data          ${stats.dataBytes} bytes`);
    console.log(
      `read from image    ${s.bytesRead} bytes (${(s.bytesRead / Math.max(1, stats.dataBytes)).toFixed(3)}x file data)`,
    );
    console.log(`source reads       ${s.reads}; cache hits ${s.cacheHits}, misses ${s.cacheMisses}`);
    console.log(
      `throughput         ${(stats.dataBytes / 1048576 / (ms / 1000)).toFixed(1)} MiB/s of file data`,
    );
  } finally {
    await file.close();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === undefined || args[0] === '--dir') {
    const dir = args[1] ?? ['/opt/node24', '/usr/lib'].find((d) => existsSync(d)) ?? '/usr';
    for (const [label, image] of benchImages(dir)) await bench(label, image);
  } else {
    await bench(args[0], args[0], Number(args[1] ?? 0), args[2] === undefined ? undefined : Number(args[2]));
  }
}

await main();
