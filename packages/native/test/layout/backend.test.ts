import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { isImagecheckError } from '@imagecheck/access';
import { buildMbrDisk, canBuild, fixtureCacheDir, requireTools, run } from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import { nativeBackend, openNative } from '../../src/backend.js';

describe.skipIf(!canBuild.mbr())('native backend object', () => {
  it('implements the access contract: layout, counters, readers, and clear errors', async () => {
    const path = await buildMbrDisk();
    const access = await nativeBackend.open(path);
    try {
      expect(access.specificationVersion).toBe('v2');
      expect(access.backend).toBe('native');
      expect(access.capabilities).toMatchObject({ layout: true, bootFacts: true, filesystemTree: true });
      expect(access.capabilities.readableFilesystems).toEqual(
        expect.arrayContaining(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat', 'exfat', 'ntfs']),
      );
      const layout = await access.inspect();
      expect(await access.inspect()).toBe(layout);
      expect(layout.disk.format).toBe('raw');
      // The backend knows no OS: it reports no roots, only what the disk holds, boot code included.
      expect(layout).not.toHaveProperty('roots');
      expect(layout.disk.boot.mbrBootCode.known).toBe(true);
      for (const f of layout.filesystems) {
        expect(f.readable, `${f.id} ${f.type}`).toBe(['ext4', 'ext2', 'vfat', 'ntfs'].includes(f.type));
      }
      const stats = access.stats?.() ?? {};
      expect(stats.bytesRead).toBeGreaterThan(0);
      expect(stats.bytesRead).toBeLessThan(8 * 1024 * 1024);
      const p1 = await access.openFilesystem('p1');
      expect((await p1.root()).type).toBe('dir');
      expect(await access.openFilesystem('p1')).toBe(p1);
      expect(await access.listSubvolumes('p1')).toEqual([]);
      expect((await (await access.openFilesystem('p8')).root()).type).toBe('dir');
      // Swap holds no files: a filesystem the backend lists but has no reader for.
      const swap = layout.filesystems.find((f) => f.type === 'swap');
      expect(swap?.id).toBe('p7');
      const unreadable = await access.openFilesystem(swap?.id ?? 'p7').catch((e: unknown) => e);
      expect(isImagecheckError(unreadable) && unreadable.code).toBe('native/no-filesystem-reader');
      const unknown = await access.openFilesystem('p99').catch((e: unknown) => e);
      expect(isImagecheckError(unknown) && unknown.code).toBe('native/unknown-filesystem');
    } finally {
      await access.close();
    }
    // Use after close is a bug in the caller: an internal error, not something a user can fix.
    const closed = await access.inspect().catch((e: unknown) => e);
    expect(isImagecheckError(closed) && [closed.code, closed.userFacing]).toEqual(['native/closed', false]);
  });

  it.skipIf(!requireTools('qemu-img'))(
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
