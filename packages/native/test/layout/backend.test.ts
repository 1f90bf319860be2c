import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { isImagecheckError } from '@imagecheck/sdk';
import { describe, expect, it } from 'vitest';
import { nativeBackend, openNative } from '../../src/backend.js';
import { buildMbrDisk, canBuild } from '../fixtures/disks.js';
import { fixtureCacheDir, hasTools, run } from '../helpers/tools.js';

describe.skipIf(!canBuild.mbr())('native backend object', () => {
  it('implements the access contract: layout, counters, and clear errors for what is not there yet', async () => {
    const path = await buildMbrDisk();
    const access = await nativeBackend.open(path);
    try {
      expect(access.specificationVersion).toBe('v1');
      expect(access.backend).toBe('native');
      expect(access.capabilities).toMatchObject({
        layout: true,
        guestTree: false,
        filesystemTree: false,
        readableFilesystems: [],
      });
      const layout = await access.inspect();
      expect(await access.inspect()).toBe(layout);
      expect(layout.disk.format).toBe('raw');
      expect(layout.roots).toEqual([]);
      expect(layout.filesystems.every((f) => !f.readable)).toBe(true);
      const stats = access.stats?.() ?? {};
      expect(stats.bytesRead).toBeGreaterThan(0);
      expect(stats.bytesRead).toBeLessThan(8 * 1024 * 1024);
      for (const call of [() => access.openFilesystem('p1'), () => access.openRoot()]) {
        const err = await call().catch((e: unknown) => e);
        expect(isImagecheckError(err) && err.code).toBe('native/no-filesystem-reader');
      }
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
