import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { isImagecheckError } from '@imagecheck/access';
import { describe, expect, it } from 'vitest';
import { nativeBackend, openNative } from '../../src/backend.js';
import { buildMbrDisk, canBuild } from '../fixtures/disks.js';
import { fixtureCacheDir, hasTools, run } from '../helpers/tools.js';

describe.skipIf(!canBuild.mbr())('native backend object', () => {
  it('implements the access contract: layout, counters, readers, and clear errors', async () => {
    const path = await buildMbrDisk();
    const access = await nativeBackend.open(path);
    try {
      expect(access.specificationVersion).toBe('v1');
      expect(access.backend).toBe('native');
      expect(access.capabilities).toMatchObject({ layout: true, guestTree: true, filesystemTree: true });
      expect(access.capabilities.readableFilesystems).toEqual(
        expect.arrayContaining(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat', 'exfat']),
      );
      const layout = await access.inspect();
      expect(await access.inspect()).toBe(layout);
      expect(layout.disk.format).toBe('raw');
      // Bare mkfs filesystems: nothing on them looks like an OS.
      expect(layout.roots).toEqual([]);
      for (const f of layout.filesystems) {
        expect(f.readable, `${f.id} ${f.type}`).toBe(['ext4', 'ext2', 'vfat'].includes(f.type));
      }
      const stats = access.stats?.() ?? {};
      expect(stats.bytesRead).toBeGreaterThan(0);
      expect(stats.bytesRead).toBeLessThan(8 * 1024 * 1024);
      const p1 = await access.openFilesystem('p1');
      expect((await p1.stat('/')).type).toBe('dir');
      const noRoot = await access.openRoot().catch((e: unknown) => e);
      expect(isImagecheckError(noRoot) && noRoot.code).toBe('native/no-os-root');
      const ntfs = layout.filesystems.find((f) => f.type === 'ntfs');
      const unreadable = await access.openFilesystem(ntfs?.id ?? 'p8').catch((e: unknown) => e);
      expect(isImagecheckError(unreadable) && unreadable.code).toBe('native/no-filesystem-reader');
      const unknown = await access.openFilesystem('p99').catch((e: unknown) => e);
      expect(isImagecheckError(unknown) && unknown.code).toBe('native/unknown-filesystem');
    } finally {
      await access.close();
    }
  });

  it.skipIf(!hasTools('qemu-img'))(
    'reads the layout through the container layer (qcow2 made by qemu-img)',
    async () => {
      const raw = await buildMbrDisk();
      const dir = fixtureCacheDir('disks');
      const qcow = join(dir, 'v1-mbr-logical.qcow2');
      await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, `${qcow}.tmp`]);
      renameSync(`${qcow}.tmp`, qcow);
      const a = await openNative(raw);
      const b = await openNative(qcow);
      try {
        const la = await a.inspect();
        const lb = await b.inspect();
        expect(lb.disk.format).toBe('qcow2');
        expect(lb.disk.partitions).toEqual(la.disk.partitions);
        expect(lb.filesystems).toEqual(la.filesystems);
      } finally {
        await a.close();
        await b.close();
      }
    },
  );
});
