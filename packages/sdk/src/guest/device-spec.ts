import type { FilesystemInfoV2, ImageLayoutV2 } from '@imagecheck/access';

/**
 * The one device-spec resolver: what a device reference in a guest's configuration names among
 * the filesystems of this image, the way udev names devices on the booted instance. Used for
 * guest assembly (fstab), the fstab fact, the kernel's `root=`, GRUB's `search`, and the
 * command's `--filesystem`.
 *
 * Spellings: `UUID=`, `LABEL=`, `PARTUUID=`, `PARTLABEL=` (values optionally in double quotes),
 * `/dev/disk/by-uuid|by-label|by-partuuid|by-partlabel/…` (udev's `\x20` escapes),
 * `/dev/disk/by-id/dm-name-…`, `/dev/disk/by-id/…` and `/dev/disk/by-path/…` (the old hardware),
 * `/dev/mapper/<vg>-<lv>` (device-mapper doubles dashes inside names), `/dev/<vg>/<lv>`, and
 * kernel names. The image becomes the instance's first disk: kernel names of the first disk
 * (`/dev/sda2`, `/dev/vda2`, `/dev/xvda2`, `/dev/hda2`, `/dev/nvme0n1p2`, `/dev/mmcblk0p2`, and
 * the whole disk without a number) resolve by partition number and are flagged, since the name
 * depends on the disk's bus; names of other disks (`/dev/sdb1`, `/dev/nvme1n1p1`) do not resolve.
 */

export type DeviceSpecKind =
  | 'uuid'
  | 'label'
  | 'partuuid'
  | 'partlabel'
  | 'device'
  | 'mapper'
  | 'lvm'
  | 'by-id'
  | 'by-path'
  /** The command's shorthands: a partition number, `VG/LV`, a filesystem id. */
  | 'shorthand'
  | 'unknown';

export interface DeviceSpecResolution {
  readonly kind: DeviceSpecKind;
  /** The filesystem (or swap area) the spec names, when the image has it. */
  readonly filesystem?: FilesystemInfoV2;
  /** How it matched (`UUID matches p2`) or why it did not. */
  readonly reason: string;
  /** A kernel name of the first disk: it resolves, but changes with the disk bus (vda, nvme0n1). */
  readonly kernelName?: boolean;
  /** Names hardware the instance will not have: a by-id serial, a by-path bus position, another disk. */
  readonly hardwareName?: boolean;
  /** A dm-crypt target named in the guest's crypttab (given in `cryptTargets`). */
  readonly crypt?: boolean;
}

export interface ResolveDeviceSpecOptions {
  /** Names of dm-crypt targets (`/etc/crypttab`'s first fields): `/dev/mapper/<name>` is one of those. */
  readonly cryptTargets?: ReadonlySet<string>;
  /** Accept the command's shorthands: a partition number, `VG/LV`, a filesystem id (`p2`, `lvm/vg/lv`). */
  readonly shorthand?: boolean;
}

/** First-disk kernel names: `sda`, `vda`, `xvda`, `hda` + partition, or `nvme0n1`/`mmcblk0` + `p` + partition. */
const FIRST_DISK = /^\/dev\/(?:(?:sd|vd|xvd|hd)a(\d*)|(?:nvme0n1|mmcblk0)(?:p(\d+))?)$/;
/** Any kernel disk or partition name. */
const KERNEL_NAME =
  /^\/dev\/(?:(?:sd|vd|xvd|hd)[a-z]+\d*|nvme\d+n\d+(?:p\d+)?|mmcblk\d+(?:p\d+)?|md\d+(?:p\d+)?|dm-\d+)$/;

