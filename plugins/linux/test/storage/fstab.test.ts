import type { MemoryGuestDescription } from '@imagecheck/sdk/testing';
import { describe, expect, it } from 'vitest';
import { type FstabFact, parseFstab } from '../../src/storage/index.js';
import { factsOf, okValue } from './helpers.js';

const ROOT = '3f9a6c52-61f4-4b8e-9d0c-1f6a2b7c8d90';
const ESP = '7A1B-2C3D';
const SWAP = 'c2d1e0f9-1111-4a2b-8c3d-5e6f7a8b9c0d';

/** Debian 12 cloud image layout: GPT, ESP, root ext4 (and here a swap partition). */
function debian(fstab: string, extra: Record<string, unknown> = {}): MemoryGuestDescription {
  return {
    partitions: [
      { type: 'EF00', uuid: '11111111-2222-3333-4444-555555555555', label: 'EFI' },
      { type: '8300', uuid: '0fc63daf-0000-4000-8000-000000000002', label: 'root' },
      { type: '8200', uuid: '0fc63daf-0000-4000-8000-000000000003' },
    ],
    filesystems: [
      { id: 'p1', type: 'vfat', uuid: ESP, mount: '/boot/efi', files: {} },
      {
        id: 'p2',
        type: 'ext4',
        uuid: ROOT,
        label: 'rootfs',
        mount: '/',
        files: {
          '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
          '/etc/fstab': fstab,
          ...(extra as Record<string, never>),
        },
      },
      { id: 'p3', type: 'swap', uuid: SWAP },
    ],
  };
}

async function fstabOf(d: MemoryGuestDescription): Promise<FstabFact> {
  return okValue<FstabFact>((await factsOf(d, ['linux.fstab']))['linux.fstab']);
}

