/**
 * Every device spelling a guest's configuration may use, through the one resolver, against the
 * layout of a real image: a GPT disk (sgdisk) with an ESP (mkfs.fat), an ext4 /boot and an LVM
 * volume group holding the root and /var (mke2fs, lvm). The identities on the right come from
 * the tools: UUIDs and labels as mke2fs and mkfs.fat were told, PARTUUIDs and partition names as
 * sfdisk reads them back.
 */
import { openNative } from '@imagecheck/access-native';
import type { GuestAccessV2, ImageLayoutV2 } from '@imagecheck/sdk';
import { classifyDeviceSpec, resolveDeviceSpec } from '@imagecheck/sdk';
import { buildGuestDisk, canBuildGuest, GUEST, sfdiskJson } from '@imagecheck/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Row {
  /** How the spec is built from the tools' answers. */
  spec: (ids: Ids) => string;
  kind: string;
  /** The filesystem id it names, or undefined when it must not resolve. */
  fs: string | undefined;
  kernelName?: boolean;
  hardwareName?: boolean;
  crypt?: boolean;
  shorthand?: boolean;
}

interface Ids {
  partuuid: (n: number) => string;
  partlabel: (n: number) => string;
}

const ESP_UUID = `${GUEST.espId.slice(0, 4)}-${GUEST.espId.slice(4)}`;

const ROWS: Row[] = [
  { spec: () => `UUID=${GUEST.rootUuid}`, kind: 'uuid', fs: 'lvm/vg0/root' },
  { spec: () => `UUID="${GUEST.bootUuid}"`, kind: 'uuid', fs: 'p2' },
  { spec: () => `uuid=${GUEST.varUuid.toUpperCase()}`, kind: 'uuid', fs: 'lvm/vg0/var' },
  { spec: () => `UUID=${ESP_UUID}`, kind: 'uuid', fs: 'p1' },
  { spec: () => 'UUID=00000000-0000-4000-8000-000000000000', kind: 'uuid', fs: undefined },
  { spec: () => 'LABEL=boot', kind: 'label', fs: 'p2' },
  { spec: () => 'LABEL=EFI', kind: 'label', fs: 'p1' },
  { spec: () => 'LABEL=Boot', kind: 'label', fs: undefined },
  { spec: (i) => `PARTUUID=${i.partuuid(2)}`, kind: 'partuuid', fs: 'p2' },
  { spec: (i) => `PARTUUID=${i.partuuid(1).toLowerCase()}`, kind: 'partuuid', fs: 'p1' },
  // Partition 3 is the LVM PV: a partition, but no filesystem on it.
  { spec: (i) => `PARTUUID=${i.partuuid(3)}`, kind: 'partuuid', fs: undefined },
  { spec: (i) => `PARTLABEL=${i.partlabel(2)}`, kind: 'partlabel', fs: 'p2' },
  { spec: () => `/dev/disk/by-uuid/${GUEST.bootUuid}`, kind: 'uuid', fs: 'p2' },
  { spec: () => '/dev/disk/by-label/boot', kind: 'label', fs: 'p2' },
  { spec: (i) => `/dev/disk/by-partuuid/${i.partuuid(1)}`, kind: 'partuuid', fs: 'p1' },
  { spec: (i) => `/dev/disk/by-partlabel/${i.partlabel(1)}`, kind: 'partlabel', fs: 'p1' },
  { spec: () => '/dev/disk/by-id/dm-name-vg0-root', kind: 'by-id', fs: 'lvm/vg0/root' },
  {
    spec: () => '/dev/disk/by-id/ata-QEMU_HARDDISK_QM00001-part2',
    kind: 'by-id',
    fs: undefined,
    hardwareName: true,
  },
  {
    spec: () => '/dev/disk/by-path/pci-0000:00:04.0-part2',
    kind: 'by-path',
    fs: undefined,
    hardwareName: true,
  },
  { spec: () => '/dev/mapper/vg0-root', kind: 'mapper', fs: 'lvm/vg0/root' },
  { spec: () => '/dev/mapper/vg0-var', kind: 'mapper', fs: 'lvm/vg0/var' },
  { spec: () => '/dev/mapper/vg0-swap', kind: 'mapper', fs: undefined },
  { spec: () => '/dev/mapper/cryptroot', kind: 'mapper', fs: undefined, crypt: true },
  { spec: () => '/dev/vg0/root', kind: 'lvm', fs: 'lvm/vg0/root' },
  { spec: () => '/dev/vg0/var', kind: 'lvm', fs: 'lvm/vg0/var' },
  { spec: () => '/dev/sda2', kind: 'device', fs: 'p2', kernelName: true },
  { spec: () => '/dev/vda1', kind: 'device', fs: 'p1', kernelName: true },
  { spec: () => '/dev/xvda2', kind: 'device', fs: 'p2', kernelName: true },
  { spec: () => '/dev/hda2', kind: 'device', fs: 'p2', kernelName: true },
  { spec: () => '/dev/nvme0n1p2', kind: 'device', fs: 'p2', kernelName: true },
  { spec: () => '/dev/mmcblk0p1', kind: 'device', fs: 'p1', kernelName: true },
  { spec: () => '/dev/sda3', kind: 'device', fs: undefined, kernelName: true },
  { spec: () => '/dev/sdb1', kind: 'device', fs: undefined, hardwareName: true },
  { spec: () => '/dev/nvme1n1p1', kind: 'device', fs: undefined, hardwareName: true },
  { spec: () => '/dev/vdb', kind: 'device', fs: undefined, hardwareName: true },
  { spec: () => 'tmpfs', kind: 'unknown', fs: undefined },
  { spec: () => '2', kind: 'shorthand', fs: 'p2', shorthand: true },
  { spec: () => 'vg0/var', kind: 'shorthand', fs: 'lvm/vg0/var', shorthand: true },
  { spec: () => 'lvm/vg0/root', kind: 'shorthand', fs: 'lvm/vg0/root', shorthand: true },
  { spec: () => 'p9', kind: 'shorthand', fs: undefined, shorthand: true },
];

