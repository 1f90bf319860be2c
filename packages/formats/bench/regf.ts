// Opens the Windows 10 1709 SYSTEM hive of the corpus (15 MB, 43,211 keys, 90,307 values), walks
// every key, reads every value's data, then looks every key up again by its path; prints the
// times and the memory used. Run after `npm run build`: `npm run bench`.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openHive } from '@imagecheck/formats';

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2] ?? 'regipy__SYSTEM_WIN_10_1709.xz';
const file = join(here, '..', 'test', 'fixtures', 'corpus', name);
const bytes = new Uint8Array(
  name.endsWith('.xz')
    ? execFileSync('xz', ['-dc', file], { maxBuffer: 1 << 30 })
    : execFileSync('cat', [file], { maxBuffer: 1 << 30 }),
);
const rss0 = process.memoryUsage().rss;

const ms = (t: bigint): string => `${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(0)} ms`;
let t = process.hrtime.bigint();
const hive = await openHive(bytes);
console.log(`open: ${ms(t)} (${(bytes.length / 1e6).toFixed(1)} MB, dirty=${hive.info.dirty})`);

t = process.hrtime.bigint();
let keys = 0;
let values = 0;
let dataBytes = 0;
const paths: string[] = [];
for (const k of hive.walk()) {
  keys++;
  paths.push(k.path);
  for (const v of k.values()) {
    values++;
    dataBytes += v.data.length;
  }
}
console.log(`walk: ${ms(t)} (${keys} keys, ${values} values, ${(dataBytes / 1e6).toFixed(1)} MB of data)`);

t = process.hrtime.bigint();
for (const p of paths) if (hive.key(p.toUpperCase()) === null) throw new Error(`lost ${p}`);
console.log(
  `lookup of every key by path: ${ms(t)} (${(Number(process.hrtime.bigint() - t) / 1e3 / paths.length).toFixed(1)} µs each)`,
);

const m = process.memoryUsage();
console.log(
  `rss: ${(m.rss / 1e6).toFixed(0)} MB (${((m.rss - rss0) / 1e6).toFixed(0)} MB above the loaded input), heap used ${(m.heapUsed / 1e6).toFixed(0)} MB`,
);
