/**
 * The native backend against the access contract's conformance suite, on real images built from
 * the suite's manifests; and the manifests against tools that are not imagecheck's (sfdisk,
 * blkid, debugfs, The Sleuth Kit's fls), so the answers the suite expects are the disk's.
 */
import { execFileSync } from 'node:child_process';
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
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeBackend } from '../../src/index.js';
import { buildConformanceImage, canBuildConformance } from '../fixtures/conformance.js';

// Under CI a missing tool fails the tests instead of skipping them (requireTools throws).
const skip = !canBuildConformance();

if (!skip) {
  describeBackendConformance('native', { backend: nativeBackend, imagePath: buildConformanceImage });
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
  for (const fixture of CONFORMANCE_FIXTURES) {
    describe(fixture.name, () => {
      let image = '';
      beforeAll(async () => {
        image = await buildConformanceImage(fixture);
      }, 600_000);

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
          const part = partitionOf(fixture, fs);
          const found = await blkidAt(image, part.start, part.size);
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

      for (const fs of fixture.filesystems.filter((f) => f.files !== undefined && f.type !== 'xfs')) {
        it(`fls lists exactly the manifest tree of ${fs.id} (${fs.type})`, async () => {
          const part = partitionOf(fixture, fs);
          const tree = await flsTree(image, part.start, fs.type === 'vfat' ? 'fat' : fs.type);
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
          const part = partitionOf(fixture, fs);
          const dev = `${image}?offset=${part.start}`;
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

function partitionOf(fixture: ConformanceFixture, fs: ConformanceFilesystem) {
  const n = fs.location.kind === 'partition' ? fs.location.partition : -1;
  const part = fixture.partitions.find((p) => p.number === n);
  if (part === undefined) throw new Error(`${fs.id} is not on a partition`);
  return part;
}
