import { openNative } from '@imagecheck/access-native';
import {
  type AssembledGuest,
  createGuestTree,
  type GuestAccessV2,
  type GuestTreeV2,
  type InspectedGuest,
  inspectGuest,
} from '@imagecheck/sdk';
import {
  buildGuestDisk,
  canBuildGuest,
  GUEST,
  type GuestFixture,
  sha256,
  type TreeEntry,
  walkHostDir,
} from '@imagecheck/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plugin } from '../../src/index.js';

/** Walks a guest tree through the access contract, never following symlinks. */
async function walkGuest(tree: GuestTreeV2, dir = '/', out: TreeEntry[] = []): Promise<TreeEntry[]> {
  const names = (await tree.readdir(dir)).map((d) => d.name).sort();
  for (const name of names) {
    const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
    const st = await tree.lstat(path);
    const base = { path, mode: st.mode, uid: st.uid, gid: st.gid };
    if (st.type === 'symlink') out.push({ ...base, type: 'symlink', target: await tree.readlink(path) });
    else if (st.type === 'dir') {
      out.push({ ...base, type: 'dir' });
      await walkGuest(tree, path, out);
    } else if (st.type === 'file') {
      out.push({ ...base, type: 'file', size: st.size, sha256: sha256(await tree.readFile(path)) });
    } else out.push({ ...base, type: 'other' });
  }
  return out;
}

/** What the assembled guest must show: each source tree at its mountpoint, deeper mounts shadowing. */
async function expectedTree(trees: GuestFixture['trees']): Promise<Map<string, TreeEntry>> {
  const expected = new Map<string, TreeEntry>();
  const order = ['/', '/boot', '/var', '/boot/efi'] as const;
  for (const mp of order) {
    for (const e of await walkHostDir(trees[mp])) {
      const path = mp === '/' ? e.path : `${mp}${e.path}`;
      expected.set(path, { ...e, path });
    }
  }
  return expected;
}

describe.skipIf(!canBuildGuest())(
  'the Linux OS provider on a real image: GPT disk with ESP, /boot and LVM root and /var (native backend)',
  () => {
    let fixture: GuestFixture;
    let access: GuestAccessV2;
    let inspected: InspectedGuest;
    let guest: AssembledGuest;
    beforeAll(async () => {
      fixture = await buildGuestDisk();
      access = await openNative(fixture.image);
      inspected = await inspectGuest(access, { plugins: [plugin] });
      if (inspected.guest === undefined) throw new Error(`no guest: ${inspected.guestError}`);
      guest = inspected.guest;
    });
    afterAll(async () => {
      await access?.close();
    });

    it('finds the LVM root as the one primary root', async () => {
      expect(inspected.roots).toEqual([
        expect.objectContaining({
          id: 'lvm/vg0/root',
          filesystem: 'lvm/vg0/root',
          os: 'linux',
          primary: true,
        }),
      ]);
    });

    it('mounts what fstab says by /dev/mapper name, UUID and /dev/VG/LV, and reports what it cannot', async () => {
      const byMount = Object.fromEntries(guest.mounts.map((m) => [m.mountpoint, m]));
      expect(byMount['/']?.filesystem).toBe('lvm/vg0/root');
      expect(byMount['/boot']).toMatchObject({ filesystem: 'p2', line: 3 });
      expect(byMount['/boot/efi']).toMatchObject({ filesystem: 'p1', line: 4 });
      expect(byMount['/var']).toMatchObject({ filesystem: 'lvm/vg0/var', spec: '/dev/vg0/var', line: 5 });
      expect(byMount['/srv']?.filesystem).toBeUndefined();
      expect(byMount['/srv']?.reason).toContain('deadbeef-0000-4000-8000-000000000000');
      expect(byMount['/proc']?.reason).toContain('pseudo');
    });

    it('shows every source tree at its mountpoint: names, types, sizes, owners, modes, targets and hashes', async () => {
      const seen = (await walkGuest(guest)).filter((e) => !e.path.includes('lost+found'));
      const expected = await expectedTree(fixture.trees);
      expect(seen.map((e) => e.path).sort()).toEqual([...expected.keys()].sort());
      for (const e of seen) {
        const want = expected.get(e.path);
        expect(e.type, e.path).toBe(want?.type);
        expect(e.sha256, e.path).toBe(want?.sha256);
        expect(e.target, e.path).toBe(want?.target);
        if (e.type === 'file') expect(e.size, e.path).toBe(want?.size);
        // FAT has no owners or permission bits; everything else keeps the source's.
        if (!e.path.startsWith('/boot/efi/')) {
          expect(e.mode & 0o7777, e.path).toBe((want?.mode ?? 0) & 0o7777);
          expect([e.uid, e.gid], e.path).toEqual([want?.uid, want?.gid]);
        }
      }
    });

    it('reads files across mount points', async () => {
      const text = async (p: string) => new TextDecoder().decode(await guest.readFile(p));
      expect(await text('/boot/efi/EFI/debian/grub.cfg')).toContain(`search.fs_uuid ${GUEST.bootUuid}`);
      expect(await text('/boot/grub/grub.cfg')).toContain('vmlinuz-6.1.0-28-amd64');
      expect(await text('/var/log/syslog')).toContain('hello');
      expect(await text('/bin/hostname-link')).toBe('guest\n');
    });

    it('resolves symlinks inside the guest, never on the host', async () => {
      // `..` past the top stays at the guest root, so this is the guest's /etc/hostname.
      expect(await guest.realpath('/usr/bin/escape')).toBe('/etc/hostname');
      expect(new TextDecoder().decode(await guest.readFile('/usr/bin/escape'))).toBe('guest\n');
      await expect(guest.readFile('/etc/passwd')).rejects.toMatchObject({ code: 'guest/ENOENT' });
    });

    it('opens one filesystem on its own by id', async () => {
      const tree = createGuestTree([{ mountpoint: '/', fs: await access.openFilesystem('lvm/vg0/var') }]);
      const names = (await tree.readdir('/')).map((d) => d.name).sort();
      expect(names).toEqual(['lib', 'log', 'lost+found']);
    });
  },
);