describe('linux.fstab', () => {
  it('resolves a Debian fstab written by the installer (UUIDs, ESP, swap)', async () => {
    const f = await fstabOf(
      debian(`# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
UUID=${ROOT} /               ext4    errors=remount-ro 0       1
UUID=${ESP}  /boot/efi       vfat    umask=0077      0       1
UUID=${SWAP} none            swap    sw              0       0
proc /proc proc defaults 0 0
`),
    );
    expect(f.present).toBe(true);
    expect(f.problemCount).toBe(0);
    expect(f.entries.map((e) => [e.line, e.kind, e.class, e.verdict, e.resolved?.filesystem])).toEqual([
      [4, 'uuid', 'filesystem', 'ok', 'p2'],
      [5, 'uuid', 'filesystem', 'ok', 'p1'],
      [6, 'uuid', 'swap', 'ok', 'p3'],
      [7, 'pseudo', 'pseudo', 'notChecked', undefined],
    ]);
    expect(f.entries[0]?.typeMatches).toBe(true);
  });

  it('flags a UUID that is in no filesystem, with the line', async () => {
    const f = await fstabOf(
      debian(
        `UUID=${ROOT} / ext4 defaults 0 1\nUUID=deadbeef-0000-4000-8000-000000000000 /data ext4 defaults 0 2\n`,
      ),
    );
    const bad = f.entries[1];
    expect(bad?.verdict).toBe('unresolved');
    expect(bad?.bootCritical).toBe(true);
    expect(bad?.line).toBe(2);
    expect(bad?.reason).toMatch(/no filesystem or swap with UUID deadbeef/);
  });

  it("carries the guest assembly's own result for the line", async () => {
    // Described as an image, not a running system: the Linux OS provider assembles the guest from
    // this very fstab, and the fact carries what the assembly did with each line.
    const d = debian(
      `UUID=${ROOT} / ext4 defaults 0 1\nUUID=${ESP} /boot/efi vfat umask=0077 0 1\nUUID=deadbeef-0000-4000-8000-000000000000 /data ext4 defaults 0 2\n`,
    );
    const f = await fstabOf({
      ...d,
      filesystems: (d.filesystems ?? []).map(({ mount: _mount, ...fs }) => fs),
    });
    expect(f.entries[1]?.assembly).toEqual({ mounted: true, reason: null });
    expect(f.entries[2]?.assembly).toEqual({
      mounted: false,
      reason: 'no filesystem or swap with UUID deadbeef-0000-4000-8000-000000000000 in the image',
    });
  });

  it('does not count noauto and nofail entries as boot-critical', async () => {
    const f = await fstabOf(
      debian(
        `UUID=${ROOT} / ext4 defaults 0 1\nLABEL=backup /mnt/backup ext4 noauto 0 0\nLABEL=scratch /mnt/scratch xfs defaults,nofail 0 0\n`,
      ),
    );
    expect(f.entries.map((e) => [e.verdict, e.noauto, e.nofail, e.bootCritical])).toEqual([
      ['ok', false, false, true],
      ['unresolved', true, false, false],
      ['unresolved', false, true, false],
    ]);
  });

  it('checks the declared type against the filesystem found (ext4 mounts ext2/3, not the reverse)', async () => {
    const f = await fstabOf(
      debian(
        `UUID=${ROOT} / xfs defaults 0 1\nLABEL=rootfs /alt auto defaults 0 0\nPARTLABEL=root /x ext3 defaults 0 0\nPARTUUID=11111111-2222-3333-4444-555555555555 /boot/efi vfat defaults 0 0\n`,
      ),
    );
    expect(f.entries.map((e) => [e.kind, e.verdict, e.typeMatches])).toEqual([
      ['uuid', 'wrongType', false],
      ['label', 'ok', true],
      ['partlabel', 'wrongType', false],
      ['partuuid', 'ok', true],
    ]);
    expect(f.entries[0]?.reason).toMatch(/holds ext4, not xfs/);
  });

  it('warns about kernel device names and suggests the UUID', async () => {
    const f = await fstabOf(
      debian(
        '/dev/sda2 / ext4 defaults 0 1\n/dev/xvda1 /boot/efi vfat defaults 0 0\n/dev/vdb1 /data ext4 defaults 0 0\n',
      ),
    );
    expect(f.entries.map((e) => [e.kind, e.verdict, e.suggestedSpec])).toEqual([
      ['device', 'kernelName', `UUID=${ROOT}`],
      ['device', 'kernelName', `UUID=${ESP}`],
      ['device', 'unresolved', null],
    ]);
    expect(f.entries[2]?.reason).toMatch(/another disk/);
  });

  it('resolves LVM names of a RHEL layout (/dev/mapper/rhel-root, /dev/rhel/swap), and udev by-* names', async () => {
    const f = await fstabOf({
      partitions: [{ type: '8300' }, { type: '8E00' }],
      volumes: [
        { kind: 'lvm', vg: 'rhel', lv: 'root', uuid: 'a', size: 1, physicalVolumes: [2], readable: true },
        { kind: 'lvm', vg: 'rhel', lv: 'swap', uuid: 'b', size: 1, physicalVolumes: [2], readable: true },
        { kind: 'lvm', vg: 'data-vg', lv: 'home', uuid: 'c', size: 1, physicalVolumes: [2], readable: true },
      ],
      filesystems: [
        { id: 'p1', type: 'xfs', uuid: 'b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d', mount: '/boot', files: {} },
        {
          id: 'lvm/rhel/root',
          type: 'xfs',
          mount: '/',
          uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
          files: {
            '/etc/os-release': 'ID="rhel"\nVERSION_ID="9.4"\n',
            '/etc/fstab': [
              '/dev/mapper/rhel-root   /                       xfs     defaults        0 0',
              'UUID=b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d /boot xfs defaults 0 0',
              '/dev/rhel/swap          none                    swap    defaults        0 0',
              '/dev/mapper/data--vg-home /home ext4 defaults 0 2',
              '/dev/disk/by-uuid/b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d /mnt/b xfs noauto 0 0',
              '/dev/disk/by-id/dm-name-rhel-root /mnt/r xfs noauto 0 0',
              '/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_drive-scsi0-part1 /mnt/h xfs defaults 0 0',
              '',
            ].join('\n'),
          },
        },
        { id: 'lvm/rhel/swap', type: 'swap', uuid: '12345678-1234-4234-8234-123456789abc' },
        { id: 'lvm/data-vg/home', type: 'ext4', uuid: '99999999-1234-4234-8234-123456789abc', files: {} },
      ],
    });
    expect(f.entries.map((e) => [e.kind, e.verdict, e.resolved?.filesystem ?? null])).toEqual([
      ['mapper', 'ok', 'lvm/rhel/root'],
      ['uuid', 'ok', 'p1'],
      ['lvm', 'ok', 'lvm/rhel/swap'],
      ['mapper', 'ok', 'lvm/data-vg/home'],
      ['uuid', 'ok', 'p1'],
      ['by-id', 'ok', 'lvm/rhel/root'],
      ['by-id', 'hardwareName', null],
    ]);
  });

  it('skips network, bind and pseudo entries with a note; checks swap files and crypttab targets', async () => {
    const f = await fstabOf(
      debian(
        [
          `UUID=${ROOT} / ext4 defaults 0 1`,
          'nfs.example.com:/export /srv/nfs nfs4 defaults,_netdev 0 0',
          '//fs/share /mnt/share cifs credentials=/root/.c 0 0',
          '/srv/data /var/data none bind 0 0',
          'tmpfs /tmp tmpfs mode=1777 0 0',
          '/swapfile none swap sw 0 0',
          '/swap2 none swap sw 0 0',
          '/dev/mapper/cryptdata /data ext4 defaults 0 2',
          '',
        ].join('\n'),
        { '/swapfile': 'x', '/etc/crypttab': 'cryptdata UUID=abc none luks\n' },
      ),
    );
    expect(f.entries.map((e) => [e.class, e.verdict])).toEqual([
      ['filesystem', 'ok'],
      ['network', 'notChecked'],
      ['network', 'notChecked'],
      ['bind', 'notChecked'],
      ['pseudo', 'notChecked'],
      ['swap', 'ok'],
      ['swap', 'unresolved'],
      ['filesystem', 'notChecked'],
    ]);
    expect(f.entries[7]?.reason).toMatch(/crypttab/);
  });

  it('parses octal escapes and short lines as fstab(5) says', () => {
    const p = parseFstab('LABEL=My\\040Disk /mnt/my\\040disk\n/dev/sdb1 /x\n  # comment\n');
    expect(p).toEqual([
      {
        line: 1,
        excerpt: 'LABEL=My\\040Disk /mnt/my\\040disk',
        spec: 'LABEL=My Disk',
        mountpoint: '/mnt/my disk',
        fstype: 'auto',
        options: ['defaults'],
      },
      {
        line: 2,
        excerpt: '/dev/sdb1 /x',
        spec: '/dev/sdb1',
        mountpoint: '/x',
        fstype: 'auto',
        options: ['defaults'],
      },
    ]);
  });

  it('reports an absent fstab as present: false', async () => {
    const f = await fstabOf({
      filesystems: [{ type: 'ext4', mount: '/', files: { '/etc/os-release': 'ID=fedora\n' } }],
    });
    expect(f).toMatchObject({ present: false, entries: [] });
  });

  describe('corrupted input: throws a typed error, does not hang', () => {
    it('inflate: twenty thousand lines', async () => {
      const r = (await factsOf(debian('\n'.repeat(20_000)), ['linux.fstab']))['linux.fstab'];
      expect(r).toMatchObject({ status: 'unavailable', code: 'fstab/too-many-lines' });
    });
    it('inflate: one enormous line', async () => {
      const r = (await factsOf(debian(`UUID=${'a'.repeat(100_000)} / ext4\n`), ['linux.fstab']))[
        'linux.fstab'
      ];
      expect(r).toMatchObject({ status: 'unavailable', code: 'fstab/line-too-long' });
    });
    it('inflate: a file larger than the read cap', async () => {
      const r = (await factsOf(debian('#'.repeat(2 << 20)), ['linux.fstab']))['linux.fstab'];
      expect(r).toMatchObject({ status: 'unavailable', code: 'guest/EFBIG' });
    });
    it('loop: /etc/fstab a symlink to itself', async () => {
      const d = debian('');
      const fs = d.filesystems?.[1];
      const r = (
        await factsOf(
          {
            ...d,
            filesystems: [
              d.filesystems?.[0] as never,
              {
                ...(fs as object),
                files: { '/etc/os-release': 'ID=debian\n', '/etc/fstab': { symlink: '/etc/fstab' } },
              } as never,
            ],
          },
          ['linux.fstab'],
        )
      )['linux.fstab'];
      // A looping link is "nothing there": the fact says so rather than failing.
      expect(r).toMatchObject({ status: 'ok', value: { present: false } });
    });
    it('flip: binary garbage parses to entries that do not resolve', async () => {
      const bytes = new Uint8Array(4096).map((_, i) => (i * 7919) % 251);
      const f = await fstabOf(debian(new TextDecoder().decode(bytes)));
      expect(f.entries.every((e) => e.verdict !== 'ok')).toBe(true);
    });
  });
});
