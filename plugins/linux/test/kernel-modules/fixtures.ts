/**
 * Initramfs fixtures made by real tools, cached outside the repository:
 *
 * - `buildInitramfs`: a file tree (a distribution's module layout, with placeholder module files)
 *   archived by GNU `cpio -o -H newc`, compressed by the real `gzip`/`zstd`/`lz4 -l`/`xz`/
 *   `bzip2`/`lzma`, optionally after an uncompressed early cpio holding CPU microcode, the way
 *   dracut and initramfs-tools lay them out.
 * - `buildMkinitramfs`: a real initramfs-tools image of the test kernel (`mkinitramfs`), with
 *   `MODULES=most` (every storage and virtio driver) or `MODULES=list` and an empty list (no virtio).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  cachedBuild,
  missingPrerequisite,
  requireTestKernel,
  requireTools,
  run,
  testKernel,
} from '@imagecheck/test-kit';

export type Compression = 'none' | 'gzip' | 'zstd' | 'lz4' | 'xz' | 'bzip2' | 'lzma';

const COMPRESSORS: Record<Exclude<Compression, 'none'>, { tool: string; args: string[] }> = {
  gzip: { tool: 'gzip', args: ['-n', '-9', '-c'] },
  zstd: { tool: 'zstd', args: ['-q', '-19', '-c'] },
  // The kernel reads only the legacy LZ4 frame: `-l`, as initramfs-tools and dracut call it.
  lz4: { tool: 'lz4', args: ['-l', '-9', '-c', '-q'] },
  xz: { tool: 'xz', args: ['--check=crc32', '-c'] },
  bzip2: { tool: 'bzip2', args: ['-c'] },
  lzma: { tool: 'lzma', args: ['-c'] },
};

export function toolsFor(c: Compression): string[] {
  return c === 'none' ? ['cpio', 'find', 'sh'] : ['cpio', 'find', 'sh', COMPRESSORS[c].tool];
}

export interface InitramfsSpec {
  /** Files of the main archive: path (relative) → content. Directories are implied. */
  readonly files: Readonly<Record<string, string>>;
  readonly compression: Compression;
  /** Prepend an uncompressed early cpio with `kernel/x86/microcode/GenuineIntel.bin`. */
  readonly earlyMicrocode?: boolean;
}

function writeTree(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [p, content] of Object.entries(files)) {
    const abs = join(dir, p);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

async function cpioOf(dir: string): Promise<Buffer> {
  // The order and flags initramfs-tools uses: `find . | LC_ALL=C sort | cpio --quiet -o -H newc`.
  const out = join(dir, '..', `${createHash('sha1').update(dir).digest('hex')}.cpio`);
  await run('sh', [
    '-c',
    `cd "$1" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 > "$2"`,
    'sh',
    dir,
    out,
  ]);
  const b = readFileSync(out);
  rmSync(out);
  return b;
}

async function compress(data: Buffer, c: Compression, work: string): Promise<Buffer> {
  if (c === 'none') return data;
  const { tool, args } = COMPRESSORS[c];
  const inp = join(work, 'main.cpio');
  const out = join(work, `main.${c}`);
  writeFileSync(inp, data);
  await run('sh', ['-c', `"$0" "$@" < "${inp}" > "${out}"`, tool, ...args]);
  return readFileSync(out);
}

/** Builds (or returns the cached) initramfs for `spec`. */
export async function buildInitramfs(spec: InitramfsSpec): Promise<Uint8Array> {
  const key = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  const dir = await cachedBuild(`linux-drivers/${key}-${spec.compression}`, async (work) => {
    const parts: Buffer[] = [];
    if (spec.earlyMicrocode) {
      const early = join(work, 'early');
      // Real microcode is vendor-licensed; its bytes do not matter to the format, its place does.
      writeTree(early, { 'kernel/x86/microcode/GenuineIntel.bin': 'microcode placeholder\n'.repeat(40) });
      parts.push(await cpioOf(early));
    }
    const main = join(work, 'main');
    writeTree(main, spec.files);
    parts.push(await compress(await cpioOf(main), spec.compression, work));
    rmSync(main, { recursive: true, force: true });
    writeFileSync(join(work, 'initramfs.img'), Buffer.concat(parts));
  });
  return new Uint8Array(readFileSync(join(dir, 'initramfs.img')));
}

/** The kernel the mkinitramfs images are made of: the named test kernel, not whatever the host has first. */
export function hostKernel(): string | undefined {
  return testKernel()?.version;
}

export function canMkinitramfs(): boolean {
  return (
    requireTools('mkinitramfs', 'cpio', 'zstd') &&
    requireTestKernel() &&
    (existsSync('/etc/initramfs-tools/initramfs.conf') ||
      missingPrerequisite('/etc/initramfs-tools/initramfs.conf (Debian package initramfs-tools)'))
  );
}

/**
 * A real initramfs-tools image of the test kernel. `most`: initramfs-tools' default, every block
 * and virtio driver; `none`: `MODULES=list` with an empty list, as a builder that trims the image
 * to its build host's hardware might leave it (no virtio_blk). Every test file that needs one
 * shares the one cached build, made once under the cache lock: two vitest workers building it at
 * once into one path was a real failure.
 */
export async function buildMkinitramfs(modules: 'most' | 'none'): Promise<{ version: string; path: string }> {
  const version = hostKernel();
  if (!version) throw new Error('no test kernel module tree');
  const dir = await cachedBuild(`linux-drivers/mkinitramfs-${version}-${modules}`, async (scratch) => {
    const conf = join(scratch, 'conf');
    await run('cp', ['-r', '/etc/initramfs-tools/.', conf]);
    const cfg = readFileSync(join(conf, 'initramfs.conf'), 'utf8')
      .replace(/^MODULES=.*$/m, `MODULES=${modules === 'most' ? 'most' : 'list'}`)
      .replace(/^COMPRESS=.*$/m, 'COMPRESS=zstd');
    writeFileSync(join(conf, 'initramfs.conf'), cfg);
    if (modules === 'none') writeFileSync(join(conf, 'modules'), '');
    await run('mkinitramfs', ['-d', conf, '-o', join(scratch, 'initrd.img'), version]);
    rmSync(conf, { recursive: true, force: true });
  });
  return { version, path: join(dir, 'initrd.img') };
}
