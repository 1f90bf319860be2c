import type { FilesystemInfoV2, ImageLayoutV2 } from '@imagecheck/access';
import {
  blkidAt,
  buildGpt4kDisk,
  buildGptDisk,
  buildLvmDisk,
  buildMbrDisk,
  canBuild,
  GPT_PARTS,
  LVM_LVS,
  sfdiskJson,
} from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../src/block/file-source.js';
import { readLayout } from '../../src/layout.js';

async function layoutOf(path: string): Promise<ImageLayoutV2> {
  const src = await FileSource.open(path);
  try {
    return (await readLayout(src, { format: 'raw' })).layout;
  } finally {
    await src.close();
  }
}

/** Our partition list against `sfdisk --json` of the same image. */
async function expectSameAsSfdisk(path: string, layout: ImageLayoutV2, sectorSize = 512): Promise<void> {
  const pt = await sfdiskJson(path, sectorSize);
  const ours = layout.disk.partitions.map((p) => ({
    n: p.number,
    start: p.start / sectorSize,
    size: p.size / sectorSize,
  }));
  const theirs = pt.partitions.map((p) => ({
    n: Number(/(\d+)$/.exec(p.node)?.[1]),
    start: p.start,
    size: p.size,
  }));
  expect(ours).toEqual(theirs);
  for (const p of pt.partitions) {
    const mine = layout.disk.partitions.find((q) => q.start === p.start * sectorSize);
    if (pt.label === 'gpt') expect(mine?.type).toBe(p.type.toUpperCase());
    else expect(mine?.type).toBe(`0x${p.type.padStart(2, '0')}`);
  }
}

/** Every filesystem we found on a partition against `blkid -p` on the same byte range. */
async function expectSameAsBlkid(path: string, fs: FilesystemInfoV2, start: number): Promise<void> {
  const kv = await blkidAt(path, start, fs.size);
  const type = kv.TYPE === 'crypto_LUKS' ? 'luks' : kv.TYPE;
  expect({ type: fs.type, uuid: fs.uuid, label: fs.label, sub: fs.subUuid }).toEqual({
    type,
    uuid: kv.UUID,
    label: kv.LABEL,
    sub: kv.UUID_SUB,
  });
}

describe.skipIf(!canBuild.mbr())('MBR disk with logical partitions (sfdisk)', () => {
  it('matches sfdisk --json and blkid', async () => {
    const path = await buildMbrDisk();
    const layout = await layoutOf(path);
    expect(layout.disk.partitionTable).toBe('mbr');
    expect(layout.disk.diskId).toBe('1234abcd');
    await expectSameAsSfdisk(path, layout);
    expect(layout.disk.partitions.map((p) => [p.number, p.kind, p.uuid])).toEqual([
      [1, 'primary', '1234abcd-01'],
      [2, 'extended', '1234abcd-02'],
      [5, 'logical', '1234abcd-05'],
      [6, 'logical', '1234abcd-06'],
      [7, 'logical', '1234abcd-07'],
      [8, 'logical', '1234abcd-08'],
    ]);
    expect(layout.disk.partitions[0]?.bootable).toBe(true);
    expect(layout.disk.partitions[3]?.typeName).toBe('W95 FAT32 (LBA)');
    expect(layout.filesystems.map((f) => [f.id, f.type])).toEqual([
      ['p1', 'ext4'],
      ['p5', 'ext2'],
      ['p6', 'vfat'],
      ['p7', 'swap'],
      ['p8', 'ntfs'],
    ]);
    for (const fs of layout.filesystems) {
      const p = layout.disk.partitions.find((q) => `p${q.number}` === fs.id);
      await expectSameAsBlkid(path, fs, p?.start ?? -1);
    }
    expect(layout.warnings).toEqual([]);
  });
});

