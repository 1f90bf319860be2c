/**
 * Benchmark of `imagecheck ls IMAGE / -R --hash`: wall time, and the bytes read from the image
 * file against the bytes of file data the listing hashes.
 *
 *   npx turbo run build && node --experimental-strip-types apps/cli/bench/ls.ts [IMAGE] [--filesystem SPEC]
 *
 * Two measurements of the same listing:
 * - in process: the command's own code path (`openNative`, then `openTree` and `listTree` from
 *   src/commands/tree.ts, which is what `ls` runs) with the native backend's `stats()` read at the
 *   end: bytes and calls into the image file, block-cache hits and misses. The command has no flag
 *   that prints these, and a child's /proc/<pid>/io counts Node's own module loading and page
 *   cache effects besides the image, so the counters are taken in process.
 * - the built command in a child process, output discarded: the wall time a user sees, start-up
 *   included.
 *
 * With no IMAGE it builds (once, cached in the fixture cache, `bench/ls-root-v1.qcow2`) a qcow2
 * whose disk is an ext4 root filesystem made by `mke2fs -d` from a staged tree: /etc/os-release,
 * /etc/fstab, and a copy of a host library folder (/usr/lib/python3.11, else /opt/node24) under
 * /usr/lib, so it has the many small files of a real root. The listing then goes through the
 * container layer and guest assembly, as `imagecheck ls IMAGE / -R --hash` does.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openNative } from '@imagecheck/access-native';
import { listTree, openTree } from '../src/commands/tree.ts';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const cache = join(
  process.env.IMAGECHECK_FIXTURE_CACHE ?? resolve(here, '../../../.fixtures-cache'),
  'bench',
);

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
  });
}

function buildRootImage(): string {
  const image = join(cache, 'ls-root-v1.qcow2');
  if (existsSync(image)) return image;
  const hostDir = ['/usr/lib/python3.11', '/opt/node24'].find((d) => existsSync(d));
  if (hostDir === undefined) throw new Error('no host folder to copy into the benchmark root');
  mkdirSync(cache, { recursive: true });
  const stage = join(cache, 'ls-root.stage');
  const raw = join(cache, 'ls-root.raw');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'etc'), { recursive: true });
  mkdirSync(join(stage, 'usr/lib'), { recursive: true });
  writeFileSync(
    join(stage, 'etc/os-release'),
    'ID=benchlinux\nVERSION_ID="1"\nPRETTY_NAME="Bench Linux 1"\n',
  );
  writeFileSync(join(stage, 'etc/fstab'), 'LABEL=bench-root / ext4 defaults 0 1\n');
  sh('cp', ['-a', hostDir, join(stage, 'usr/lib', basename(hostDir))]);
  const du = Number(sh('du', ['-sb', stage]).split('\t')[0]);
  // Room for metadata and a realistic amount of free space; 4 KiB-aligned for mke2fs.
  const size = Math.ceil((du * 1.6 + 64 * 1024 * 1024) / 4096) * 4096;
  rmSync(raw, { force: true });
  sh('truncate', ['-s', String(size), raw]);
  sh('mke2fs', ['-F', '-q', '-t', 'ext4', '-b', '4096', '-L', 'bench-root', '-d', stage, raw]);
  sh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, `${image}.tmp`]);
  renameSync(`${image}.tmp`, image);
  rmSync(raw, { force: true });
  rmSync(stage, { recursive: true, force: true });
  return image;
}

const args = process.argv.slice(2);
const fsFlag = args.indexOf('--filesystem');
const filesystem = fsFlag >= 0 ? args[fsFlag + 1] : undefined;
const positional = fsFlag < 0 ? args : args.filter((_, i) => i !== fsFlag && i !== fsFlag + 1);
const image = positional[0] ?? buildRootImage();

const start = performance.now();
const access = await openNative(image);
let entries = 0;
let files = 0;
let dataBytes = 0;
let stats: Readonly<Record<string, number>> = {};
try {
  const tree = await openTree(access, filesystem);
  await listTree(tree, '/', { recursive: true, hash: true }, (e) => {
    entries++;
    if (e.type === 'file') {
      files++;
      dataBytes += e.size;
    }
  });
} finally {
  // Read before close: the counters belong to the open image.
  stats = access.stats?.() ?? {};
  await access.close();
}
const wallMs = performance.now() - start;

const cmd = [
  'ls',
  image,
  '/',
  '-R',
  '--hash',
  ...(filesystem === undefined ? [] : ['--filesystem', filesystem]),
];
const t = performance.now();
const child = spawnSync(process.execPath, [bin, ...cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
const commandMs = performance.now() - t;

const bytesRead = stats.bytesRead ?? 0;
const lookups = (stats.cacheHits ?? 0) + (stats.cacheMisses ?? 0);
console.log(
  JSON.stringify(
    {
      image,
      filesystem: filesystem ?? '(guest root)',
      entries,
      files,
      fileDataBytes: dataBytes,
      inProcess: {
        wallMs: Number(wallMs.toFixed(1)),
        bytesRead,
        reads: stats.reads,
        bytesReadPerDataByte: dataBytes === 0 ? null : Number((bytesRead / dataBytes).toFixed(3)),
        cacheHitRate: lookups === 0 ? 0 : Number(((stats.cacheHits ?? 0) / lookups).toFixed(3)),
      },
      command: {
        argv: `imagecheck ${cmd.join(' ')}`,
        exitCode: child.status,
        wallMs: Number(commandMs.toFixed(1)),
      },
    },
    null,
    2,
  ),
);
