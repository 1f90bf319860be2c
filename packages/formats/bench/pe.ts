/**
 * PE version-resource benchmark: our reader (headers + the resource path, read on demand) against
 * resedit/pe-library (the npm alternative), on a ~10 MiB MinGW-built image whose `.rsrc` sits after
 * 10 MiB of data, as in ntoskrnl.exe or a large driver. Each reader runs in its own process, so
 * the resident set it reports is its own. Prints wall time (first call and median of 20), bytes
 * read from the file, and RSS growth.
 *
 *   npx esbuild bench/pe.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=../../node_modules/.cache/bench/pe.mjs && node ../../node_modules/.cache/bench/pe.mjs [FILE]
 *
 * Why our own reader and not resedit. Measured with this script (Node 24, 2-core machine, the
 * 10,501,632-byte fixture, page cache warm):
 *   own      first 7.9 ms, median 1.1 ms, 1,776 bytes read, RSS +1.8 MiB
 *   resedit  first 267 ms, median 97 ms, 10,501,632 bytes read, RSS +101 MiB
 * resedit's `NtExecutable.from` takes the whole file as one ArrayBuffer, so a
 * 10 MiB driver inside an NTFS image is 10 MiB read, decompressed where the file is compressed,
 * and held; it refuses Authenticode-signed files unless told to ignore the certificate (every
 * Windows system file is signed) and refuses images with a COFF symbol table (any unstripped
 * MinGW build: "Binary with symbols is not supported now"). Our reader reads the headers and the resource path only: a few kilobytes
 * whatever the file size, through the same RandomAccessSource an NTFS file gives.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { NtExecutable, NtExecutableResource, Resource } from 'resedit';
import { readPe, readVersionInfo } from '../src/index.js';
import { BIG_PE, buildPe } from '../test/fixtures/pe.js';
import { openFileSource } from '../test/helpers/file-source.js';

const RUNS = 20;

interface Figures {
  reader: string;
  fileVersion: string | undefined;
  firstMs: number;
  medianMs: number;
  bytesRead: number;
  rssGrowthMiB: number;
  heapGrowthMiB: number;
}

async function own(path: string): Promise<{ fileVersion: string | undefined; bytesRead: number }> {
  const src = await openFileSource(path);
  try {
    const pe = await readPe(src);
    const [info] = await readVersionInfo(src, pe);
    return { fileVersion: info?.fixed?.fileVersion, bytesRead: src.bytesRead };
  } finally {
    await src.close();
  }
}

async function resedit(path: string): Promise<{ fileVersion: string | undefined; bytesRead: number }> {
  const buf = await readFile(path);
  const exe = NtExecutable.from(buf, { ignoreCert: true });
  const res = NtExecutableResource.from(exe);
  const [vi] = Resource.VersionInfo.fromEntries(res.entries);
  const f = vi?.fixedInfo;
  const fileVersion = f
    ? `${f.fileVersionMS >>> 16}.${f.fileVersionMS & 0xffff}.${f.fileVersionLS >>> 16}.${f.fileVersionLS & 0xffff}`
    : undefined;
  return { fileVersion, bytesRead: buf.length };
}

async function measure(reader: 'own' | 'resedit', path: string): Promise<Figures> {
  const fn = reader === 'own' ? own : resedit;
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  const times: number[] = [];
  let last: { fileVersion: string | undefined; bytesRead: number } = { fileVersion: undefined, bytesRead: 0 };
  let peakRss = rss0;
  let peakHeap = heap0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    last = await fn(path);
    times.push(performance.now() - t);
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    reader,
    fileVersion: last.fileVersion,
    firstMs: round(times[0] ?? 0),
    medianMs: round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    bytesRead: last.bytesRead,
    rssGrowthMiB: round((peakRss - rss0) / 2 ** 20),
    heapGrowthMiB: round((peakHeap - heap0) / 2 ** 20),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

const [mode, arg1, arg2] = process.argv.slice(2);
if (mode === '--one') {
  process.stdout.write(`${JSON.stringify(await measure(arg1 as 'own' | 'resedit', arg2 as string))}\n`);
} else {
  const path = mode ?? (await buildPe(BIG_PE));
  const self = fileURLToPath(import.meta.url);
  const size = (await readFile(path)).length;
  console.log(`PE: ${path} (${size} bytes), ${RUNS} runs each, one process per reader`);
  for (const reader of ['own', 'resedit'] as const) {
    const out = execFileSync(process.execPath, [self, '--one', reader, path], { encoding: 'utf8' });
    const f = JSON.parse(out) as Figures;
    console.log(
      `${f.reader.padEnd(8)} FileVersion ${f.fileVersion}  first ${f.firstMs} ms  median ${f.medianMs} ms  ` +
        `read ${f.bytesRead} B  RSS +${f.rssGrowthMiB} MiB  heap+buffers +${f.heapGrowthMiB} MiB`,
    );
  }
}
