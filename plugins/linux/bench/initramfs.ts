/**
 * Initramfs benchmark: the speed goal of the drivers area is a full check within 1.5x of what the
 * `zstd` command needs to decompress the image's initramfs, measured in the same run.
 *
 * For each image (arguments, or else the real Debian images the fixture script cached), it prints:
 * - `zstd -dc` (or `gzip -dc`, `lz4 -dc`) of the default kernel's initramfs, extracted to a temp
 *   file first (best of 3);
 * - our scan of that initramfs through the guest (range reads, streamed decompression, cpio
 *   headers only), in a warm process;
 * - a full `imagecheck check` from a cold process (wall time, peak RSS), and the same check
 *   in-process with the bytes it read from the image file;
 * - the ratio of the cold full check to the decompressor command.
 *
 *   npx esbuild bench/initramfs.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=../../node_modules/.cache/bench/initramfs.mjs && node ../../node_modules/.cache/bench/initramfs.mjs [IMAGE...]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openNative } from '@imagecheck/access-native';
import { plugin } from '@imagecheck/plugin-linux';
import { collectFacts, loadPack, runCheck } from '@imagecheck/sdk';
import { readInitramfsModules } from '../src/kernel-modules/initramfs/index.js';

/** The repository root: the first folder above this script (or the current folder) holding rules/linux. */
function findRoot(): string {
  for (const start of [fileURLToPath(new URL('.', import.meta.url)), process.cwd()]) {
    for (let d = resolve(start), i = 0; i < 12; d = dirname(d), i++) {
      if (existsSync(join(d, 'rules/linux/pack.yaml')) && existsSync(join(d, 'apps'))) return d;
    }
  }
  return process.cwd();
}
const root = findRoot();
const CLI = join(root, 'apps/cli/dist/bin.js');
const PACK = join(root, 'rules/linux');

function defaultImages(): string[] {
  const base = join(root, '.fixtures-cache/linux-debian');
  if (!existsSync(base)) return [];
  for (const d of readdirSync(base)
    .filter((n) => n.startsWith('images-'))
    .sort()
    .reverse()) {
    const manifest = join(base, d, 'images.json');
    if (!existsSync(manifest)) continue;
    const { images } = JSON.parse(readFileSync(manifest, 'utf8')) as { images: string[] };
    const wanted = ['ext4-bios', 'xfs-bios', 'lvm-bios', 'ext4-uefi', 'fault-initramfs-novirtio'];
    return wanted.filter((n) => images.includes(n)).map((n) => join(base, d, `${n}.qcow2`));
  }
  return [];
}

const DECOMPRESSOR: Record<string, string[]> = {
  zstd: ['zstd', '-dc'],
  gzip: ['gzip', '-dc'],
  'lz4-legacy': ['lz4', '-dc'],
};

interface Timing {
  wallMs: number;
  cpuMs: number;
  rssKb?: number;
}

/** Runs a command under /usr/bin/time: wall, user+system CPU and peak RSS. */
function timed(args: readonly string[]): Timing {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('TIME ')) ?? 'TIME NaN NaN NaN NaN';
  const [, e, u, sy, m] = line.split(' ').map(Number) as number[];
  return { wallMs: (e as number) * 1000, cpuMs: ((u as number) + (sy as number)) * 1000, rssKb: m as number };
}

function bestOf(n: number, fn: () => Timing): Timing {
  let best: Timing = { wallMs: Number.POSITIVE_INFINITY, cpuMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < n; i++) {
    const t = fn();
    best = { wallMs: Math.min(best.wallMs, t.wallMs), cpuMs: Math.min(best.cpuMs, t.cpuMs) };
  }
  return best;
}

const both = (t: Timing): string => `${ms(t.wallMs)} wall, ${ms(t.cpuMs)} CPU`;

const ms = (x: number): string => `${x.toFixed(0)} ms`;