describe.skipIf(!canBuildGuest())(
  'one device-spec resolver, every spelling, on a real GPT + LVM image',
  () => {
    let access: GuestAccessV2;
    let layout: ImageLayoutV2;
    let ids: Ids;
    beforeAll(async () => {
      const fixture = await buildGuestDisk();
      const table = await sfdiskJson(fixture.image);
      const part = (n: number) => {
        const p = table.partitions[n - 1];
        if (p === undefined) throw new Error(`sfdisk shows no partition ${n}`);
        return p;
      };
      ids = {
        partuuid: (n) => part(n).uuid ?? '',
        partlabel: (n) => part(n).name ?? '',
      };
      access = await openNative(fixture.image);
      layout = await access.inspect();
    });
    afterAll(async () => {
      await access?.close();
    });

    it.each(ROWS.map((r) => [r.spec.toString().replace(/^\(i?\) => /, ''), r] as const))('%s', (_, row) => {
      const spec = row.spec(ids);
      const r = resolveDeviceSpec(layout, spec, {
        cryptTargets: new Set(['cryptroot']),
        ...(row.shorthand ? { shorthand: true } : {}),
      });
      if (!row.shorthand) expect(classifyDeviceSpec(spec)).toBe(row.kind);
      expect(r.kind).toBe(row.kind);
      expect(r.filesystem?.id).toBe(row.fs);
      expect(r.kernelName === true).toBe(row.kernelName === true);
      expect(r.hardwareName === true).toBe(row.hardwareName === true);
      expect(r.crypt === true).toBe(row.crypt === true);
      expect(r.reason.length).toBeGreaterThan(0);
    });
  },
);
