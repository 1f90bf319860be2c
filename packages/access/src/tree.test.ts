import { describe, expect, it } from 'vitest';
import { FormatError, isImagecheckError } from './errors.js';
import type { FsNode, NodeFileSystem } from './node-fs.js';
import { type MemoryFiles, memoryFileSystem } from './testing/memory-fs.js';
import { createGuestTree, exists, MAX_SYMLINKS, readText } from './tree.js';

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

function single(files: MemoryFiles, caseSensitive = true) {
  return createGuestTree([{ mountpoint: '/', fs: memoryFileSystem(files, { caseSensitive }) }]);
}

describe('createGuestTree: paths', () => {
  const tree = single({
    '/etc/passwd': 'root:x:0:0::/root:/bin/sh\n',
    '/etc/hostname': 'guest\n',
    '/usr/bin/dash': '#!dash',
  });

  it('rejects relative paths, NUL and non-strings with guest/EINVAL and names the path', async () => {
    expect(await code(tree.stat('etc/passwd'))).toBe('guest/EINVAL');
    expect(await code(tree.stat(''))).toBe('guest/EINVAL');
    expect(await code(tree.stat('/etc/\0passwd'))).toBe('guest/EINVAL');
    expect(await code(tree.stat(42 as unknown as string))).toBe('guest/EINVAL');
    expect(await code(tree.stat(`/${'a/'.repeat(3000)}`))).toBe('guest/EINVAL');
    await expect(tree.readFile('relative')).rejects.toMatchObject({ data: { path: 'relative' } });
  });

  it('handles . and .. per component, and .. at the root stays at the root', async () => {
    expect(text(await tree.readFile('/etc/./hostname'))).toBe('guest\n');
    expect(text(await tree.readFile('/usr/../etc//hostname'))).toBe('guest\n');
    expect(text(await tree.readFile('/../../../etc/hostname'))).toBe('guest\n');
    expect(await tree.realpath('/../..')).toBe('/');
    expect(await tree.realpath('/usr/bin/../../etc/.')).toBe('/etc');
  });

  it('fails ENOENT, ENOTDIR, EISDIR with data.path', async () => {
    await expect(tree.stat('/nope')).rejects.toMatchObject({ code: 'guest/ENOENT', data: { path: '/nope' } });
    expect(await code(tree.stat('/etc/passwd/x'))).toBe('guest/ENOTDIR');
    expect(await code(tree.stat('/etc/passwd/'))).toBe('guest/ENOTDIR');
    expect(await code(tree.stat('/etc/passwd/..'))).toBe('guest/ENOTDIR');
    expect(await code(tree.readdir('/etc/passwd'))).toBe('guest/ENOTDIR');
    expect(await code(tree.readFile('/etc'))).toBe('guest/EISDIR');
    expect(await code(tree.readlink('/etc/passwd'))).toBe('guest/EINVAL');
  });

  it('reads ranges, short past the end, and caps with guest/EFBIG', async () => {
    expect(text(await tree.readFile('/etc/passwd', { offset: 5, length: 1 }))).toBe('x');
    expect(text(await tree.readFile('/etc/hostname', { offset: 3, length: 100 }))).toBe('st\n');
    expect((await tree.readFile('/etc/hostname', { offset: 1000 })).length).toBe(0);
    await expect(tree.readFile('/etc/passwd', { maxBytes: 4 })).rejects.toMatchObject({
      code: 'guest/EFBIG',
      data: { path: '/etc/passwd', maxBytes: 4 },
    });
    // The cap applies to what would be returned, not to the file's size.
    expect(text(await tree.readFile('/etc/passwd', { length: 4, maxBytes: 4 }))).toBe('root');
    expect(await code(tree.readFile('/etc/passwd', { offset: -1 }))).toBe('guest/EINVAL');
    expect(await code(tree.readFile('/etc/passwd', { length: 1.5 }))).toBe('guest/EINVAL');
  });

  it('applies the default 64 MiB cap to a file declaring a huge size without reading it', async () => {
    const base = memoryFileSystem({ '/big': 'x' });
    let reads = 0;
    const huge: NodeFileSystem = {
      ...base,
      lookup: async (dir, name) => {
        const n = await base.lookup(dir, name);
        return n === undefined ? n : { ...n, size: 2 ** 40 };
      },
      read: async (f, o, l) => {
        reads++;
        return base.read(f, o, l);
      },
    };
    const t = createGuestTree([{ mountpoint: '/', fs: huge }]);
    expect(await code(t.readFile('/big'))).toBe('guest/EFBIG');
    expect(reads).toBe(0);
    expect((await t.stat('/big')).size).toBe(2 ** 40);
  });

  it('stat reports mode, owner, inode and type', async () => {
    const t = single({ '/etc/shadow': { content: 'root:*:1::::::\n', mode: 0o640, uid: 0, gid: 42 } });
    const st = await t.stat('/etc/shadow');
    expect(st).toMatchObject({ type: 'file', mode: 0o100640, uid: 0, gid: 42, size: 15 });
    expect(typeof st.ino).toBe('number');
    expect((await t.stat('/')).type).toBe('dir');
  });
});

