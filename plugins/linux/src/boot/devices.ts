import {
  type CollectContext,
  createGuestTree,
  type FilesystemInfoV2,
  filesystemOnPartition,
  type GuestTreeV2,
  type ImageLayoutV2,
  mapperName,
  resolveDeviceSpec,
} from '@imagecheck/sdk';

/** GPT type of the EFI system partition (UEFI 2.10 §5.3.3) and its MBR type byte. */
export const ESP_GPT_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
export const ESP_MBR_TYPE = '0xEF';
/** GPT "BIOS boot" partition, where GRUB's i386-pc core.img lives on GPT disks. */
export const BIOS_BOOT_GPT_TYPE = '21686148-6449-6E6F-744E-656564454649';

/** How a device reference resolved against the image layout. */
export interface Resolution {
  readonly resolved: boolean;
  /** The filesystem id it names, when it names one. */
  readonly filesystem?: string;
  readonly type?: string;
  /** Why it did not resolve, or what is uncertain about it. */
  readonly note?: string;
}

function found(fs: FilesystemInfoV2 | undefined, what: string): Resolution {
  if (!fs) return { resolved: false, note: `no filesystem with ${what} in the image` };
  return { resolved: true, filesystem: fs.id, type: fs.type };
}

/**
 * Resolves a Linux device spec as the kernel command line (`root=`) writes it, with the one
 * device-spec resolver. Kernel names of the first disk (`/dev/sda1`) resolve by partition number,
 * with a note: the name the kernel gives a disk depends on the driver (`vda`, `xvda`, `nvme0n1`).
 */
export function resolveLinuxDevice(layout: ImageLayoutV2, spec: string): Resolution {
  const r = resolveDeviceSpec(layout, spec);
  const note = r.kernelName
    ? `${spec} is a kernel device name: it changes with the disk driver (vda, xvda, nvme0n1)`
    : undefined;
  if (r.filesystem === undefined)
    return { resolved: false, note: note === undefined ? r.reason : `${r.reason}; ${note}` };
  return {
    resolved: true,
    filesystem: r.filesystem.id,
    type: r.filesystem.type,
    ...(note === undefined ? {} : { note }),
  };
}

/** GRUB's name of the device holding a filesystem: `hd0,gpt2`, `hd0,msdos1`, `lvm/vg-lv`, `hd0`. */
export function grubDeviceName(layout: ImageLayoutV2, fs: FilesystemInfoV2): string {
  const loc = fs.location;
  if (loc.kind === 'partition')
    return `hd0,${layout.disk.partitionTable === 'gpt' ? 'gpt' : 'msdos'}${loc.partition}`;
  if (loc.kind === 'lvm') return `lvm/${mapperName(loc.vg, loc.lv)}`;
  return 'hd0';
}

/** The filesystem id a GRUB device name (`hd0,gpt2`, `(hd0,msdos1)`, `lvm/vg-root`) points at. */
export function resolveGrubDevice(layout: ImageLayoutV2, device: string): Resolution {
  const d = device.replace(/^\((.*)\)$/, '$1');
  const part = /^hd0,(?:gpt|msdos)?(\d+)$/.exec(d);
  if (part) return found(filesystemOnPartition(layout, Number(part[1])), `partition ${part[1]}`);
  if (d === 'hd0')
    return found(
      layout.filesystems.find((f) => f.location.kind === 'disk'),
      'the whole disk',
    );
  const lvm = /^lvm\/(.+)$/.exec(d);
  if (lvm) {
    const fs = layout.filesystems.find(
      (f) => f.location.kind === 'lvm' && mapperName(f.location.vg, f.location.lv) === lvm[1],
    );
    return found(fs, `LV ${lvm[1]}`);
  }
  return { resolved: false, note: `GRUB device ${device} is not one imagecheck maps offline` };
}

/** The EFI system partition's filesystem: the one the guest mounts at /boot/efi, else by partition type. */
export function espFilesystem(ctx: Pick<CollectContext, 'layout' | 'guest'>): FilesystemInfoV2 | undefined {
  const { layout, guest } = ctx;
  const mounted = guest?.mounts.find((m) => m.mountpoint === '/boot/efi' || m.mountpoint === '/efi');
  const byMount = mounted?.filesystem
    ? layout.filesystems.find((f) => f.id === mounted.filesystem)
    : undefined;
  if (byMount) return byMount;
  const esp = layout.disk.partitions.find(
    (p) => p.type.toUpperCase() === ESP_GPT_TYPE || p.type.toUpperCase() === '0XEF',
  );
  return esp ? filesystemOnPartition(layout, esp.number) : undefined;
}

/**
 * Filesystems as GRUB sees them (each on its own, not the guest's mounts), opened once per
 * collector run. Bounded by the layout's filesystems, so a plain map.
 */
export class FsCache {
  readonly #ctx: Pick<CollectContext, 'access'>;
  readonly #trees = new Map<string, Promise<GuestTreeV2>>();
  constructor(ctx: Pick<CollectContext, 'access'>) {
    this.#ctx = ctx;
  }
  open(id: string): Promise<GuestTreeV2> {
    let t = this.#trees.get(id);
    if (!t) {
      t = this.#ctx.access.openFilesystem(id).then((fs) => createGuestTree([{ mountpoint: '/', fs }]));
      this.#trees.set(id, t);
    }
    return t;
  }
}

/**
 * Where a guest path lives: the filesystem mounted at its longest mount-point prefix and the path
 * inside that filesystem. Used to hand GRUB (which sees filesystems, not the guest's mounts) the
 * right device for a config file found through the guest tree.
 */
export function locateGuestPath(
  ctx: Pick<CollectContext, 'guest'>,
  path: string,
): { filesystem: string; mountpoint: string; inner: string } | undefined {
  const guest = ctx.guest;
  if (!guest) return undefined;
  const mounts = [
    { mountpoint: '/', filesystem: guest.root.filesystem },
    ...guest.mounts.filter((m) => m.filesystem !== undefined && m.mountpoint !== '/'),
  ];
  let best: { mountpoint: string; filesystem: string } | undefined;
  for (const m of mounts) {
    const mp = m.mountpoint;
    const under = mp === '/' || path === mp || path.startsWith(`${mp}/`);
    if (under && m.filesystem && (!best || mp.length >= best.mountpoint.length)) {
      best = { mountpoint: mp, filesystem: m.filesystem };
    }
  }
  if (!best) return undefined;
  const inner = best.mountpoint === '/' ? path : path.slice(best.mountpoint.length) || '/';
  return { ...best, inner };
}