async function benchImage(image: string): Promise<void> {
  const access = await openNative(image);
  const guest = await access.openRoot();
  const { facts } = await collectFacts({ access, plugins: [plugin], ids: ['linux.kernels'] });
  const k = facts['linux.kernels'];
  const initrd =
    k?.status === 'ok' ? (k.value as { default: { initrd: string | null } | null }).default?.initrd : null;
  if (!initrd) {
    console.log(`${basename(image)}: no default kernel initramfs; skipped`);
    await access.close();
    return;
  }
  const size = (await guest.stat(initrd)).size;
  const bytes = await guest.readFile(initrd, { maxBytes: size });
  const work = mkdtempSync(join(tmpdir(), 'ic-bench-'));
  const file = join(work, 'initrd.img');
  writeFileSync(file, bytes);

  // The decompressor command on the last (main) segment's format; the kernel's layout puts the
  // compressed archive last, so decompressing from its offset is what the command would do.
  const scanForFormat = await readInitramfsModules({
    size: bytes.length,
    read: (o, l) => Promise.resolve(bytes.subarray(o, o + l)),
  });
  const main = scanForFormat.segments.at(-1);
  let cmdT: Timing = { wallMs: Number.NaN, cpuMs: Number.NaN };
  const cmd = main ? DECOMPRESSOR[main.format] : undefined;
  if (main && cmd) {
    const tail = join(work, 'main');
    writeFileSync(tail, bytes.subarray(main.offset));
    cmdT = bestOf(3, () => timed(['sh', '-c', `"$0" "$@" < "${tail}" > /dev/null`, ...cmd]));
  }
  await access.close();

  // Our scan through the guest: range reads of the initramfs file, warm process.
  const a2 = await openNative(image);
  const g2 = await a2.openRoot();
  let t = performance.now();
  const cpu0 = process.cpuUsage();
  const scan = await readInitramfsModules({
    size,
    read: (offset, length) => g2.readFile(initrd, { offset, length, maxBytes: length }),
  });
  const cpu = process.cpuUsage(cpu0);
  const scanT: Timing = { wallMs: performance.now() - t, cpuMs: (cpu.user + cpu.system) / 1000 };
  await a2.close();

  // A full check in-process, for the bytes read from the image file.
  const a3 = await openNative(image);
  t = performance.now();
  const report = await runCheck({ access: a3, packs: [await loadPack(PACK)], plugins: [plugin] });
  const inProcMs = performance.now() - t;
  const stats = a3.stats?.() ?? {};
  await a3.close();
  const item = (n: string): string => report.items.find((i) => i.name === n)?.status ?? '-';

  // A full check from a cold process: wall time and peak RSS.
  const cold = existsSync(CLI)
    ? bestOf(1, () => timed([process.execPath, CLI, 'check', image, '--format', 'json', '--fail-on', 'none']))
    : { wallMs: Number.NaN, cpuMs: Number.NaN };
  const coldRss = existsSync(CLI)
    ? timed([process.execPath, CLI, 'check', image, '--format', 'json', '--fail-on', 'none']).rssKb
    : Number.NaN;
  const coldDrivers = existsSync(CLI)
    ? timed([
        process.execPath,
        CLI,
        'check',
        image,
        '--only',
        'GUESTOS.Virtio,GUESTOS.Nvme',
        '--format',
        'json',
        '--fail-on',
        'none',
      ])
    : { wallMs: Number.NaN, cpuMs: Number.NaN };
  rmSync(work, { recursive: true, force: true });

  console.log(
    `\n${basename(image)}  initramfs ${initrd}: ${(size / 1e6).toFixed(1)} MB, segments ${scan.segments.map((s) => s.format).join('+')}, ${(scan.decompressedBytes / 1e6).toFixed(1)} MB of cpio, ${scan.entries} entries, ${scan.modules.length} modules`,
  );
  console.log(`  ${(cmd?.join(' ') ?? 'decompressor').padEnd(12)} best of 3           ${both(cmdT)}`);
  console.log(
    `  our initramfs scan (warm, via guest)   ${both(scanT)}   CPU ${(scanT.cpuMs / cmdT.cpuMs).toFixed(2)}x the command`,
  );
  console.log(
    `  full check in-process (warm)           ${ms(inProcMs)} wall   ${(Number(stats.bytesRead ?? Number.NaN) / 1e6).toFixed(1)} MB read from the image   Virtio=${item('GUESTOS.Virtio')} Nvme=${item('GUESTOS.Nvme')}`,
  );
  console.log(
    `  Virtio+Nvme only, cold process (CLI)   ${both(coldDrivers)}   CPU ${(coldDrivers.cpuMs / cmdT.cpuMs).toFixed(2)}x, wall ${(coldDrivers.wallMs / cmdT.wallMs).toFixed(2)}x the command`,
  );
  console.log(
    `  full check, cold process (CLI)         ${both(cold)}   peak RSS ${((coldRss ?? Number.NaN) / 1024).toFixed(0)} MiB   CPU ${(cold.cpuMs / cmdT.cpuMs).toFixed(2)}x, wall ${(cold.wallMs / cmdT.wallMs).toFixed(2)}x the command (goal <= 1.5x)`,
  );
}

const images = process.argv.slice(2);
const list = images.length > 0 ? images : defaultImages();
if (list.length === 0) {
  console.log('no images: pass IMAGE paths, or build the Debian images first (plugins/linux/test/images)');
  process.exit(0);
}
for (const img of list) await benchImage(img);
