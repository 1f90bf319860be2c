/**
 * The native backend against the access contract's conformance suite, on real images built from
 * the suite's manifests; and the manifests against tools that are not imagecheck's (sfdisk,
 * blkid, debugfs, The Sleuth Kit's fls), so the answers the suite expects are the disk's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONFORMANCE_FIXTURES,
  type ConformanceFilesystem,
  type ConformanceFixture,
  describeBackendConformance,
  entryBytes,
  entryMode,
  entryType,
} from '@imagecheck/access/conformance';
import { blkidAt, run, sfdiskJson, which } from '@imagecheck/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/index.js';
import {
  buildableConformanceFixtures,
  buildConformanceImage,
  canBuildConformance,
  extractFilesystem,
  LVM_CONFIG,
} from '../fixtures/conformance.js';

// Under CI a missing tool fails the tests instead of skipping them (requireTools throws).
const skip = !canBuildConformance();
const FIXTURES = buildableConformanceFixtures(CONFORMANCE_FIXTURES);

if (!skip) {
  describeBackendConformance('native', {
    backend: nativeBackend,
    imagePath: buildConformanceImage,
    fixtures: FIXTURES,
  });
}

/** GPT attribute bit 2 (legacy BIOS bootable), as sfdisk prints it. */
function sfdiskBootable(p: { attrs?: string; bootable?: boolean }): boolean {
  return p.bootable === true || /LegacyBIOSBootable/.test(p.attrs ?? '');
}

/** `fls -r -p` of a filesystem at a byte offset: path → TSK's type letter. */
async function flsTree(image: string, offset: number, fstype: string): Promise<Record<string, string>> {
  const out = await run('fls', ['-r', '-p', '-u', '-f', fstype, '-o', String(offset / 512), image]);
  const tree: Record<string, string> = {};
  for (const line of out.split('\n')) {
    // "r/r 12:\tetc/hostname"; deleted and virtual (`$MBR`, `$FAT1`, `$OrphanFiles`) entries are TSK's own.
    const m = /^([-a-z])\/([-a-z]) (\*\s)?[\d-]+(?:\(realloc\))?:\t(.*)$/.exec(line);
    if (m === null || m[3] !== undefined) continue;
    const path = `/${m[4]}`;
    if (/(^|\/)\$/.test(m[4] as string) || m[4]?.endsWith('(Volume Label Entry)')) continue;
    tree[path] = m[2] as string;
  }
  return tree;
}

const TSK_TYPE = { file: 'r', dir: 'd', symlink: 'l', other: 'p' } as const;

