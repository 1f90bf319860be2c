import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

const execFileP = promisify(execFile);

const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The Debian package that provides each tool the tests call, so that a failure under CI says
 * what to install. `.ci/run` installs every one of these packages.
 */
export const DEBIAN_PACKAGE: Readonly<Record<string, string>> = {
  'qemu-img': 'qemu-utils',
  'qemu-nbd': 'qemu-utils',
  'qemu-system-x86_64': 'qemu-system-x86',
  mke2fs: 'e2fsprogs',
  'mkfs.ext4': 'e2fsprogs',
  debugfs: 'e2fsprogs',
  e2fsck: 'e2fsprogs',
  dumpe2fs: 'e2fsprogs',
  'mkfs.xfs': 'xfsprogs',
  xfs_db: 'xfsprogs',
  xfs_io: 'xfsprogs',
  'mkfs.btrfs': 'btrfs-progs',
  btrfs: 'btrfs-progs',
  'mkfs.fat': 'dosfstools',
  mcopy: 'mtools',
  mdel: 'mtools',
  mmd: 'mtools',
  sgdisk: 'gdisk',
  sfdisk: 'fdisk',
  pvcreate: 'lvm2',
  vgcreate: 'lvm2',
  lvcreate: 'lvm2',
  blkid: 'util-linux',
  losetup: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  mkfifo: 'coreutils',
  find: 'findutils',
  sh: 'dash',
  bash: 'bash',
  'mkfs.exfat': 'exfatprogs',
  tmux: 'tmux',
  gzip: 'gzip',
  zstd: 'zstd',
  xz: 'xz-utils',
  lzma: 'xz-utils',
  lz4: 'lz4',
  lzop: 'lzop',
  bzip2: 'bzip2',
  cpio: 'cpio',
  'grub-mkimage': 'grub-common',
  'grub-editenv': 'grub-common',
  'grub-install': 'grub-pc-bin',
  mkinitramfs: 'initramfs-tools',
  unmkinitramfs: 'initramfs-tools',
  mmdebstrap: 'mmdebstrap',
  newuidmap: 'uidmap',
  dracut: 'dracut-core',
  cryptsetup: 'cryptsetup-bin',
  mksquashfs: 'squashfs-tools',
  xorriso: 'xorriso',
  'ntfs-3g': 'ntfs-3g',
  'mkfs.ntfs': 'ntfs-3g',
  mkntfs: 'ntfs-3g',
  ntfsls: 'ntfs-3g',
  ntfscat: 'ntfs-3g',
  ntfsinfo: 'ntfs-3g',
  fusermount3: 'fuse3',
  setfattr: 'attr',
  getfattr: 'attr',
  wimcapture: 'wimtools',
  wimapply: 'wimtools',
  fls: 'sleuthkit',
  icat: 'sleuthkit',
  tsk_recover: 'sleuthkit',
  hivexsh: 'libhivex-bin',
  hivexregedit: 'libwin-hivex-perl',
  perl: 'perl',
  'x86_64-w64-mingw32-gcc': 'mingw-w64',
  'x86_64-w64-mingw32-windres': 'mingw-w64',
  exiftool: 'libimage-exiftool-perl',
  python3: 'python3',
  truncate: 'coreutils',
  '/usr/lib/grub/i386-pc/boot.img': 'grub-pc-bin',
  '/usr/lib/syslinux/mbr/mbr.bin': 'syslinux-common',
  '/usr/lib/syslinux/mbr/gptmbr.bin': 'syslinux-common',
};

/** Whether a name is an absolute path to a file (a library) rather than a tool on the PATH. */
const isPath = (t: string): boolean => t.startsWith('/');

/** The absolute path of a system tool, or undefined when it is not installed. */
export function which(tool: string): string | undefined {
  if (isPath(tool)) return existsSync(tool) ? tool : undefined;
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...PATH_DIRS];
  for (const d of dirs) {
    const p = join(d, tool);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Whether every tool is installed, without judging it: for code that picks a path by what is
 * there. A test that cannot run without the tools guards itself with `requireTools`.
 */
export function hasTools(...tools: string[]): boolean {
  return tools.every((t) => which(t) !== undefined);
}

/** Whether missing test prerequisites fail the run (`CI=true`, as `.ci/run` sets) instead of skipping. */
export function strictPrerequisites(): boolean {
  return process.env.CI === 'true';
}

/** A test prerequisite that is missing under `CI=true`. */
export class MissingPrerequisiteError extends Error {
  override readonly name = 'MissingPrerequisiteError';
}

/**
 * The one guard for tests that need system tools (or library files, by absolute path): true when
 * all are there, so the test runs. When one is missing it returns false (the test skips), except
 * under `CI=true`, where it throws naming each missing tool and the Debian package to install:
 * the CI machine is meant to have them all, and a skip there would hide a gap.
 */
export function requireTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => which(t) === undefined);
  return missing.length === 0 || missingPrerequisite(describeTools(missing));
}

/** Tools named with the Debian package that provides each: `xz (Debian package xz-utils), …`. */
export function describeTools(tools: readonly string[]): string {
  return tools.map((t) => (DEBIAN_PACKAGE[t] ? `${t} (Debian package ${DEBIAN_PACKAGE[t]})` : t)).join(', ');
}

/**
 * The same rule for a prerequisite that is not a tool (a kernel, a Python module): false outside
 * CI, a `MissingPrerequisiteError` naming `what` under `CI=true`.
 */
export function missingPrerequisite(what: string): false {
  if (strictPrerequisites()) {
    throw new MissingPrerequisiteError(`CI=true and this test needs ${what}, which is not installed`);
  }
  return false;
}

/** Runs a tool, resolving sbin paths, and returns stdout; throws with stderr on failure. */
export async function run(
  tool: string,
  args: readonly string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const bin = which(tool) ?? tool;
  const child = execFileP(bin, [...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input);
  }
  const { stdout } = await child;
  return stdout;
}

/** Runs a tool and returns its stdout as bytes; throws with stderr on failure. */
export async function runBytes(tool: string, args: readonly string[]): Promise<Buffer> {
  const { stdout } = await execFileP(which(tool) ?? tool, [...args], {
    encoding: 'buffer',
    maxBuffer: 512 * 1024 * 1024,
  });
  return stdout;
}

/** Runs `tool` with `input` on stdin and returns its stdout. */
export function pipe(tool: string, args: readonly string[], input: Uint8Array): Uint8Array {
  return new Uint8Array(
    execFileSync(which(tool) ?? tool, [...args], { input, maxBuffer: 512 * 1024 * 1024 }),
  );
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The bytes of a corpus file, its `.gz` or `.xz` wrapper removed (`.xz` with the real xz tool).
 * Each package keeps its own corpus folder and passes it in.
 */
export function corpusFile(dir: string, name: string): Uint8Array {
  const path = join(dir, name);
  if (name.endsWith('.gz')) return gunzipSync(readFileSync(path));
  if (name.endsWith('.xz'))
    return execFileSync(which('xz') ?? 'xz', ['-dc', path], { maxBuffer: 512 * 1024 * 1024 });
  return readFileSync(path);
}
