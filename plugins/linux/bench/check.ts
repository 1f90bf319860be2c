/**
 * Benchmark of the full Linux check on the real Debian 12 qcow2 images (test/images), printed as
 * a table; no pass/fail. For each image:
 *  - a full check in a cold process (bench/check-child.ts: native backend, plugin and pack from
 *    their dist): wall time from spawn to exit, its CPU time (user + system: steadier than wall
 *    time on a shared machine), peak RSS, bytes read from the image file;
 *  - the `imagecheck` command itself (`check IMAGE --format json`), wall time, when it is built;
 *  - `zstd -d` of the image's initramfs, the reference of the speed goal (check within 1.5x);
 *  - virt-inspector on the same image, when installed (libguestfs, direct backend, TCG), and the
 *    ratio of its wall time to ours.
 *
 *   npx turbo run build (repository root), then in plugins/linux: npm run bench [-- IMAGE_NAME...]
 *   Environment: BENCH_RUNS (cold runs per image, default 3; the median is printed),
 *   BENCH_VIRT_INSPECTOR=0 to leave virt-inspector out.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hasTools } from '@imagecheck/test-kit';
import {
  buildDebianImages,
  type DebianImageName,
  debianCacheDir,
  FAULT_IMAGES,
  GOOD_IMAGES,
  imagePath,
} from '../test/images/debian.js';

// Run from plugins/linux (npm run bench): this file is bundled elsewhere before it runs.
const pkg = process.cwd();
const here = join(pkg, 'bench');
if (!existsSync(join(here, 'check-child.ts')))
  throw new Error('run the benchmark from plugins/linux: npm run bench');
process.env.IMAGECHECK_DEBIAN_IMAGES_DIR ??= join(pkg, 'test/images');
const repo = resolve(pkg, '../..');
// The fixture helpers find the cache relative to their own file, which bundling moves: name it.
process.env.IMAGECHECK_FIXTURE_CACHE ??= join(repo, '.fixtures-cache');
const cli = join(repo, 'apps/cli/dist/bin.js');
const runs = Number(process.env.BENCH_RUNS ?? 3);

interface Timed {
  ms: number;
  stdout: string;
  code: number | null;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: Uint8Array): Promise<Timed> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.on('error', rej);
    child.on('close', (code) => res({ ms: performance.now() - t0, stdout, code }));
    child.stdin.end(input);
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** The initramfs of an image's default kernel, read from the cached root it was built from. */
function initramfsOf(name: DebianImageName, kver: string): Uint8Array | undefined {
  const roots = spawnSync('sh', ['-c', `ls -d ${debianCacheDir()}/root-*/boot | head -1`])
    .stdout.toString()
    .trim();
  const file =
    name === 'fault-initramfs-novirtio'
      ? `${roots}/initrd-novirtio.img-${kver}`
      : `${roots}/initrd.img-${kver}`;
  if (!existsSync(file)) return undefined;
  const bytes = readFileSync(file);
  // The zstd stream may follow an uncompressed early-microcode cpio: start at the zstd magic.
  const at = bytes.indexOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
  return at < 0 ? undefined : bytes.subarray(at);
}

const wanted = process.argv.slice(2) as DebianImageName[];
const names = wanted.length > 0 ? wanted : [...GOOD_IMAGES, ...FAULT_IMAGES];
const images = await buildDebianImages(names);
const withVirt = process.env.BENCH_VIRT_INSPECTOR !== '0' && hasTools('virt-inspector');
const withCli = existsSync(cli);

console.log(`imagecheck benchmark: ${names.length} real Debian 12 images, ${runs} cold run(s) each, median`);
console.log(
  `kernel ${images.kernelVersion}; virt-inspector ${withVirt ? 'included' : 'not installed or disabled'}`,
);
const header = [
  'image',
  'check (cold)',
  'cpu',
  'peak RSS',
  'read from image',
  'reads',
  'cli check',
  'zstd -d initrd',
  'check/zstd',
  'virt-inspector',
  'v-i/check',
];
const rows: string[][] = [header];
for (const name of names) {
  const img = imagePath(images, name);
  const wall: number[] = [];
  const cpu: number[] = [];
  const cliWall: number[] = [];
  let last: { cpuMs: number; maxRssBytes: number; stats: Record<string, number> } | undefined;
  for (let i = 0; i < runs; i++) {
    const r = await timed(process.execPath, [join(here, 'check-child.ts'), img]);
    if (r.code !== 0) throw new Error(`check-child failed on ${name} (exit ${r.code})`);
    wall.push(r.ms);
    last = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
    cpu.push(last?.cpuMs ?? Number.NaN);
    if (withCli) cliWall.push((await timed(process.execPath, [cli, 'check', img, '--format', 'json'])).ms);
  }
  const initrd = initramfsOf(name, images.kernelVersion);
  let zstdMs = Number.NaN;
  if (initrd !== undefined && hasTools('zstd')) {
    const t: number[] = [];
    for (let i = 0; i < 3; i++) t.push((await timed('zstd', ['-d', '-c', '-q'], {}, initrd)).ms);
    zstdMs = median(t);
  }
  let virtMs = Number.NaN;
  if (withVirt) {
    const v = await timed('virt-inspector', ['--no-applications', '--no-icon', '--format=qcow2', '-a', img], {
      LIBGUESTFS_BACKEND: 'direct',
      LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg',
    });
    if (v.code === 0) virtMs = v.ms;
  }
  const w = median(wall);
  rows.push([
    name,
    sec(w),
    sec(median(cpu)),
    last ? mib(last.maxRssBytes) : '-',
    last ? mib(last.stats.bytesRead ?? Number.NaN) : '-',
    last ? String(last.stats.reads ?? '-') : '-',
    withCli ? sec(median(cliWall)) : '-',
    Number.isNaN(zstdMs) ? '-' : sec(zstdMs),
    Number.isNaN(zstdMs) ? '-' : `${(w / zstdMs).toFixed(2)}x`,
    Number.isNaN(virtMs) ? '-' : sec(virtMs),
    Number.isNaN(virtMs) ? '-' : `${(virtMs / w).toFixed(1)}x`,
  ]);
}
const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  '));