describe.skipIf(skip)('the conformance manifests match the images the tools built', () => {
  for (const fixture of FIXTURES) {
    describe(fixture.name, () => {
      let image = '';
      beforeAll(async () => {
        image = await buildConformanceImage(fixture);
      }, 600_000);

      if (fixture.disk.format !== 'raw') {
        // The table and the tree are checked against the tools on the raw build of the same manifest
        // (two builds differ in bytes: mke2fs stamps times and a hash seed).
        it(`qemu-img reads a ${fixture.disk.format} image of the manifest's size`, async () => {
          const info = JSON.parse(await run('qemu-img', ['info', '--output=json', image])) as {
            format: string;
            'virtual-size': number;
          };
          expect({ format: info.format, size: info['virtual-size'] }).toEqual({
            format: fixture.disk.format,
            size: fixture.disk.virtualSize,
          });
        }, 600_000);
        return;
      }

      it('sfdisk reads the manifest partition table', async () => {
        const pt = (await sfdiskJson(image)) as unknown as {
          label: string;
          id: string;
          partitions: {
            node: string;
            start: number;
            size: number;
            type: string;
            uuid?: string;
            name?: string;
            attrs?: string;
            bootable?: boolean;
          }[];
        };
        expect(pt.label).toBe(fixture.disk.partitionTable === 'gpt' ? 'gpt' : 'dos');
        expect(pt.id.toLowerCase().replace(/^0x/, '')).toBe(fixture.disk.diskId);
        expect(
          pt.partitions.map((p) => ({
            number: Number(/(\d+)$/.exec(p.node)?.[1]),
            start: p.start * 512,
            size: p.size * 512,
            type: p.type.toUpperCase(),
            uuid: p.uuid?.toLowerCase(),
            label: p.name,
            bootable: sfdiskBootable(p),
          })),
        ).toEqual(
          fixture.partitions.map((p) => ({
            number: p.number,
            start: p.start,
            size: p.size,
            type: p.type.replace(/^0x/, '').toUpperCase(),
            uuid: fixture.disk.partitionTable === 'gpt' ? p.uuid : undefined,
            label: p.label,
            bootable: p.bootable,
          })),
        );
      });

      it('blkid finds each filesystem with its type, uuid and label; sfdisk names the types', async () => {
        for (const fs of fixture.filesystems) {
          const at = await where(fixture, fs, image);
          const found = await blkidAt(at.file, at.offset, fs.size);
          expect({
            TYPE: found.TYPE,
            UUID: found.UUID,
            LABEL: found.LABEL,
          }).toEqual({ TYPE: fs.type, UUID: fs.uuid, LABEL: fs.label });
        }
        const all = (await run('sfdisk', ['--list', '-o', 'Device,Type', image]))
          .split('\n')
          .filter((l) => l.startsWith(image));
        expect(
          all.map((l) =>
            l
              .slice(image.length)
              .trim()
              .replace(/^\d+\s+/, ''),
          ),
        ).toEqual(fixture.partitions.map((p) => p.typeName));
      });

      const lvm = fixture.lvm;
      if (lvm !== undefined) {
        it('lvs reads the manifest volume group: names, UUIDs, sizes and segments', async () => {
          const part = fixture.partitions.find((p) => p.number === lvm.partition);
          const loop = (
            await run('losetup', [
              '-f',
              '--show',
              '-r',
              '-o',
              String(part?.start),
              '--sizelimit',
              String(part?.size),
              image,
            ])
          ).trim();
          try {
            const report = JSON.parse(
              await run(
                'lvs',
                [
                  '--config',
                  LVM_CONFIG,
                  '--reportformat',
                  'json',
                  '--units',
                  'b',
                  '--nosuffix',
                  '-o',
                  'vg_name,vg_uuid,lv_name,lv_uuid,lv_size,seg_start_pe,seg_pe_ranges',
                  lvm.vg,
                ],
                { env: { LVM_SUPPRESS_FD_WARNINGS: '1' } },
              ),
            ) as { report: { lv: Record<string, string>[] }[] };
            const rows = report.report[0]?.lv ?? [];
            expect(new Set(rows.map((r) => `${r.vg_name} ${r.vg_uuid}`))).toEqual(
              new Set([`${lvm.vg} ${lvm.vgUuid}`]),
            );
            const got = rows.map((r) => ({
              lv: r.lv_name,
              uuid: r.lv_uuid,
              size: Number(r.lv_size),
              start: Number(r.seg_start_pe),
              pe: Number(/:(\d+)-\d+$/.exec(r.seg_pe_ranges ?? '')?.[1]),
            }));
            const want = lvm.lvs.flatMap((lv) =>
              lv.segments.map((seg) => ({
                lv: lv.name,
                uuid: lv.uuid,
                size: lv.segments.reduce((n, x) => n + x.count, 0) * lvm.extentSize,
                start: seg.start,
                pe: seg.pe,
              })),
            );
            const key = (r: { lv?: string; start: number }) => `${r.lv} ${r.start}`;
            expect(got.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
              want.sort((a, b) => key(a).localeCompare(key(b))),
            );
            expect(
              fixture.volumes
                .map((v) => ({ vg: v.vg, lv: v.lv, uuid: v.uuid, size: v.size }))
                .sort((a, b) => a.lv.localeCompare(b.lv)),
            ).toEqual(
              lvm.lvs
                .map((lv) => ({
                  vg: lvm.vg,
                  lv: lv.name,
                  uuid: lv.uuid,
                  size: lv.segments.reduce((n, x) => n + x.count, 0) * lvm.extentSize,
                }))
                .sort((a, b) => a.lv.localeCompare(b.lv)),
            );
          } finally {
            await run('losetup', ['-d', loop]).catch(() => undefined);
          }
        });
      }

      for (const fs of fixture.filesystems.filter((f) => f.files !== undefined && f.type !== 'xfs')) {
        it(`fls lists exactly the manifest tree of ${fs.id} (${fs.type})`, async () => {
          const at = await where(fixture, fs, image);
          const tree = await flsTree(at.file, at.offset, fs.type === 'vfat' ? 'fat' : fs.type);
          const expected = Object.fromEntries(
            Object.entries(fs.files ?? {})
              .filter(([p]) => p !== '/')
              .map(([p, e]) => [p, TSK_TYPE[entryType(e)]]),
          );
          expect(tree).toEqual(expected);
        });
      }

      for (const fs of fixture.filesystems.filter((f) => f.type === 'ext4')) {
        it(`debugfs reads the manifest modes, owners, sizes and contents of ${fs.id}`, async () => {
          const at = await where(fixture, fs, image);
          const dev = `${at.file}?offset=${at.offset}`;
          for (const [path, entry] of Object.entries(fs.files ?? {})) {
            const stat = await run('debugfs', ['-R', `stat "${path}"`, dev]);
            const mode = Number.parseInt(/Mode:\s+(\d+)/.exec(stat)?.[1] ?? '', 8);
            const uid = Number(/User:\s+(\d+)/.exec(stat)?.[1]);
            const gid = Number(/Group:\s+(\d+)/.exec(stat)?.[1]);
            const size = Number(/Size:\s+(\d+)/.exec(stat)?.[1]);
            expect({ path, mode, uid, gid }).toEqual({
              path,
              mode: entryMode(entry) & 0o7777,
              uid: entry.uid ?? 0,
              gid: entry.gid ?? 0,
            });
            if ('content' in entry) {
              expect(size).toBe(entryBytes(entry).length);
              const dumped = execFileSync(which('debugfs') ?? 'debugfs', ['-R', `cat "${path}"`, dev], {
                stdio: ['ignore', 'pipe', 'ignore'],
                maxBuffer: 64 << 20,
              });
              expect(Buffer.compare(dumped, Buffer.from(entryBytes(entry))), path).toBe(0);
            }
            if (entry.mtimeMs !== undefined) {
              const mtime = Number.parseInt(/mtime: 0x([0-9a-f]+)/.exec(stat)?.[1] ?? '', 16);
              expect(mtime * 1000, path).toBe(entry.mtimeMs);
            }
          }
        });
      }
    });
  }
});

const scratch = mkdtempSync(join(tmpdir(), 'imagecheck-conformance-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A plain file and offset where a filesystem of the fixture starts: its partition, or its LV copied out. */
async function where(
  fixture: ConformanceFixture,
  fs: ConformanceFilesystem,
  image: string,
): Promise<{ file: string; offset: number }> {
  if (fs.location.kind === 'partition') {
    const n = fs.location.partition;
    const part = fixture.partitions.find((p) => p.number === n);
    if (part === undefined) throw new Error(`${fs.id}: no partition ${n}`);
    return { file: image, offset: part.start };
  }
  const file = join(scratch, `${fixture.name}-${fs.id.replaceAll('/', '_')}`);
  if (!existsSync(file)) await extractFilesystem(fixture, fs, image, file);
  return { file, offset: 0 };
}
