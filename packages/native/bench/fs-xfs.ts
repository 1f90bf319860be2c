/**
 * XFS reader benchmark: a full walk of a filesystem with every file hashed (what
 * `imagecheck ls / -R --hash` does), printing wall time and the bytes read from the image against
 * the bytes of file data.
 *
 *   IMAGE: a raw XFS image, e.g. one the fixture builder cached under .fixtures-cache/xfs/
 *          (run the xfs tests once to build them), optionally OFFSET in bytes.
 *   npx esbuild bench/fs-xfs.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=../../node_modules/.cache/bench/fs-xfs.mjs && node ../../node_modules/.cache/bench/fs-xfs.mjs IMAGE [OFFSET] [SIZE]
 */
import { performance } from 'node:perf_hooks';
import { FileSource } from '../src/block/file-source.js';
import { openXfs } from '../src/fs/xfs/index.js';
import { walkAndHash } from './walk.js';

const [image, offsetArg, sizeArg] = process.argv.slice(2);
if (image === undefined) {
  console.error('usage: fs-xfs IMAGE [OFFSET] [SIZE]');
  process.exit(2);
}
const file = await FileSource.open(image);
const offset = Number(offsetArg ?? 0);
const source =
  offset === 0 && sizeArg === undefined ? file : file.slice(offset, Number(sizeArg ?? file.size - offset));
const t0 = performance.now();
const fs = await openXfs(source);
if (fs === undefined) throw new Error(`${image}: no XFS at offset ${offset}`);
const tOpen = performance.now() - t0;
const result = await walkAndHash(fs);
const ms = performance.now() - t0;
const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
console.log(`image            ${image}`);
console.log(`filesystem       xfs v${String(fs.info.details?.version)} ${String(fs.info.uuid)}`);
console.log(`open             ${tOpen.toFixed(1)} ms`);
console.log(`walk + hash      ${ms.toFixed(1)} ms`);
console.log(`entries          ${result.files} files, ${result.dirs} dirs, ${result.links} symlinks`);
console.log(`file data        ${mib(result.dataBytes)} (${result.dataBytes} B)`);
console.log(
  `read from image  ${mib(file.stats.bytesRead)} (${file.stats.bytesRead} B) in ${file.stats.reads} reads`,
);
console.log(`read / data      ${(file.stats.bytesRead / Math.max(1, result.dataBytes)).toFixed(3)}`);
console.log(`block cache      ${file.stats.cacheHits} hits, ${file.stats.cacheMisses} misses`);
await file.close();
