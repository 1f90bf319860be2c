/**
 * ext reader benchmark: a full walk of a filesystem with every file hashed (what
 * `imagecheck ls / -R --hash` does), printing wall time and the bytes read from the image against
 * the bytes of file data.
 *
 * With no argument it builds (once, cached under .fixtures-cache/ext/) a 4 KiB-block ext4 image
 * of a root-filesystem-like host tree with `mke2fs -d` (default /opt/node24 then /usr/lib; pass
 * `--dir DIR` to choose), and walks that. `IMAGE [OFFSET SIZE]` walks an existing raw image.
 *
 *   npx esbuild bench/fs-ext.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=../../node_modules/.cache/bench/fs-ext.mjs && node ../../node_modules/.cache/bench/fs-ext.mjs
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fixtureCacheDir, which } from '@imagecheck/test-kit';
import { FileSource } from '../src/block/file-source.js';
import { openExt } from '../src/fs/ext/index.js';
import { walkAndHash } from './walk.js';

function benchImage(dir: string): string {
  const key = createHash('sha256').update(`v1:${dir}`).digest('hex').slice(0, 12);
  const out = join(fixtureCacheDir('ext', `bench-${key}`), 'image.raw');
  if (existsSync(out)) return out;
  const du = Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);
  const tmp = `${out}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, '');
  truncateSync(tmp, Math.ceil((du * 1.6 + 64 * 1024 * 1024) / 4096) * 4096);
  execFileSync(which('mke2fs') ?? 'mke2fs', ['-F', '-q', '-t', 'ext4', '-b', '4096', '-d', dir, tmp]);
  renameSync(tmp, out);
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let image: string;
  let offset = 0;
  let size: number | undefined;
  if (args[0] === undefined || args[0] === '--dir') {
    const dir = args[1] ?? ['/opt/node24', '/usr/lib'].find((d) => existsSync(d)) ?? '/usr';
    image = benchImage(dir);
    console.log(`image: mke2fs -t ext4 -b 4096 -d ${dir}`);
  } else {
    image = args[0];
    offset = Number(args[1] ?? 0);
    size = args[2] === undefined ? undefined : Number(args[2]);
  }
  const file = await FileSource.open(image);
  try {
    const t0 = performance.now();
    const source = offset === 0 && size === undefined ? file : file.slice(offset, size ?? file.size - offset);
    const fs = await openExt(source);
    if (fs === undefined) throw new Error(`${image}: no ext filesystem at ${offset}`);
    const stats = await walkAndHash(fs);
    const ms = performance.now() - t0;
    const s = file.stats;
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

await main();