describe('createGuestTree: hostile filesystems', () => {
  const base = memoryFileSystem({ '/f': 'abc', '/d/x': 'x' });

  it('trims a reader that returns more bytes than asked', async () => {
    const greedy: NodeFileSystem = { ...base, read: async () => new Uint8Array(100) };
    const t = createGuestTree([{ mountpoint: '/', fs: greedy }]);
    expect((await t.readFile('/f', { length: 2 })).length).toBe(2);
  });

  it('passes damage errors through typed, and a non-directory mount root is ENOTDIR', async () => {
    const damaged: NodeFileSystem = {
      ...base,
      lookup: async () => {
        throw new FormatError('ext4/bad-dirent', 'directory entry overruns its block', {
          data: { offset: 4096 },
        });
      },
    };
    expect(await code(createGuestTree([{ mountpoint: '/', fs: damaged }]).stat('/f'))).toBe(
      'ext4/bad-dirent',
    );
    const fileRoot: NodeFileSystem = {
      ...base,
      root: async () => ({ id: '9', type: 'file', size: 1, mode: 0o100644, uid: 0, gid: 0 }),
    };
    const t = createGuestTree([{ mountpoint: '/', fs: fileRoot }]);
    expect(await code(t.stat('/x'))).toBe('guest/ENOTDIR');
  });

  it('a symlink target with NUL or over PATH_MAX is guest/EINVAL', async () => {
    expect(await code(single({ '/l': { symlink: 'a\0b' } }).stat('/l'))).toBe('guest/EINVAL');
    expect(await code(single({ '/l': { symlink: 'a/'.repeat(3000) } }).stat('/l'))).toBe('guest/EINVAL');
  });
});

