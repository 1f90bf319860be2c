/**
 * Decoding speed of the Windows codecs on real compressor output (wimlib, ntfs-3g, Samba), in MB/s
 * of output. Not a test: run by hand in packages/binary after building it (`npm run build`):
 *
 *   node --experimental-strip-types bench/codecs.ts
 *
 * The fixtures come from the test fixture builders (and their cache), so the tools they need
 * (wimtools; ntfs-3g as root; samba-libs) must be installed; a codec whose tools are missing is
 * left out.
 */
import { readFile } from 'node:fs/promises';
import { registerHooks } from 'node:module';

// The test fixtures import each other as `./x.js`, as the TypeScript build wants; run from
// source, those files are `./x.ts`. The codecs themselves come from the build.
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js'))
        return next(`${specifier.slice(0, -3)}.ts`, context);
      throw err;
    }
  },
});

const codecs = await import('../dist/index.js');
const { wimFixture, readWim, fileChunks } = await import('../test/fixtures/wim.ts');
const { ntfsFixture, compressionUnits, NTFS_TOOLS, CLUSTER, UNIT_CLUSTERS } = await import(
  '../test/fixtures/ntfs.ts'
);
const { sambaXpressFixture, sambaLibrary } = await import('../test/fixtures/samba.ts');
const { hasTools } = await import('@imagecheck/test-kit');

interface Job {
  data: Uint8Array;
  size: number;
}

function bench(name: string, jobs: Job[], decode: (data: Uint8Array, size: number) => Uint8Array): void {
  if (jobs.length === 0) return;
  const total = jobs.reduce((n, j) => n + j.size, 0);
  // Warm-up, so that the optimising compiler has run before the clock starts; then the median
  // of five rounds, since the machine may be shared.
  const round = (ms: number): number => {
    let bytes = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      for (const j of jobs) decode(j.data, j.size);
      bytes += total;
    }
    return bytes / 1e6 / ((performance.now() - start) / 1000);
  };
  round(500);
  const rounds = Array.from({ length: 5 }, () => round(300)).sort((a, b) => a - b);
  const mbps = rounds[2] ?? 0;
  console.log(
    `${name.padEnd(34)} ${String(jobs.length).padStart(5)} chunks  ${(total / 1e6).toFixed(2).padStart(6)} MB  ${mbps.toFixed(1).padStart(7)} MB/s`,
  );
}

async function wimJobs(compression: 'XPRESS' | 'LZX', chunkSize: number): Promise<Job[]> {
  const fixture = await wimFixture({ compression, chunkSize });
  const wim = readWim(new Uint8Array(await readFile(fixture.wimPath)));
  const jobs: Job[] = [];
  for (const contents of Object.values(fixture.files)) {
    for (const c of fileChunks(wim, contents) ?? []) if (!c.raw) jobs.push({ data: c.data, size: c.size });
  }
  return jobs;
}

if (hasTools('wimcapture', 'wimapply')) {
  for (const size of [4096, 8192, 16384]) {
    bench(
      `XPRESS Huffman, ${size / 1024} KiB chunks`,
      await wimJobs('XPRESS', size),
      codecs.decompressXpressHuffman,
    );
  }
  bench('LZX, 32 KiB chunks', await wimJobs('LZX', 32768), (d, s) => codecs.decompressLzx(d, s));
}

if (process.getuid?.() === 0 && hasTools(...NTFS_TOOLS)) {
  const fixture = await ntfsFixture();
  const image = new Uint8Array(await readFile(fixture.image));
  const jobs = fixture.files
    .filter((f) => f.runs.length > 0)
    .flatMap((f) => compressionUnits(f, image))
    .filter((u) => u.kind === 'compressed')
    .map((u) => ({ data: u.data, size: UNIT_CLUSTERS * CLUSTER }));
  bench('LZNT1, 64 KiB units (ntfs-3g)', jobs, codecs.decompressLznt1);
}

if (hasTools('python3', sambaLibrary())) {
  const pieces = await sambaXpressFixture();
  bench(
    'plain XPRESS, 64 KiB (Samba)',
    pieces.filter((p) => p.plain.length === 65536).map((p) => ({ data: p.compressed, size: p.plain.length })),
    codecs.decompressXpress,
  );
}
