import { isImagecheckError } from '@imagecheck/access';
import { memoryFileSystem } from '@imagecheck/access/testing';
import { describe, expect, it } from 'vitest';
import { inspectGuest } from '../engine/run.js';
import type { Plugin } from '../facts/types.js';
import type { AssembledGuest, OsProvider } from '../guest/types.js';
import { createMemoryGuest } from './memory-guest.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isImagecheckError(err)) return err.code;
    throw err;
  }
  throw new Error('expected a rejection');
}

/** A plugin whose providers recognise roots by marker files, as the OS plugins' providers do. */
function markerProvider(os: string, markers: readonly string[]): OsProvider {
  return {
    os,
    async detect({ tree }) {
      const evidence: string[] = [];
      for (const m of markers) {
        try {
          await tree.lstat(m);
          evidence.push(m);
        } catch {}
      }
      return evidence.length === 0 ? undefined : { evidence, score: evidence.length };
    },
    async assemble({ root, rootFs }) {
      return {
        table: [{ mountpoint: '/', fs: rootFs }],
        mounts: [{ mountpoint: '/', filesystem: root.filesystem }],
      };
    },
  };
}

const markers: Plugin = {
  name: 'markers',
  version: '0',
  facts: [],
  collectors: [],
  osProviders: [
    markerProvider('linux', ['/etc/os-release', '/usr/lib/os-release', '/etc/fstab']),
    markerProvider('windows', ['/Windows/System32/config/SYSTEM']),
  ],
};

async function guestOf(access: ReturnType<typeof createMemoryGuest>): Promise<AssembledGuest> {
  const { guest, guestError } = await inspectGuest(access, { plugins: [markers] });
  if (guest === undefined) throw new Error(`no guest: ${guestError}`);
  return guest;
}

const ROOT_UUID = '3f1b6a8e-2c4d-4e5f-9a0b-1c2d3e4f5a6b';

function ubuntuLike() {
  return createMemoryGuest({
    partitions: [
      { type: 'EF00', label: 'EFI', uuid: '11111111-2222-3333-4444-555555555555', size: 16 * 1024 * 1024 },
      { type: '8300', label: 'root' },
      { type: '8200' },
    ],
    filesystems: [
      {
        id: 'p1',
        type: 'vfat',
        uuid: 'ABCD-1234',
        label: 'UEFI',
        mount: '/boot/efi',
        files: { '/EFI/BOOT/BOOTX64.EFI': 'MZ' },
      },
      {
        id: 'p2',
        type: 'ext4',
        uuid: ROOT_UUID,
        label: 'cloudimg-rootfs',
        mount: '/',
        files: {
          '/etc/os-release': 'ID=ubuntu\nVERSION_ID="24.04"\n',
          '/etc/fstab': `UUID=${ROOT_UUID} / ext4 defaults 0 1\nUUID=ABCD-1234 /boot/efi vfat umask=0077 0 1\n`,
          '/etc/ssh/sshd_config': { content: 'PermitRootLogin no\n', mode: 0o600, uid: 0 },
          '/etc/shadow': { content: 'root:*:19000:0:99999:7:::\n', mode: 0o640, gid: 42 },
          '/bin': { symlink: 'usr/bin' },
          '/usr/bin/sh': { symlink: 'dash' },
          '/usr/bin/dash': { content: '\x7fELF', mode: 0o755 },
          '/var/empty': { dir: true, mode: 0o711 },
          '/dev/null': { other: 'chardev', mode: 0o666 },
        },
      },
      { id: 'p3', type: 'swap', uuid: '99999999-8888-7777-6666-555555555555' },
    ],
  });
}