describe('createGuestTree: symlinks', () => {
  const tree = single({
    '/etc/passwd': 'guest passwd\n',
    '/bin': { symlink: 'usr/bin' },
    '/usr/bin/sh': { symlink: 'dash' },
    '/usr/bin/dash': 'dash!',
    '/escape': { symlink: '/../../../etc/passwd' },
    '/escape-rel': { symlink: '../../../../etc/passwd' },
    '/loop/a': { symlink: 'b' },
    '/loop/b': { symlink: 'a' },
    '/self': { symlink: 'self' },
    '/dangling': { symlink: '/nowhere' },
    '/empty': { symlink: '' },
    '/lib': { symlink: 'usr/lib' },
    '/usr/lib/x/y': 'y',
    '/usr/lib/z': 'z',
    '/deep/a/b/c': 'c',
    '/up': { symlink: 'deep/a/b' },
  });

  it('follows in every component for stat/readFile/readdir/realpath', async () => {
    expect(text(await tree.readFile('/bin/sh'))).toBe('dash!');
    expect((await tree.stat('/bin/sh')).type).toBe('file');
    expect(await tree.realpath('/bin/sh')).toBe('/usr/bin/dash');
    expect((await tree.readdir('/bin')).map((e) => e.name).sort()).toEqual(['dash', 'sh']);
  });

  it('does not follow the last component for lstat/readlink, but does with a trailing slash', async () => {
    expect((await tree.lstat('/bin')).type).toBe('symlink');
    expect((await tree.lstat('/bin/sh')).type).toBe('symlink');
    expect((await tree.lstat('/bin/')).type).toBe('dir');
    expect(await tree.readlink('/bin/sh')).toBe('dash');
    expect(await tree.readlink('/bin')).toBe('usr/bin');
  });

  it('keeps absolute and relative targets inside the guest', async () => {
    expect(text(await tree.readFile('/escape'))).toBe('guest passwd\n');
    expect(await tree.realpath('/escape')).toBe('/etc/passwd');
    expect(text(await tree.readFile('/escape-rel'))).toBe('guest passwd\n');
    expect(await code(tree.stat('/dangling'))).toBe('guest/ENOENT');
    expect((await tree.lstat('/dangling')).type).toBe('symlink');
    expect(await code(tree.stat('/empty'))).toBe('guest/ENOENT');
  });

  it('resolves .. physically after a symlinked directory', async () => {
    // /lib -> usr/lib, so /lib/x/.. is /usr/lib, and /lib/.. is /usr.
    expect(text(await tree.readFile('/lib/x/../z'))).toBe('z');
    expect(await tree.realpath('/lib/..')).toBe('/usr');
    expect(await tree.realpath('/up/../..')).toBe('/deep');
    expect(await tree.realpath('/up/../../../..')).toBe('/');
    expect(text(await tree.readFile('/up/../b/c'))).toBe('c');
  });

  it('fails a -> b -> a and a self loop with guest/ELOOP', async () => {
    expect(await code(tree.stat('/loop/a'))).toBe('guest/ELOOP');
    expect(await code(tree.readFile('/self'))).toBe('guest/ELOOP');
    expect(await code(tree.realpath('/loop/b/x'))).toBe('guest/ELOOP');
    // lstat of the link itself needs no following.
    expect((await tree.lstat('/loop/a')).type).toBe('symlink');
  });

  function chain(length: number): MemoryFiles {
    const files: Record<string, MemoryFiles[string]> = { '/target': 'end' };
    for (let i = 1; i <= length; i++) files[`/l${i}`] = { symlink: i === length ? '/target' : `/l${i + 1}` };
    return files;
  }

  it(`follows a chain of ${MAX_SYMLINKS} symlinks and refuses ${MAX_SYMLINKS + 1}`, async () => {
    expect(text(await single(chain(MAX_SYMLINKS)).readFile('/l1'))).toBe('end');
    await expect(single(chain(MAX_SYMLINKS + 1)).readFile('/l1')).rejects.toMatchObject({
      code: 'guest/ELOOP',
      data: { path: '/l1' },
    });
  });

  it('counts symlinks across components of one resolution', async () => {
    const files: Record<string, MemoryFiles[string]> = { '/d/f': 'f' };
    for (let i = 0; i < 41; i++) files[`/s${i}`] = { symlink: 'd' };
    const t = single(files);
    // 41 links, each followed once in one path: more than MAXSYMLINKS.
    const path = `${Array.from({ length: 41 }, (_, i) => `/s${i}/..`).join('')}/d/f`;
    expect(await code(t.stat(path))).toBe('guest/ELOOP');
    const ok = `${Array.from({ length: 40 }, (_, i) => `/s${i}/..`).join('')}/d/f`;
    expect((await t.stat(ok)).type).toBe('file');
  });
});

