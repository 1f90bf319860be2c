/**
 * NTFS reader benchmark: what a Windows check reads from a large volume. It opens the volume,
 * resolves and reads the registry hives under Windows/System32/config, the kernel, lists the
 * drivers folder and looks up a few files in a 5,000-entry WinSxS-like folder, then walks the
 * whole tree with every file hashed (what `imagecheck ls / -R --hash` does), printing wall time,
 * bytes read from the image and RSS for each phase.
 *
 * With no argument it builds (once, cached under the fixture cache, `ntfs-bench/`) a 40 GiB
 * sparse image: `mkntfs -Q` on a sparse file, filled through an ntfs-3g mount with a Windows-like
 * tree (hive-sized SYSTEM 16 MiB, SOFTWARE 80 MiB, DRIVERS 6 MiB..., an 11 MiB ntoskrnl.exe,
 * 600 drivers, 5,000 WinSxS folders with a file each). `IMAGE [OFFSET SIZE]` uses an existing one.
 *
 *   npx esbuild bench/fs-ntfs.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=../../node_modules/.cache/bench/fs-ntfs.mjs && node ../../node_modules/.cache/bench/fs-ntfs.mjs
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGuestTree } from '@imagecheck/access';
import { fixtureCacheDir, run, which } from '@imagecheck/test-kit';
import { FileSource } from '../src/block/file-source.js';
import { NtfsFileSystem } from '../src/fs/ntfs/index.js';
import { walkAndHash } from './walk.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** A block of pseudo-random bytes repeated: hive-sized files without generating 100 MiB of randomness. */
function filler(size: number, seed: number): Buffer {
  const block = Buffer.alloc(64 * 1024);
  let a = seed >>> 0;
  for (let i = 0; i < block.length; i++) {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    block[i] = a >>> 24;
  }
  const out = Buffer.alloc(size);
  for (let o = 0; o < size; o += block.length) block.copy(out, o, 0, Math.min(block.length, size - o));
  return out;
}

async function benchImage(): Promise<string> {
  const dir = fixtureCacheDir('ntfs-bench', 'v1');
  const image = join(dir, 'windows-40g.img');
  if (existsSync(image)) return image;
  const tmp = `${image}.tmp`;
  const mnt = join(dir, 'mnt');
  await rm(tmp, { force: true });
  await writeFile(tmp, '');
  await truncate(tmp, 40 * GiB);
  await run('mkntfs', ['-F', '-Q', '-q', '-L', 'Windows', tmp]);
  await mkdir(mnt, { recursive: true });
  const child = spawn(which('ntfs-3g') ?? 'ntfs-3g', ['-o', 'no_detach', tmp, mnt], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  while (!readFileSync('/proc/mounts', 'utf8').includes(` ${mnt} `)) await sleep(50);
  try {
    const sys32 = join(mnt, 'Windows', 'System32');
    await mkdir(join(sys32, 'config'), { recursive: true });
    const hives: [string, number][] = [
      ['SYSTEM', 16 * MiB],
      ['SOFTWARE', 80 * MiB],
      ['DRIVERS', 6 * MiB],
      ['DEFAULT', MiB],
      ['SAM', 64 * 1024],
      ['SECURITY', 64 * 1024],
    ];
    for (const [i, [name, size]] of hives.entries())
      await writeFile(join(sys32, 'config', name), filler(size, i + 1));
    await writeFile(join(sys32, 'ntoskrnl.exe'), filler(11 * MiB, 99));
    await writeFile(join(sys32, 'cmd.exe'), filler(300 * 1024, 98));
    await mkdir(join(sys32, 'drivers'));
    for (let i = 0; i < 600; i++)
      await writeFile(join(sys32, 'drivers', `driver${i}.sys`), filler(20 * 1024 + i, i));
    const sxs = join(mnt, 'Windows', 'WinSxS');
    await mkdir(sxs);
    for (let i = 0; i < 5000; i++) {
      const d = join(
        sxs,
        `amd64_microsoft-windows-component${i}_31bf3856ad364e35_10.0.20348.${i}_none_${i.toString(16)}`,
      );
      await mkdir(d);
      await writeFile(join(d, 'component.dll'), filler(2048 + (i % 512), i));
    }
    await mkdir(join(mnt, 'Users', 'Public'), { recursive: true });
    await writeFile(join(mnt, 'pagefile.sys'), '');
    await truncate(join(mnt, 'pagefile.sys'), 512 * MiB);
  } finally {
    await run('fusermount3', ['-u', mnt]);
    await exited;
  }
  await rm(mnt, { recursive: true, force: true });
  await rename(tmp, image);
  return image;
}

async function main(): Promise<void> {
  const [imageArg, offsetArg, sizeArg] = process.argv.slice(2);
  const image = imageArg ?? (await benchImage());
  const file = await FileSource.open(image);
  const offset = Number(offsetArg ?? 0);
  const source =
    offset === 0 && sizeArg === undefined ? file : file.slice(offset, Number(sizeArg ?? file.size - offset));
  const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;
  const phase = (name: string, t0: number, bytes0: number): void => {
    const rss = process.memoryUsage().rss;
    console.log(
      `${name.padEnd(28)} ${(performance.now() - t0).toFixed(1).padStart(9)} ms  read ${mib(file.stats.bytesRead - bytes0).padStart(10)}  rss ${mib(rss)}`,
    );
  };
  console.log(`image ${image} (${mib(file.size)} virtual)`);
  let t = performance.now();
  let b = file.stats.bytesRead;
  const fs = await NtfsFileSystem.open(source);
  if (fs === undefined) throw new Error(`${image}: no NTFS at offset ${offset}`);
  phase('open', t, b);
  console.log(`  ${JSON.stringify(fs.info)}`);

  const guest = createGuestTree([{ mountpoint: '/', fs }], { maxReadBytes: 256 * MiB });
  t = performance.now();
  b = file.stats.bytesRead;
  let hiveBytes = 0;
  for (const hive of ['SYSTEM', 'SOFTWARE', 'DRIVERS', 'SAM', 'SECURITY', 'DEFAULT']) {
    hiveBytes += (await guest.readFile(`/windows/system32/config/${hive}`)).length;
  }
  phase(`read hives (${mib(hiveBytes)})`, t, b);

  t = performance.now();
  b = file.stats.bytesRead;
  const kernel = await guest.readFile('/Windows/System32/ntoskrnl.exe');
  phase(`read ntoskrnl.exe (${mib(kernel.length)})`, t, b);

  t = performance.now();
  b = file.stats.bytesRead;
  const drivers = await guest.readdir('/Windows/System32/drivers');
  for (const d of drivers.slice(0, 50))
    await guest.readFile(`/Windows/System32/drivers/${d.name}`, { length: 4096 });
  phase(`list ${drivers.length} drivers, read 50`, t, b);

  t = performance.now();
  b = file.stats.bytesRead;
  for (const i of [0, 1234, 2500, 4999]) {
    await guest.stat(
      `/Windows/WinSxS/amd64_microsoft-windows-component${i}_31bf3856ad364e35_10.0.20348.${i}_none_${i.toString(16)}/component.dll`,
    );
  }
  phase('4 lookups in WinSxS (5,000)', t, b);

  t = performance.now();
  b = file.stats.bytesRead;
  const walk = await walkAndHash(fs);
  phase(`walk + hash (${walk.files} files, ${mib(walk.dataBytes)})`, t, b);
  console.log(
    `block cache      ${file.stats.cacheHits} hits, ${file.stats.cacheMisses} misses, ${file.stats.reads} reads`,
  );
  await file.close();
}

await main();
