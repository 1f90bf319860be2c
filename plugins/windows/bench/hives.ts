/**
 * Benchmark of the NTFS and regf readers on a large volume, printed as a table; no pass/fail.
 *  - A 40 GiB sparse disk (GPT, one NTFS volume filling it, made by mkntfs and filled through
 *    ntfs-3g with the hives of the good-uefi Windows fixture), as raw and as qcow2: in a cold
 *    process (bench/hives-child.ts), the native backend finds the Windows root and every value
 *    of SYSTEM and SOFTWARE is read.
 *  - A full check of the good-uefi Windows fixture in a cold process, and the built `imagecheck`
 *    command on it (under /usr/bin/time for its CPU time and peak RSS).
 * Each row: wall time from spawn to exit, CPU time (user + system: steadier than wall time on a
 * shared machine), peak RSS, bytes read from the image file and number of reads (the backend's
 * source counters).
 *
 *   npx turbo run build (repository root), then in plugins/windows: npm run bench
 *   Environment: BENCH_RUNS (cold runs per row, default 3; the median is printed).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, rm, truncate } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { cachedBuild, hashKey, requireTools, run } from '@imagecheck/test-kit';
import { buildWindowsImage, WINDOWS_IMAGES } from '@imagecheck/test-kit/windows';

// Run from plugins/windows (npm run bench): this file is bundled elsewhere before it runs.
const pkg = process.cwd();
const here = join(pkg, 'bench');
if (!existsSync(join(here, 'hives-child.ts')))
  throw new Error('run the benchmark from plugins/windows: npm run bench');
const repo = resolve(pkg, '../..');
// The fixture helpers find the cache relative to their own file, which bundling moves: name it.
process.env.IMAGECHECK_FIXTURE_CACHE ??= join(repo, '.fixtures-cache');
const cli = join(repo, 'apps/cli/dist/bin.js');
const runs = Number(process.env.BENCH_RUNS ?? 3);

const GiB = 1024 ** 3;
const DISK_BYTES = 40 * GiB;
const SECTOR = 512;
// First partition at 1 MiB; the last one ends on a MiB boundary before the backup GPT (34 sectors).
const PART_START = 2048;
const PART_END = Math.floor((DISK_BYTES / SECTOR - 34 + 1) / 2048) * 2048 - 1;
const HIVES = ['SYSTEM', 'SOFTWARE', 'SAM', 'SECURITY', 'DEFAULT'];
const TOOLS = ['sgdisk', 'mkntfs', 'ntfs-3g', 'ntfscat', 'fusermount', 'qemu-img', 'dd'];

async function sparse(path: string, size: number): Promise<void> {
  await (await open(path, 'w')).close();
  await truncate(path, size);
}

/**
 * The 40 GiB disks (raw and qcow2), built once: the fixture's hives are pulled out of its NTFS
 * volume with ntfscat and copied into a fresh volume through an ntfs-3g mount.
 */
async function buildLargeDisk(): Promise<{ raw: string; qcow2: string; fixture: string }> {
  const fixture = await buildWindowsImage(WINDOWS_IMAGES['good-uefi']);
  const win = fixture.partitions.find((p) => p.role === 'windows');
  if (win === undefined) throw new Error('good-uefi has no Windows partition');
  const dir = await cachedBuild(
    `windows-bench/${hashKey([fixture.path, DISK_BYTES, 1])}-40g`,
    async (scratch) => {
      const work = join(scratch, 'work');
      await mkdir(join(work, 'mnt'), { recursive: true });
      const source = join(work, 'source.ntfs');
      await run('dd', [
        `if=${fixture.rawPath}`,
        `of=${source}`,
        'bs=1M',
        `skip=${win.start}`,
        `count=${win.size}`,
        'iflag=skip_bytes,count_bytes',
        'conv=sparse',
        'status=none',
      ]);
      const raw = join(scratch, 'disk.raw');
      await sparse(raw, DISK_BYTES);
      await run('sgdisk', [
        '-o',
        '-n',
        `1:${PART_START}:${PART_END}`,
        '-t',
        '1:0700',
        '-c',
        '1:Basic data partition',
        raw,
      ]);
      const volume = join(work, 'volume.ntfs');
      await sparse(volume, (PART_END - PART_START + 1) * SECTOR);
      // --fast (-Q) writes only the metadata, so the 40 GiB file stays sparse.
      await run('mkntfs', [
        '-F',
        '-Q',
        '-q',
        '-L',
        'Windows',
        '-p',
        String(PART_START),
        '-H',
        '255',
        '-S',
        '63',
        volume,
      ]);
      const config = join(work, 'mnt/Windows/System32/config');
      await run('ntfs-3g', [volume, join(work, 'mnt')]);
      try {
        await mkdir(config, { recursive: true });
        for (const hive of HIVES) {
          await run('sh', [
            '-c',
            'ntfscat "$0" "$1" > "$2"',
            source,
            `/Windows/System32/config/${hive}`,
            join(config, hive),
          ]);
        }
      } finally {
        await run('fusermount', ['-u', join(work, 'mnt')]);
      }
      // conv=sparse skips the zero blocks, so the disk keeps its holes.
      await run('dd', [
        `if=${volume}`,
        `of=${raw}`,
        'bs=4M',
        `seek=${PART_START * SECTOR}`,
        'oflag=seek_bytes',
        'conv=sparse,notrunc',
        'status=none',
      ]);
      await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, join(scratch, 'disk.qcow2')]);
      await rm(work, { recursive: true, force: true });
    },
  );
  return { raw: join(dir, 'disk.raw'), qcow2: join(dir, 'disk.qcow2'), fixture: fixture.path };
}

