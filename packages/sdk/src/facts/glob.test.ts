import { createGuestTree } from '@imagecheck/access';
import { type MemoryFiles, memoryFileSystem } from '@imagecheck/access/testing';
import { describe, expect, it } from 'vitest';
import { globGuest } from './glob.js';

function single(files: MemoryFiles) {
  return createGuestTree([{ mountpoint: '/', fs: memoryFileSystem(files) }]);
}

describe('globGuest', () => {
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

  it('expands wildcards sorted, skipping dot files, and follows symlinked directories', async () => {
    expect(await globGuest(tree, '/etc/ssh/sshd_config.d/*.conf')).toEqual([
      '/etc/ssh/sshd_config.d/10-a.conf',
      '/etc/ssh/sshd_config.d/50-cloud.conf',
    ]);
    expect(await globGuest(tree, '/conf.d/*.conf')).toHaveLength(2);
    expect(await globGuest(tree, '/{etc,usr}/sysctl.d/*.conf')).toEqual(['/etc/sysctl.d/99-x.conf']);
    expect(await globGuest(tree, '/*/sysctl.d/*.conf')).toEqual(['/etc/sysctl.d/99-x.conf']);
    expect(await globGuest(tree, '/**/sysctl.d/*.conf')).toEqual([
      '/etc/sysctl.d/99-x.conf',
      '/usr/lib/sysctl.d/50-y.conf',
    ]);
    expect(await globGuest(tree, '/etc/ssh/sshd_config')).toEqual(['/etc/ssh/sshd_config']);
    expect(await globGuest(tree, '/etc/nothing/*')).toEqual([]);
    expect(await globGuest(tree, '/etc/ssh/sshd_config.d/*', { dot: true })).toHaveLength(4);
  });

  it('does not descend through symlink loops with ** and caps matches and directories', async () => {
    const all = await globGuest(tree, '/**');
    expect(all).toContain('/loopdir/up');
    expect(all.some((p) => p.includes('/up/'))).toBe(false);
    await expect(globGuest(tree, '/**', { maxEntries: 3 })).rejects.toMatchObject({ code: 'guest/E2BIG' });
    await expect(globGuest(tree, '/**/*.conf', { maxDirectories: 2 })).rejects.toMatchObject({
      code: 'guest/E2BIG',
    });
    expect(await globGuest(tree, '/**/*.conf', { maxDepth: 1 })).toEqual([]);
  });

  it('a wide, deep hostile tree stays within the directory budget', async () => {
    const wide: Record<string, MemoryFiles[string]> = {};
    for (let i = 0; i < 50; i++) for (let j = 0; j < 50; j++) wide[`/d${i}/e${j}/f`] = 'x';
    const t = single(wide);
    await expect(globGuest(t, '/**/f', { maxDirectories: 1000 })).rejects.toMatchObject({
      code: 'guest/E2BIG',
    });
    expect(await globGuest(t, '/d1/e1/*')).toEqual(['/d1/e1/f']);
  });
});
