import type { FilesystemInfoV2, ImageLayoutV2 } from '@imagecheck/access';

/** What an fstab source (or a `root=` kernel argument) points at in this image. */
export interface ResolvedSpec {
  /** The filesystem id, when the source resolves to one found in the image. */
  readonly filesystem?: string;
  /** How it was matched (`UUID`, `PARTUUID`, `device name`) or, when unresolved, why not. */
  readonly reason: string;
}

/** udev writes by-label / by-partlabel names with `\x20`-style escapes. */
function udevUnescape(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

function onPartition(layout: ImageLayoutV2, n: number): FilesystemInfoV2 | undefined {
  return layout.filesystems.find((f) => f.location.kind === 'partition' && f.location.partition === n);
}

/**
 * `/dev/mapper/<vg>-<lv>`: device-mapper doubles dashes inside the VG and LV names, so the
 * separator is the single dash.
 */
function splitMapperName(name: string): { vg: string; lv: string } | undefined {
  const m = /^((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(name);
  if (m === null) return undefined;
  return { vg: (m[1] ?? '').replace(/--/g, '-'), lv: (m[2] ?? '').replace(/--/g, '-') };
}

/**
 * Resolves a device spec the way the guest's udev and mount would: `UUID=`, `LABEL=`, `PARTUUID=`,
 * `PARTLABEL=`, `/dev/disk/by-*`, `/dev/mapper/vg-lv`, `/dev/vg/lv`, and kernel names of the first
 * disk (`/dev/sda2`, `/dev/vda2`, `/dev/xvda2`, `/dev/nvme0n1p2`, `/dev/mmcblk0p2`).
 */
export function resolveDeviceSpec(layout: ImageLayoutV2, spec: string): ResolvedSpec {
  const fss = layout.filesystems;
  const byUuid = (u: string) =>
    fss.find((f) => f.uuid !== undefined && f.uuid.toLowerCase() === u.toLowerCase());
  const byLabel = (l: string) => fss.find((f) => f.label === l);
  const byPartUuid = (u: string) => {
    const p = layout.disk.partitions.find(
      (q) => q.uuid !== undefined && q.uuid.toLowerCase() === u.toLowerCase(),
    );
    return p === undefined ? undefined : onPartition(layout, p.number);
  };
  const byPartLabel = (l: string) => {
    const p = layout.disk.partitions.find((q) => q.label === l);
    return p === undefined ? undefined : onPartition(layout, p.number);
  };
  const lv = (vg: string, name: string) =>
    fss.find((f) => f.location.kind === 'lvm' && f.location.vg === vg && f.location.lv === name);

  const result = (f: FilesystemInfoV2 | undefined, how: string, what: string): ResolvedSpec =>
    f !== undefined
      ? { filesystem: f.id, reason: how }
      : { reason: `no filesystem with ${what} in the image` };

  const eq = /^(UUID|LABEL|PARTUUID|PARTLABEL)=(.*)$/i.exec(spec);
  if (eq !== null) {
    const key = (eq[1] ?? '').toUpperCase();
    const value = (eq[2] ?? '').replace(/^"(.*)"$/, '$1');
    if (key === 'UUID') return result(byUuid(value), 'UUID', `UUID ${value}`);
    if (key === 'LABEL') return result(byLabel(value), 'LABEL', `label ${value}`);
    if (key === 'PARTUUID') return result(byPartUuid(value), 'PARTUUID', `PARTUUID ${value}`);
    return result(byPartLabel(value), 'PARTLABEL', `PARTLABEL ${value}`);
  }
  const disk = /^\/dev\/disk\/by-(uuid|label|partuuid|partlabel)\/(.+)$/.exec(spec);
  if (disk !== null) {
    const value = udevUnescape(disk[2] ?? '');
    switch (disk[1]) {
      case 'uuid':
        return result(byUuid(value), 'UUID', `UUID ${value}`);
      case 'label':
        return result(byLabel(value), 'LABEL', `label ${value}`);
      case 'partuuid':
        return result(byPartUuid(value), 'PARTUUID', `PARTUUID ${value}`);
      default:
        return result(byPartLabel(value), 'PARTLABEL', `PARTLABEL ${value}`);
    }
  }
  const mapper = /^\/dev\/mapper\/(.+)$/.exec(spec);
  if (mapper !== null) {
    const names = splitMapperName(mapper[1] ?? '');
    if (names === undefined) return { reason: `${spec} is not a vg-lv device-mapper name` };
    return result(lv(names.vg, names.lv), 'LVM', `LV ${names.vg}/${names.lv}`);
  }
  const kernel =
    /^\/dev\/(?:(?:sd|vd|xvd|hd)a(\d+)|(?:nvme0n1|mmcblk0)p(\d+)|(sd|vd|xvd|hd)a|nvme0n1|mmcblk0)$/.exec(
      spec,
    );
  if (kernel !== null) {
    const n = kernel[1] ?? kernel[2];
    if (n === undefined)
      return result(
        fss.find((f) => f.location.kind === 'disk'),
        'device name',
        `whole-disk ${spec}`,
      );
    return result(onPartition(layout, Number(n)), 'device name', `partition ${n} (${spec})`);
  }
  const otherDisk = /^\/dev\/((?:sd|vd|xvd|hd)[b-z]|nvme[1-9]\d*n\d+|nvme0n[2-9]|mmcblk[1-9])/.exec(spec);
  if (otherDisk !== null) {
    return { reason: `${spec} is on another disk (${otherDisk[1]}); this image is the first disk` };
  }
  const vglv = /^\/dev\/([^/]+)\/([^/]+)$/.exec(spec);
  if (vglv !== null && vglv[1] !== 'disk') {
    return result(lv(vglv[1] ?? '', vglv[2] ?? ''), 'LVM', `LV ${vglv[1]}/${vglv[2]}`);
  }
  return { reason: `${spec} is not a device name imagecheck can resolve` };
}