interface Timed {
  ms: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

function timed(cmd: string, args: string[]): Promise<Timed> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', rej);
    child.on('close', (code) => res({ ms: performance.now() - t0, stdout, stderr, code }));
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const mib = (n: number): string => (Number.isNaN(n) ? '-' : `${(n / 1048576).toFixed(1)} MiB`);
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

interface Row {
  wall: number[];
  cpu: number[];
  rss: number[];
  bytes: number;
  reads: number;
  note: string;
}

async function childRow(mode: 'hives' | 'check', image: string): Promise<Row> {
  const row: Row = { wall: [], cpu: [], rss: [], bytes: Number.NaN, reads: Number.NaN, note: '' };
  for (let i = 0; i < runs; i++) {
    const r = await timed(process.execPath, [join(here, 'hives-child.ts'), mode, image]);
    if (r.code !== 0) throw new Error(`hives-child ${mode} ${image} failed (exit ${r.code}): ${r.stderr}`);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
    row.wall.push(r.ms);
    row.cpu.push(last.cpuMs);
    row.rss.push(last.maxRssBytes);
    row.bytes = last.stats?.bytesRead ?? Number.NaN;
    row.reads = last.stats?.reads ?? Number.NaN;
    row.note =
      mode === 'hives'
        ? Object.entries(last.hives as Record<string, { keys: number; values: number; dataBytes: number }>)
            .map(([n, c]) => `${n}: ${c.keys} keys, ${c.values} values, ${mib(c.dataBytes)}`)
            .join('; ')
        : Object.entries(last.statuses as Record<string, number>)
            .map(([s, n]) => `${n} ${s}`)
            .join(', ');
  }
  return row;
}

/** The built command under GNU time: wall from spawn, CPU and peak RSS from its rusage. */
async function cliRow(image: string): Promise<Row> {
  const row: Row = {
    wall: [],
    cpu: [],
    rss: [],
    bytes: Number.NaN,
    reads: Number.NaN,
    note: 'imagecheck check --format json',
  };
  for (let i = 0; i < runs; i++) {
    const r = await timed('/usr/bin/time', [
      '-f',
      'TIME %U %S %M',
      process.execPath,
      cli,
      'check',
      image,
      '--format',
      'json',
    ]);
    const m = /TIME (\S+) (\S+) (\d+)/.exec(r.stderr);
    if (m === null) throw new Error(`imagecheck check ${image}: no timing (exit ${r.code}): ${r.stderr}`);
    row.wall.push(r.ms);
    row.cpu.push((Number(m[1]) + Number(m[2])) * 1000);
    row.rss.push(Number(m[3]) * 1024);
  }
  return row;
}

if (!requireTools(...TOOLS)) throw new Error(`the benchmark needs ${TOOLS.join(', ')}`);
const disks = await buildLargeDisk();
console.log(
  `imagecheck Windows benchmark: ${runs} cold run(s) each, median; 40 GiB sparse NTFS disk, good-uefi fixture`,
);
const rows: [string, Row][] = [
  ['hives, 40 GiB raw', await childRow('hives', disks.raw)],
  ['hives, 40 GiB qcow2', await childRow('hives', disks.qcow2)],
  ['check, good-uefi raw', await childRow('check', disks.fixture)],
];
if (existsSync(cli) && existsSync('/usr/bin/time'))
  rows.push(['cli check, good-uefi raw', await cliRow(disks.fixture)]);
const header = ['run', 'wall', 'cpu', 'peak RSS', 'read from image', 'reads', 'what'];
const table = [
  header,
  ...rows.map(([name, r]) => [
    name,
    sec(median(r.wall)),
    sec(median(r.cpu)),
    mib(median(r.rss)),
    mib(r.bytes),
    Number.isNaN(r.reads) ? '-' : String(r.reads),
    r.note,
  ]),
];
const widths = header.map((_, c) => Math.max(...table.map((r) => (r[c] ?? '').length)));
for (const r of table) console.log(r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  '));
