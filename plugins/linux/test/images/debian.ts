/**
 * The real Debian 12 images: built on demand by `debian-images.sh` (mmdebstrap from this
 * machine's apt sources, then real mkfs/grub/LVM/qemu-img tools) and cached under the fixture
 * cache, outside the repository. See debian-images.sh for what each image holds.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureCacheDir, requireTools } from '@imagecheck/test-kit';

/** This folder; the benchmark, bundled elsewhere, names it in IMAGECHECK_DEBIAN_IMAGES_DIR. */
const scriptsDir = (): string =>
  process.env.IMAGECHECK_DEBIAN_IMAGES_DIR ?? dirname(fileURLToPath(import.meta.url));

/** Images every high-risk item must pass on. */
export const GOOD_IMAGES = ['ext4-bios', 'xfs-bios', 'lvm-bios', 'ext4-uefi'] as const;
/** ext4-bios with one fault each. */
export const FAULT_IMAGES = [
  'fault-fstab-uuid',
  'fault-grub-root',
  'fault-initramfs-novirtio',
  'fault-static-ip',
  'fault-selinux-enforcing',
  'fault-rtc-local',
  'fault-no-cloud-init',
] as const;
export type DebianImageName = (typeof GOOD_IMAGES)[number] | (typeof FAULT_IMAGES)[number];

/** What debian-images.sh writes to images.json: where the images are and the ids inside them. */
export interface DebianImages {
  readonly dir: string;
  readonly kernelVersion: string;
  readonly rootUuid: string;
  readonly xfsUuid: string;
  readonly lvmRootUuid: string;
  readonly bootUuid: string;
  readonly espUuid: string;
  /** The UUID the fault variants name and no filesystem has. */
  readonly goneUuid: string;
  readonly images: readonly string[];
}

/** The system tools the builder runs; it also needs root (mmdebstrap chroots, losetup). */
export const BUILD_TOOLS = [
  'mmdebstrap',
  'mke2fs',
  'debugfs',
  'e2fsck',
  'mkfs.xfs',
  'mkfs.fat',
  'mcopy',
  'mmd',
  'sgdisk',
  'sfdisk',
  'pvcreate',
  'losetup',
  'qemu-img',
] as const;

export function canBuildDebianImages(): boolean {
  return process.getuid?.() === 0 && requireTools(...BUILD_TOOLS);
}

export function debianCacheDir(): string {
  return fixtureCacheDir('linux-debian');
}

/**
 * Builds the named images (all when none are named) that are not cached yet, and returns the
 * manifest. The first build takes a few minutes (mmdebstrap); later ones reuse the cached root.
 */
export function buildDebianImages(names: readonly DebianImageName[] = []): Promise<DebianImages> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(scriptsDir(), 'debian-images.sh'), debianCacheDir(), ...names], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 1 << 20) err = err.slice(-(1 << 19));
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`debian-images.sh exited with ${code}:\n${err.slice(-4000)}`));
        return;
      }
      const manifest = out.trim().split('\n').at(-1) ?? '';
      try {
        resolvePromise(JSON.parse(readFileSync(manifest, 'utf8')) as DebianImages);
      } catch (e) {
        reject(e);
      }
    });
  });
}

export function imagePath(images: DebianImages, name: DebianImageName): string {
  return join(images.dir, `${name}.qcow2`);
}