describe.skipIf(!canBuild.gpt())('GPT disk with a hybrid MBR (sgdisk)', () => {
  it('matches sfdisk --json and blkid; names, types and the hybrid MBR are reported', async () => {
    const path = await buildGptDisk();
    const layout = await layoutOf(path);
    expect(layout.disk.partitionTable).toBe('gpt');
    expect(layout.disk.sectorSize).toBe(512);
    expect(layout.disk.diskId).toBe('0ddba11a-0000-4000-8000-00000000c0de');
    expect(layout.disk.details?.mbr).toBe('hybrid');
    await expectSameAsSfdisk(path, layout);
    expect(layout.disk.partitions.map((p) => [p.number, p.label, p.typeName])).toEqual([
      [1, 'bios', 'BIOS boot'],
      [2, 'EFI system', 'EFI System'],
      [3, 'root', 'Linux filesystem'],
      [4, 'data', 'Linux filesystem'],
      [5, 'swap', 'Linux swap'],
      [6, 'windows', 'Microsoft basic data'],
      [7, 'lvm', 'Linux LVM'],
      [8, 'boot', 'Linux filesystem'],
    ]);
    const pt = await sfdiskJson(path);
    for (const p of pt.partitions as unknown as Array<{ start: number; uuid: string }>) {
      expect(layout.disk.partitions.find((q) => q.start === p.start * 512)?.uuid).toBe(p.uuid.toLowerCase());
    }
    expect(layout.filesystems.map((f) => [f.id, f.type])).toEqual(
      GPT_PARTS.filter((p) => p.fs !== undefined).map((p) => [
        `p${p.n}`,
        p.fs?.[0] === 'vfat32' ? 'vfat' : p.fs?.[0],
      ]),
    );
    for (const fs of layout.filesystems) {
      const p = layout.disk.partitions.find((q) => `p${q.number}` === fs.id);
      await expectSameAsBlkid(path, fs, p?.start ?? -1);
    }
    expect(layout.filesystems.find((f) => f.id === 'p2')?.details?.version).toBe('FAT32');
    expect(layout.warnings).toEqual([]);
  });
});

describe.skipIf(!canBuild.gpt4k())(
  'GPT with 4096-byte logical sectors (sfdisk on a 4K-sector loop device)',
  () => {
    it('finds the GPT at byte 4096 and matches sfdisk and blkid', async () => {
      const path = await buildGpt4kDisk();
      const layout = await layoutOf(path);
      expect(layout.disk.partitionTable).toBe('gpt');
      expect(layout.disk.sectorSize).toBe(4096);
      expect(layout.disk.details?.mbr).toBe('protective');
      await expectSameAsSfdisk(path, layout, 4096);
      expect(layout.disk.partitions.map((p) => p.label)).toEqual(['four-k-root', 'four-k-esp']);
      expect(layout.filesystems.map((f) => [f.id, f.type, f.label])).toEqual([
        ['p1', 'ext4', 'fourk'],
        ['p2', 'vfat', 'FOURKESP'],
      ]);
      for (const fs of layout.filesystems) {
        const p = layout.disk.partitions.find((q) => `p${q.number}` === fs.id);
        await expectSameAsBlkid(path, fs, p?.start ?? -1);
      }
    });
  },
);

describe.skipIf(!canBuild.lvm())(
  'LVM2 on two GPT partitions (pvcreate/vgcreate/lvcreate on loop devices)',
  () => {
    it('maps linear, two-segment and striped LVs and identifies their filesystems', async () => {
      const path = await buildLvmDisk();
      const layout = await layoutOf(path);
      expect(layout.volumes.map((v) => [v.vg, v.lv, v.size, v.readable, v.physicalVolumes])).toEqual([
        ['vgfx', 'root', 8 * 1024 * 1024, true, [1, 2]],
        ['vgfx', 'home', 8 * 1024 * 1024, true, [1, 2]],
        ['vgfx', 'stripe', 8 * 1024 * 1024, true, [1, 2]],
      ]);
      for (const [lv, want] of Object.entries(LVM_LVS)) {
        const fs = layout.filesystems.find((f) => f.id === `lvm/vgfx/${lv}`);
        const uuid = want.kind === 'vfat' ? `${want.uuid.slice(0, 4)}-${want.uuid.slice(4)}` : want.uuid;
        expect(fs, lv).toMatchObject({
          type: want.kind,
          uuid,
          label: want.label,
          location: { kind: 'lvm', vg: 'vgfx', lv },
        });
      }
      expect(layout.filesystems.find((f) => f.id === 'p3')).toMatchObject({ type: 'ext4', label: 'plain' });
      expect(layout.warnings).toEqual([]);
    });
  },
);