/** udev writes by-label and by-partlabel names with `\x20`-style escapes. */
function udevUnescape(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

function unquote(s: string): string {
  return s.replace(/^"(.*)"$/, '$1');
}

/** `/dev/mapper/<vg>-<lv>`: device-mapper doubles dashes inside VG and LV names. */
export function splitMapperName(name: string): { vg: string; lv: string } | undefined {
  const m = /^((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(name);
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  return { vg: m[1].replace(/--/g, '-'), lv: m[2].replace(/--/g, '-') };
}

/** The device-mapper name of an LV (`my-vg`/`root` → `my--vg-root`). */
export function mapperName(vg: string, lv: string): string {
  return `${vg.replaceAll('-', '--')}-${lv.replaceAll('-', '--')}`;
}

/** The filesystem on partition `n`, if one was recognised there. */
export function filesystemOnPartition(layout: ImageLayoutV2, n: number): FilesystemInfoV2 | undefined {
  return layout.filesystems.find((f) => f.location.kind === 'partition' && f.location.partition === n);
}

/** The filesystem on LV `vg/lv`, if one was recognised there. */
export function filesystemOnLv(layout: ImageLayoutV2, vg: string, lv: string): FilesystemInfoV2 | undefined {
  return layout.filesystems.find(
    (f) => f.location.kind === 'lvm' && f.location.vg === vg && f.location.lv === lv,
  );
}

/** The kind of a device spec, from its spelling alone. */
export function classifyDeviceSpec(spec: string): DeviceSpecKind {
  const eq = /^(UUID|LABEL|PARTUUID|PARTLABEL)=/i.exec(spec);
  if (eq?.[1] !== undefined) return eq[1].toLowerCase() as DeviceSpecKind;
  const disk = /^\/dev\/disk\/by-([a-z]+)\//.exec(spec);
  if (disk?.[1] !== undefined) {
    const by = disk[1];
    if (by === 'uuid' || by === 'label' || by === 'partuuid' || by === 'partlabel') return by;
    return by === 'path' ? 'by-path' : 'by-id';
  }
  if (spec.startsWith('/dev/mapper/')) return 'mapper';
  if (KERNEL_NAME.test(spec)) return 'device';
  if (/^\/dev\/[^/]+\/[^/]+$/.test(spec)) return 'lvm';
  return 'unknown';
}

/** Resolves a device spec against the image layout. Never throws: an unresolved spec says why. */
export function resolveDeviceSpec(
  layout: ImageLayoutV2,
  spec: string,
  options: ResolveDeviceSpecOptions = {},
): DeviceSpecResolution {
  const fss = layout.filesystems;
  const eqCase = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();
  const kind = classifyDeviceSpec(spec);
  const found = (fs: FilesystemInfoV2 | undefined, how: string, what: string): DeviceSpecResolution =>
    fs === undefined
      ? { kind, reason: `no filesystem or swap with ${what} in the image` }
      : { kind, filesystem: fs, reason: `${how} matches ${fs.id}` };
  const byPartition = (p: { number: number } | undefined, how: string, what: string): DeviceSpecResolution =>
    p === undefined
      ? { kind, reason: `no partition with ${what} in the image` }
      : found(
          filesystemOnPartition(layout, p.number),
          how,
          `a recognised filesystem on partition ${p.number}`,
        );
  const byKey = (key: DeviceSpecKind, value: string): DeviceSpecResolution => {
    switch (key) {
      case 'uuid':
        return found(
          fss.find((f) => eqCase(f.uuid, value)),
          'UUID',
          `UUID ${value}`,
        );
      case 'label':
        return found(
          fss.find((f) => f.label === value),
          'LABEL',
          `label ${value}`,
        );
      case 'partuuid':
        return byPartition(
          layout.disk.partitions.find((q) => eqCase(q.uuid, value)),
          'PARTUUID',
          `PARTUUID ${value}`,
        );
      default:
        return byPartition(
          layout.disk.partitions.find((q) => q.label === value),
          'PARTLABEL',
          `PARTLABEL ${value}`,
        );
    }
  };

  switch (kind) {
    case 'uuid':
    case 'label':
    case 'partuuid':
    case 'partlabel': {
      if (spec.startsWith('/dev/'))
        return byKey(kind, udevUnescape(spec.slice(spec.indexOf('/', '/dev/disk/'.length) + 1)));
      return byKey(kind, unquote(spec.slice(spec.indexOf('=') + 1)));
    }
    case 'mapper': {
      const name = spec.slice('/dev/mapper/'.length);
      if (options.cryptTargets?.has(name)) {
        return { kind, reason: `${name} is a dm-crypt target of /etc/crypttab`, crypt: true };
      }
      const n = splitMapperName(name);
      if (n === undefined) {
        const crypt = options.cryptTargets === undefined ? '' : ' and not in /etc/crypttab';
        return { kind, reason: `${spec} is not a <vg>-<lv> device-mapper name${crypt}` };
      }
      return found(filesystemOnLv(layout, n.vg, n.lv), `LV ${n.vg}/${n.lv}`, `LV ${n.vg}/${n.lv}`);
    }
    case 'lvm': {
      const m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(spec);
      const vg = m?.[1] ?? '';
      const lv = m?.[2] ?? '';
      return found(filesystemOnLv(layout, vg, lv), `LV ${vg}/${lv}`, `LV ${vg}/${lv}`);
    }
    case 'device': {
      const first = FIRST_DISK.exec(spec);
      if (first === null) {
        return {
          kind,
          hardwareName: true,
          reason: `${spec} names another disk; the image is the instance's first disk`,
        };
      }
      const n = first[1] || first[2];
      const r =
        n === undefined || n === ''
          ? found(
              fss.find((f) => f.location.kind === 'disk'),
              'whole-disk device',
              'a filesystem on the whole disk',
            )
          : found(
              filesystemOnPartition(layout, Number(n)),
              `partition ${n}`,
              `a recognised filesystem on partition ${n}`,
            );
      return { ...r, kernelName: true };
    }
    case 'by-id': {
      const m = /^\/dev\/disk\/by-id\/dm-name-(.+)$/.exec(spec);
      if (m?.[1] !== undefined) return { ...resolveDeviceSpec(layout, `/dev/mapper/${m[1]}`, options), kind };
      return {
        kind,
        hardwareName: true,
        reason: `${spec} names the disk by the serial number of the old hardware`,
      };
    }
    case 'by-path':
      return {
        kind,
        hardwareName: true,
        reason: `${spec} names the disk by its bus position on the old hardware`,
      };
    default:
      break;
  }
  if (options.shorthand) {
    const fs = /^\d+$/.test(spec)
      ? filesystemOnPartition(layout, Number(spec))
      : (fss.find((f) => f.id === spec) ??
        fss.find((f) => f.location.kind === 'lvm' && `${f.location.vg}/${f.location.lv}` === spec));
    if (fs !== undefined) return { kind: 'shorthand', filesystem: fs, reason: `${spec} is ${fs.id}` };
    return { kind: 'shorthand', reason: `no filesystem ${spec} in the image` };
  }
  return { kind, reason: `${spec} is not a device source imagecheck can resolve` };
}