describe('createGuestTree: mounts', () => {
  const root = memoryFileSystem({
    '/etc/os-release': 'ID=test\n',
    '/boot/shadowed': 'root fs file under /boot',
    '/data': 'a file where a mount point should be',
    '/home': { symlink: '/srv/home' },
  });
  const boot = memoryFileSystem({
    '/vmlinuz': 'kernel',
    '/grub/grub.cfg': 'cfg',
    '/escape': { symlink: '/etc/os-release' },
  });
  const efi = memoryFileSystem({ '/EFI/BOOT/BOOTX64.EFI': 'MZ' }, { caseSensitive: false });
  const deep = memoryFileSystem({ '/x': 'deep' });
  const tree = createGuestTree([
    { mountpoint: '/', fs: root },
    { mountpoint: '/boot/efi', fs: efi },
    { mountpoint: '/boot/', fs: boot },
    { mountpoint: '/var/lib/deep', fs: deep },
    { mountpoint: '/data', fs: deep },
  ]);

  it('a mount shadows the directory it is mounted on; the deepest mount wins', async () => {
    expect(await code(tree.stat('/boot/shadowed'))).toBe('guest/ENOENT');
    expect(text(await tree.readFile('/boot/vmlinuz'))).toBe('kernel');
    expect(text(await tree.readFile('/boot/efi/EFI/BOOT/BOOTX64.EFI'))).toBe('MZ');
    expect(text(await tree.readFile('/data/x'))).toBe('deep');
  });

  it('.. across a mount point goes to the parent mount', async () => {
    expect(text(await tree.readFile('/boot/efi/../vmlinuz'))).toBe('kernel');
    expect(text(await tree.readFile('/boot/../etc/os-release'))).toBe('ID=test\n');
    expect(text(await tree.readFile('/boot/efi/EFI/../../../etc/os-release'))).toBe('ID=test\n');
    expect(await tree.realpath('/boot/efi/..')).toBe('/boot');
  });

  it('absolute symlinks inside a mounted filesystem resolve against the guest root', async () => {
    expect(text(await tree.readFile('/boot/escape'))).toBe('ID=test\n');
  });

  it('mount points missing in the parent work, with synthetic parents listed by readdir', async () => {
    expect(text(await tree.readFile('/var/lib/deep/x'))).toBe('deep');
    expect(await tree.stat('/var')).toMatchObject({ type: 'dir', mode: 0o40755, uid: 0 });
    expect(await tree.readdir('/var/lib')).toEqual([{ name: 'deep', type: 'dir' }]);
    const top = await tree.readdir('/');
    expect(top.find((e) => e.name === 'data')).toEqual({ name: 'data', type: 'dir' });
    expect(top.find((e) => e.name === 'var')).toEqual({ name: 'var', type: 'dir' });
    expect(top.filter((e) => e.name === 'boot')).toHaveLength(1);
    expect(await code(tree.stat('/var/nothing'))).toBe('guest/ENOENT');
  });

  it('mount points match canonical paths (a symlinked parent does not reach them)', async () => {
    const t = createGuestTree([
      { mountpoint: '/', fs: memoryFileSystem({ '/link': { symlink: '/boot' } }) },
      { mountpoint: '/boot', fs: boot },
    ]);
    expect(text(await t.readFile('/link/vmlinuz'))).toBe('kernel');
    expect(await t.realpath('/link/grub')).toBe('/boot/grub');
  });

  it('without a / mount the root is a synthetic directory holding the mount points', async () => {
    const t = createGuestTree([{ mountpoint: '/boot', fs: boot }]);
    expect(await t.readdir('/')).toEqual([{ name: 'boot', type: 'dir' }]);
    expect(text(await t.readFile('/boot/vmlinuz'))).toBe('kernel');
  });

  it('rejects mount points with ..', () => {
    expect(() => createGuestTree([{ mountpoint: '/a/../b', fs: boot }])).toThrow(/may not contain/);
  });
});

