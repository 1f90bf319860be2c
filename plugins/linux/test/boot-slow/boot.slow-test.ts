/**
 * The slow boot suite (`npm run test:boot`, not part of `npm test`): boots the real Debian images
 * under QEMU with TCG (no KVM needed), console on the serial port, and checks that what the boot
 * shows agrees with the verdicts of the check on the same image:
 *  - a good image reaches `login:` on ttyS0, and the check passes every high-risk item;
 *  - an fstab naming a missing filesystem ends in systemd's emergency mode: Fstab fails;
 *  - a root UUID in grub.cfg that no filesystem has, and an initramfs without virtio_blk on a
 *    virtio disk, end in the initramfs shell: Grub, respectively Virtio, fails;
 *  - faults the check rates below high (SELinux config on a kernel without an SELinux policy,
 *    RTC in local time, a static address, no cloud-init) still boot to `login:`.
 * Each boot takes 1-3 minutes of one core; the images are never written (`-snapshot`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { requireTools } from '@imagecheck/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '../images/check.js';
import {
  buildDebianImages,
  canBuildDebianImages,
  type DebianImageName,
  type DebianImages,
  imagePath,
} from '../images/debian.js';

const OVMF_CODE = ['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_CODE.fd'].find((p) =>
  existsSync(p),
);

/** What the serial console shows, by the first of these patterns to appear. */
const OUTCOMES = {
  login: /^\S+ login: ?$/m,
  emergency: /You are in emergency mode|Give root password for maintenance/,
  initramfs: /\(initramfs\) ?$|Gave up waiting for root file system device|ALERT! .* does not exist/m,
  grubRescue: /grub rescue> ?$/m,
} as const;
type Outcome = keyof typeof OUTCOMES | 'timeout';

/** Colour and cursor sequences on the serial console, removed from the tail a failure prints. */
const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

/** The longest a boot may take under TCG on a busy 2-core machine before it counts as hung. */
const BOOT_TIMEOUT_MS = 600_000;

interface Boot {
  readonly outcome: Outcome;
  readonly ms: number;
  readonly tail: string;
}

function boot(image: string, uefi: boolean): Promise<Boot> {
  const args = [
    '-accel',
    'tcg',
    '-machine',
    'q35',
    '-m',
    '1024',
    '-smp',
    '1',
    '-nographic',
    '-snapshot',
    '-no-reboot',
    '-drive',
    `file=${image},if=virtio,format=qcow2`,
    '-netdev',
    'user,id=n0',
    '-device',
    'virtio-net-pci,netdev=n0',
  ];
  if (uefi && OVMF_CODE !== undefined)
    args.push('-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`);
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn('qemu-system-x86_64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let settled = false;
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolvePromise({
        outcome,
        ms: performance.now() - t0,
        tail: screen.slice(-3000).replace(ANSI_ESCAPE, ''),
      });
    };
    const timer = setTimeout(() => finish('timeout'), BOOT_TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      screen += d.toString('latin1');
      if (screen.length > 1 << 20) screen = screen.slice(-(1 << 19));
      const recent = screen.slice(-8192);
      for (const [name, re] of Object.entries(OUTCOMES)) {
        if (re.test(recent)) {
          finish(name as Outcome);
          return;
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', () => finish('timeout'));
  });
}

interface Case {
  readonly image: DebianImageName;
  readonly uefi?: boolean;
  readonly outcome: Outcome;
  /** The high-risk item the check must fail, when the boot fails. */
  readonly failing?: string;
}

const CASES: readonly Case[] = [
  { image: 'ext4-bios', outcome: 'login' },
  { image: 'xfs-bios', outcome: 'login' },
  { image: 'lvm-bios', outcome: 'login' },
  { image: 'ext4-uefi', uefi: true, outcome: 'login' },
  { image: 'fault-fstab-uuid', outcome: 'emergency', failing: 'GUESTOS.Fstab' },
  { image: 'fault-grub-root', outcome: 'initramfs', failing: 'GUESTOS.Grub' },
  { image: 'fault-initramfs-novirtio', outcome: 'initramfs', failing: 'GUESTOS.Virtio' },
  { image: 'fault-selinux-enforcing', outcome: 'login' },
  { image: 'fault-rtc-local', outcome: 'login' },
];

describe.skipIf(!canBuildDebianImages() || !requireTools('qemu-system-x86_64'))(
  'booting the real Debian images',
  () => {
    let images: DebianImages;
    beforeAll(async () => {
      images = await buildDebianImages(CASES.map((c) => c.image));
    });

    it.each(CASES.filter((c) => !c.uefi || OVMF_CODE !== undefined))(
      '$image boots to $outcome, and the check agrees',
      async (c) => {
        const path = imagePath(images, c.image);
        const { report } = await checkImage(path);
        const result = await boot(path, c.uefi === true);
        process.stderr.write(`boot ${c.image}: ${result.outcome} after ${(result.ms / 1000).toFixed(0)} s\n`);
        expect(result.outcome, result.tail).toBe(c.outcome);
        const highFails = report.items
          .filter((i) => i.riskLevel === 'high' && i.status === 'fail')
          .map((i) => i.name);
        if (c.outcome === 'login') expect(highFails).toEqual([]);
        else expect(highFails).toEqual([c.failing]);
      },
    );
  },
);
