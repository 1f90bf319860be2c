/**
 * Real images from the shared corpus (see test/fixtures/corpus/ATTRIBUTION.md); the expected
 * values are the facts recorded for them by sfdisk, partx, blkid and pvck.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageLayoutV2 } from '@imagecheck/access';
import { fixtureCacheDir, requireTools, run, sha256 } from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../src/block/file-source.js';
import { MemorySource } from '../../src/block/slice.js';
import type { ByteSource } from '../../src/block/types.js';
import { readLayout } from '../../src/layout.js';
import { corpusBytes } from '../helpers/corpus.js';

const corpus = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));

async function layoutOfBytes(
  bytes: Uint8Array,
): Promise<{ layout: ImageLayoutV2; sources: ReadonlyMap<string, ByteSource> }> {
  return readLayout(new MemorySource(bytes), { format: 'raw' });
}

const sectors = (l: ImageLayoutV2) =>
  l.disk.partitions.map((p) => [p.number, p.start / 512, p.size / 512, p.type]);

describe.skipIf(!requireTools('xz'))('partition tables from the corpus', () => {
  it('dfir_ntfs gpt-512-3p: GPT with an EFI System partition (sfdisk -d)', async () => {
    const { layout } = await layoutOfBytes(corpusBytes('dfir_ntfs__gpt-512-3p.raw.gz'));
    expect(layout.disk.partitionTable).toBe('gpt');
    expect(layout.disk.diskId).toBe('4a57f82f-3b54-45b7-9135-c1d4a9addf69');
    expect(sectors(layout)).toEqual([
      [1, 34, 31, '0FC63DAF-8483-4772-8E79-3D69D8477DE4'],
      [2, 65, 64, '0FC63DAF-8483-4772-8E79-3D69D8477DE4'],
      [3, 129, 1886, 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B'],
    ]);
    expect(layout.disk.partitions.map((p) => [p.uuid, p.label, p.typeName])).toEqual([
      ['0c4a2a68-c2c3-441a-8757-1f888ed2715d', 'Linux filesystem', 'Linux filesystem'],
      ['127d7584-b1a0-48d7-9444-b63bf6ac3fcb', 'Linux filesystem', 'Linux filesystem'],
      ['8bd51a24-3053-4849-b987-e5bb05eafe51', 'EFI System', 'EFI System'],
    ]);
    expect(layout.warnings).toEqual([]);
  });

  it('dfir_ntfs mbr-512-p1e2: extended partition at LBA 1 with two logicals (sfdisk -d, partx)', async () => {
    const { layout } = await layoutOfBytes(corpusBytes('dfir_ntfs__mbr-512-p1e2.bin.gz'));
    expect(layout.disk.diskId).toBe('0b4a5fbe');
    expect(sectors(layout)).toEqual([
      [1, 1, 1024, '0x05'],
      [2, 1025, 1023, '0x83'],
      [5, 2, 511, '0x83'],
      [6, 514, 511, '0x83'],
    ]);
    expect(layout.disk.partitions.map((p) => p.uuid)).toEqual([
      '0b4a5fbe-01',
      '0b4a5fbe-02',
      '0b4a5fbe-05',
      '0b4a5fbe-06',
    ]);
  });

  it('dfvfs mbr.raw: EBR chain, ext2 in the logical partition (sfdisk -d, blkid)', async () => {
    const { layout } = await layoutOfBytes(corpusBytes('dfvfs__mbr.raw'));
    expect(layout.disk.diskId).toBe('53f5a6ee');
    expect(sectors(layout)).toEqual([
      [1, 1, 350, '0x83'],
      [2, 351, 2529, '0x05'],
      [5, 352, 2528, '0x83'],
    ]);
    expect(layout.filesystems.map((f) => [f.id, f.type, f.uuid])).toEqual([
      ['p5', 'ext2', 'e5b459fa-bd31-4e85-963e-aa1f99bffc32'],
    ]);
  });

  it('dissect.volume mbr.bin: a lone Windows 7 MBR sector, partitions past the end are listed with warnings', async () => {
    const { layout } = await layoutOfBytes(corpusBytes('dissect.volume__mbr.bin'));
    expect(layout.disk.diskId).toBe('baff7d5c');
    expect(sectors(layout)).toEqual([
      [1, 2048, 1024000, '0x07'],
      [2, 1026048, 124801024, '0x07'],
    ]);
    expect(layout.disk.partitions.map((p) => p.bootable)).toEqual([true, false]);
    expect(layout.warnings.map((w) => w.code)).toEqual(['partition/past-end', 'partition/past-end']);
    expect(layout.filesystems).toEqual([]);
  });

  it('util-linux dos+bsd: the MBR slices (the nested BSD label is not read)', async () => {
    const { layout } = await layoutOfBytes(corpusBytes('util-linux__dos+bsd.img.xz'));
    expect(layout.disk.diskId).toBe('8f8378c0');
    expect(sectors(layout)).toEqual([
      [1, 32, 7648, '0x83'],
      [2, 7680, 8704, '0xa5'],
    ]);
    expect(layout.disk.partitions[1]?.typeName).toBe('FreeBSD');
  });

  it('util-linux gpt.img: five named partitions (sfdisk -d, sgdisk -p)', async () => {
    const { layout } = await layoutOfBytes(corpusBytes('util-linux__gpt.img.xz'));
    expect(layout.disk.diskId).toBe('dd27f98d-7519-4c9e-8041-f2bfa7b1ef61');
    expect(
      layout.disk.partitions.map((p) => [p.number, p.start / 512, p.size / 512, p.label, p.typeName]),
    ).toEqual([
      [1, 34, 2014, 'ThisIsName', 'Microsoft basic data'],
      [2, 2048, 2048, 'ThisIsOtherName', 'Microsoft basic data'],
      [3, 4096, 2048, 'primary', 'Microsoft basic data'],
      [4, 6144, 2048, 'primary', 'Microsoft basic data'],
      [5, 8192, 2048, 'primary', 'Microsoft basic data'],
    ]);
    expect(layout.disk.partitions[0]?.uuid).toBe('1dcf10bc-637e-4c52-8203-087ae10a820b');
  });
});

describe('LVM2 from the corpus', () => {
  it('dissect.volume lvm.bin: whole-disk PV, one linear LV whose bytes match pvck', async () => {
    const { layout, sources } = await layoutOfBytes(corpusBytes('dissect.volume__lvm.bin.gz'));
    expect(layout.disk.partitionTable).toBe('none');
    expect(layout.volumes).toEqual([
      {
        kind: 'lvm',
        vg: 'vg_test',
        lv: 'lv_test',
        uuid: 'TnYdWo-zRE9-wf2T-5nt0-M1aD-vtoP-fASCxK',
        size: 4 * 1024 * 1024,
        physicalVolumes: [0],
        readable: true,
      },
    ]);
    expect(layout.filesystems).toEqual([]);
    expect(sources.size).toBe(0);
  });

  it('dissect.volume lvm-thin.bin: thin pool and thin LVs are listed as unreadable, with reasons', async () => {
    const { layout } = await layoutOfBytes(corpusBytes('dissect.volume__lvm-thin.bin.gz'));
    expect(layout.volumes.map((v) => [v.vg, v.lv, v.readable, v.reason])).toEqual([
      ['lvm-thin', 'data', false, 'segment type thin-pool is not supported'],
      ['lvm-thin', 'lv-1', false, 'segment type thin is not supported'],
      ['lvm-thin', 'lv-2', false, 'segment type thin is not supported'],
    ]);
    expect(layout.warnings.map((w) => w.code)).toEqual([
      'lvm/lv-unreadable',
      'lvm/lv-unreadable',
      'lvm/lv-unreadable',
    ]);
  });

  it.skipIf(!requireTools('xz'))(
    'util-linux lvm2.img: a PV with an empty metadata area has no volumes',
    async () => {
      const { layout } = await layoutOfBytes(corpusBytes('util-linux__lvm2.img.xz'));
      expect(layout.disk.partitionTable).toBe('none');
      expect(layout.volumes).toEqual([]);
      expect(layout.filesystems).toEqual([]);
      expect(layout.warnings).toEqual([]);
    },
  );

  it.skipIf(!requireTools('qemu-img'))(
    'dfvfs lvmtest.qcow2: two linear LVs with ext2, LV bytes match the recorded sha256',
    async () => {
      const raw = join(fixtureCacheDir('corpus'), 'dfvfs__lvmtest.raw');
      if (!existsSync(raw))
        await run('qemu-img', ['convert', '-O', 'raw', join(corpus, 'dfvfs__lvmtest.qcow2'), raw]);
      const src = await FileSource.open(raw);
      try {
        const { layout, sources } = await readLayout(src, { format: 'raw' });
        expect(layout.volumes.map((v) => [v.vg, v.lv, v.size, v.readable])).toEqual([
          ['vg_test', 'lv_test1', 8 * 1024 * 1024, true],
          ['vg_test', 'lv_test2', 4 * 1024 * 1024, true],
        ]);
        expect(layout.filesystems.map((f) => [f.id, f.type, f.uuid])).toEqual([
          ['lvm/vg_test/lv_test1', 'ext2', 'a0ec094b-8811-40a1-b446-49985497e027'],
          ['lvm/vg_test/lv_test2', 'ext2', 'd19842a2-a7e3-419a-b325-f1198bf043ee'],
        ]);
        const lv1 = sources.get('lvm/vg_test/lv_test1');
        expect(sha256(await (lv1 as ByteSource).read(0, 8 * 1024 * 1024))).toBe(
          'c1ac1de79f706fff71bfdb8a4ba58a8317c83abbb2065e54feddd2549875332b',
        );
      } finally {
        await src.close();
      }
    },
  );
});

describe.skipIf(!requireTools('xz'))('whole-disk filesystems from the corpus (blkid facts)', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    [
      'util-linux__ext2.img.xz',
      { type: 'ext2', uuid: '22f0eac3-5c89-4ec1-9076-60799119aaea', label: 'test-ext2' },
    ],
    [
      'util-linux__ext3.img.xz',
      { type: 'ext3', uuid: '35f66dab-477e-4090-a872-95ee0e493ad6', label: 'test-ext3' },
    ],
    [
      'util-linux__ext4.img.xz',
      { type: 'ext4', uuid: 'ada110f6-bd6d-49db-955d-342c27627b61', label: 'test-ext4' },
    ],
    [
      'util-linux__xfs-v5.img.xz',
      { type: 'xfs', uuid: '3fdcb214-0f39-466d-a81a-a1fb114fe7cd', label: 'test-xfs-v5' },
    ],
    [
      'util-linux__btrfs.img.xz',
      {
        type: 'btrfs',
        uuid: 'd4a78b72-55e4-4811-86a6-09af936d43f9',
        subUuid: '1e7603cb-d0be-4d8f-8972-9dddf7d5543c',
      },
    ],
    ['util-linux__ntfs.img.xz', { type: 'ntfs', uuid: '09CBB6DE30C87310', label: 'Новый том' }],
    ['util-linux__exfat.img.xz', { type: 'exfat', uuid: '9C23-8877', label: 'Новый том' }],
    ['go-ext4__hierarchy_64.ext4', { type: 'ext4', uuid: 'dac7fa47-1933-43ec-8b14-a91c716cb6c7' }],
    [
      'go-ext4__hierarchy_32.ext4',
      { type: 'ext4', uuid: '9905d1c3-345a-4deb-82b2-4992f3f546cc', label: 'tinyimage' },
    ],
    ['go-fat__fat12.dd', { type: 'vfat', uuid: '67B1-4554', label: undefined }],
    ['dfir_ntfs__fat_lfn_test.raw.gz', { type: 'vfat', uuid: 'F681-3013', label: undefined }],
    [
      'dissect.extfs__ext4_symlink_test.bin.gz',
      { type: 'ext4', uuid: 'f67a7a89-c91e-4298-888b-a751d1590198' },
    ],
  ];
  it.each(cases)('%s', async (name, want) => {
    const { layout } = await layoutOfBytes(corpusBytes(name));
    expect(layout.disk.partitionTable).toBe('none');
    expect(layout.filesystems).toHaveLength(1);
    const { label, ...rest } = want;
    expect(layout.filesystems[0]).toMatchObject({ id: 'disk', location: { kind: 'disk' }, ...rest });
    // "NO NAME" and an absent label both mean no LABEL in blkid.
    if ('label' in want) expect(layout.filesystems[0]?.label).toBe(label);
  });
});