describe('createGuestTree: case-insensitive filesystems', () => {
  let scans = 0;
  const base = memoryFileSystem(
    { '/Windows/System32/config/SYSTEM': 'regf', '/EFI/Microsoft/Boot/BCD': 'bcd' },
    { caseSensitive: false },
  );
  const counted: NodeFileSystem = {
    ...base,
    readdir: async (dir: FsNode) => {
      scans++;
      return base.readdir(dir);
    },
  };
  const tree = createGuestTree([{ mountpoint: '/', fs: counted }]);

  it('falls back to a case-folded readdir scan only when the exact lookup misses', async () => {
    expect(tree.caseSensitive).toBe(false);
    scans = 0;
    expect(text(await tree.readFile('/Windows/System32/config/SYSTEM'))).toBe('regf');
    expect(scans).toBe(0);
    expect(text(await tree.readFile('/windows/system32/CONFIG/system'))).toBe('regf');
    expect(scans).toBe(4);
    expect(await tree.realpath('/WINDOWS/system32')).toBe('/Windows/System32');
  });

  it('realpath gives the stored spelling when the reader itself matched another (FAT short names)', async () => {
    const folding: NodeFileSystem = {
      ...base,
      lookup: async (dir: FsNode, name: string) => {
        const hit = (await base.readdir(dir)).find((e) => e.name.toUpperCase() === name.toUpperCase());
        return hit === undefined ? undefined : base.lookup(dir, hit.name);
      },
    };
    const t = createGuestTree([{ mountpoint: '/', fs: folding }]);
    expect(await t.realpath('/WINDOWS/SYSTEM32/CONFIG/SYSTEM')).toBe('/Windows/System32/config/SYSTEM');
    expect(await t.realpath('/efi/microsoft/boot/bcd')).toBe('/EFI/Microsoft/Boot/BCD');
    expect(text(await t.readFile('/efi/microsoft/boot/bcd'))).toBe('bcd');
  });

  it('a case-sensitive filesystem does not fold', async () => {
    const t = single({ '/Etc/x': 'x' });
    expect(await code(t.stat('/etc/x'))).toBe('guest/ENOENT');
  });
});

describe('readText, exists', () => {
  const files: Record<string, MemoryFiles[string]> = {
    '/etc/ssh/sshd_config': 'PermitRootLogin no\n',
    '/etc/ssh/sshd_config.d/50-cloud.conf': 'PasswordAuthentication no\n',
    '/etc/ssh/sshd_config.d/10-a.conf': 'X y\n',
    '/etc/ssh/sshd_config.d/.hidden.conf': 'hidden\n',
    '/etc/ssh/sshd_config.d/notes.txt': 'no\n',
    '/etc/sysctl.d/99-x.conf': 'a=1\n',
    '/usr/lib/sysctl.d/50-y.conf': 'b=2\n',
    '/loopdir/up': { symlink: '..' },
    '/loopdir/self': { symlink: '.' },
    '/conf.d': { symlink: '/etc/ssh/sshd_config.d' },
  };
  const tree = single(files);

  it('readText decodes UTF-8 and honours maxBytes', async () => {
    expect(await readText(tree, '/etc/ssh/sshd_config')).toBe('PermitRootLogin no\n');
    expect(await code(readText(tree, '/etc/ssh/sshd_config', { maxBytes: 3 }))).toBe('guest/EFBIG');
  });

  it('exists is false for missing, non-directory parents and loops', async () => {
    expect(await exists(tree, '/etc/ssh/sshd_config')).toBe(true);
    expect(await exists(tree, '/etc/nope')).toBe(false);
    expect(await exists(tree, '/etc/ssh/sshd_config/x')).toBe(false);
    expect(await exists(single({ '/a': { symlink: 'a' } }), '/a')).toBe(false);
    expect(await code(exists(tree, 'relative'))).toBe('guest/EINVAL');
  });
});