describe('createMemoryGuest: layout', () => {
  it('reports the disk, partitions with GPT types, filesystems and the primary root', async () => {
    const access = ubuntuLike();
    expect(access.specificationVersion).toBe('v2');
    expect(access.backend).toBe('memory');
    const layout = await access.inspect();
    expect(layout.disk).toMatchObject({ format: 'raw', partitionTable: 'gpt', sectorSize: 512 });
    expect(layout.disk.partitions.map((p) => [p.number, p.type, p.typeName, p.kind])).toEqual([
      [1, 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', 'EFI System', 'gpt'],
      [2, '0FC63DAF-8483-4772-8E79-3D69D8477DE4', 'Linux filesystem', 'gpt'],
      [3, '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', 'Linux swap', 'gpt'],
    ]);
    const [p1, p2, p3] = layout.disk.partitions;
    expect(p1?.start).toBe(1024 * 1024);
    expect(p2?.start).toBe((p1?.start ?? 0) + (p1?.size ?? 0));
    expect(layout.disk.virtualSize).toBeGreaterThanOrEqual((p3?.start ?? 0) + (p3?.size ?? 0));
    expect(layout.filesystems.map((f) => [f.id, f.type, f.uuid, f.location, f.readable])).toEqual([
      ['p1', 'vfat', 'ABCD-1234', { kind: 'partition', partition: 1 }, true],
      ['p2', 'ext4', ROOT_UUID, { kind: 'partition', partition: 2 }, true],
      ['p3', 'swap', '99999999-8888-7777-6666-555555555555', { kind: 'partition', partition: 3 }, false],
    ]);
    expect(layout.filesystems.map((f) => f.mountpoints)).toEqual([['/boot/efi'], ['/'], undefined]);
    expect((await inspectGuest(access, { plugins: [markers] })).roots).toEqual([
      {
        id: 'p2',
        filesystem: 'p2',
        os: 'linux',
        evidence: ['mounted at /', '/etc/os-release', '/etc/fstab'],
        primary: true,
      },
    ]);
    expect(layout.disk.boot).toEqual({
      mbrBootCode: { known: false, reason: 'the in-memory guest has no sector 0' },
      espPartitions: [1],
    });
    expect(access.capabilities).toMatchObject({
      layout: true,
      bootFacts: false,
      filesystemTree: true,
      readableFilesystems: ['ext4', 'vfat'],
    });
  });

  it('understands MBR types, lvm and whole-disk locations, and Windows roots', async () => {
    const mbrAccess = createMemoryGuest({
      partitions: [{ type: '0x83', bootable: true }, { type: '8e' }],
      volumes: [
        { kind: 'lvm', vg: 'vg0', lv: 'root', uuid: 'x', size: 1, physicalVolumes: [2], readable: true },
      ],
      filesystems: [
        { type: 'ext4', mount: '/boot' },
        { id: 'lvm/vg0/root', type: 'xfs', mount: '/', files: { '/etc/fstab': '' } },
      ],
    });
    const mbr = await mbrAccess.inspect();
    expect(mbr.disk.partitionTable).toBe('mbr');
    expect(mbr.disk.partitions.map((p) => [p.type, p.kind, p.bootable])).toEqual([
      ['0x83', 'primary', true],
      ['0x8e', 'primary', undefined],
    ]);
    expect(mbr.filesystems.map((f) => f.id)).toEqual(['p1', 'lvm/vg0/root']);
    expect(mbr.filesystems[1]?.location).toEqual({ kind: 'lvm', vg: 'vg0', lv: 'root' });
    expect((await inspectGuest(mbrAccess, { plugins: [markers] })).roots[0]?.filesystem).toBe('lvm/vg0/root');

    const bareAccess = createMemoryGuest({ filesystems: [{ type: 'ext4', mount: '/' }] });
    const bare = await bareAccess.inspect();
    expect(bare.disk.partitionTable).toBe('none');
    expect(bare.filesystems[0]).toMatchObject({ id: 'disk', location: { kind: 'disk' } });
    expect((await inspectGuest(bareAccess, { plugins: [markers] })).roots[0]?.os).toBe('unknown');

    const win = createMemoryGuest({
      partitions: [{ type: '0700' }],
      filesystems: [{ type: 'ntfs', mount: '/', files: { '/Windows/System32/config/SYSTEM': 'regf' } }],
    });
    expect((await inspectGuest(win, { plugins: [markers] })).roots[0]).toMatchObject({
      os: 'windows',
      evidence: ['mounted at /', '/Windows/System32/config/SYSTEM'],
    });
  });

  it('rejects bad descriptions with a UsageError', () => {
    expect(() => createMemoryGuest({ partitions: [{ type: 'ZZZZ' }] })).toThrow(/unknown partition type/);
    expect(() =>
      createMemoryGuest({
        filesystems: [
          { type: 'ext4', mount: '/' },
          { type: 'xfs', mount: '/', location: 2 },
        ],
      }),
    ).toThrow(/more than one/);
    expect(() => memoryFileSystem({ '/a': 'file', '/a/b': 'child of a file' })).toThrow(/not a directory/);
    expect(() => memoryFileSystem({ 'rel/x': '' })).toThrow(/absolute/);
    expect(() => memoryFileSystem({ '/a/../b': '' })).toThrow(/canonical/);
  });
});

describe('createMemoryGuest: trees', () => {
  it('assembles the root with mounts, and applies the shared path rules', async () => {
    const access = ubuntuLike();
    const root = await guestOf(access);
    expect(root.root.id).toBe('p2');
    expect(root.mounts).toEqual([
      { mountpoint: '/', filesystem: 'p2' },
      { mountpoint: '/boot/efi', filesystem: 'p1' },
    ]);
    expect(text(await root.readFile('/boot/efi/EFI/BOOT/BOOTX64.EFI'))).toBe('MZ');
    // vfat is case-insensitive; the resolver's scan finds the stored spelling.
    expect(await root.realpath('/boot/efi/efi/boot/bootx64.efi')).toBe('/boot/efi/EFI/BOOT/BOOTX64.EFI');
    expect(await root.realpath('/bin/sh')).toBe('/usr/bin/dash');
    expect(await root.readlink('/bin')).toBe('usr/bin');
    expect(text(await root.readFile('/boot/efi/../../etc/os-release'))).toContain('ubuntu');
    expect(await code(root.stat('/../../etc/missing'))).toBe('guest/ENOENT');
    expect(await root.stat('/etc/ssh/sshd_config')).toMatchObject({ type: 'file', mode: 0o100600, uid: 0 });
    expect(await root.stat('/etc/shadow')).toMatchObject({ mode: 0o100640, gid: 42 });
    expect(await root.stat('/var/empty')).toMatchObject({ type: 'dir', mode: 0o40711 });
    expect(await root.stat('/usr')).toMatchObject({ type: 'dir', mode: 0o40755, uid: 0 });
    expect(await root.lstat('/dev/null')).toMatchObject({ type: 'other', mode: 0o20666 });
    expect(await code(root.readFile('/dev/null'))).toBe('guest/EINVAL');
    expect((await root.readdir('/')).map((e) => e.name).sort()).toEqual([
      'bin',
      'boot',
      'dev',
      'etc',
      'usr',
      'var',
    ]);
  });

  it('opens one filesystem on its own, refuses unknown and unreadable ones', async () => {
    const access = ubuntuLike();
    const efi = await access.openFilesystem('p1');
    expect(efi.caseSensitive).toBe(false);
    expect((await efi.readdir(await efi.root())).map((e) => e.name)).toEqual(['EFI']);
    expect(await code(access.openFilesystem('p9'))).toBe('access/unknown-filesystem');
    expect(await code(access.openFilesystem('p3'))).toBe('access/unreadable-filesystem');
    expect(await code(inspectGuest(access, { root: 'p9' }))).toBe('engine/unknown-root');
    const none = await inspectGuest(createMemoryGuest({}));
    expect(none.guest).toBeUndefined();
    expect(none.guestError).toBe('no operating system root was found in the image');
  });

  it('counts bytes read, and refuses use after close', async () => {
    const access = ubuntuLike();
    const root = await guestOf(access);
    await root.readFile('/etc/os-release', { length: 3 });
    expect(access.stats?.()).toEqual({ bytesRead: 3, readCalls: 1 });
    await access.close();
    expect(await code(access.inspect())).toBe('access/closed');
  });

  it('keeps hostile symlinks inside the guest', async () => {
    const access = createMemoryGuest({
      filesystems: [
        {
          type: 'ext4',
          mount: '/',
          files: {
            '/etc/passwd': 'guest\n',
            '/x': { symlink: '/../../../etc/passwd' },
            '/a': { symlink: 'b' },
            '/b': { symlink: 'a' },
          },
        },
      ],
    });
    const root = await guestOf(access);
    expect(text(await root.readFile('/x'))).toBe('guest\n');
    expect(await code(root.stat('/a'))).toBe('guest/ELOOP');
  });
});
