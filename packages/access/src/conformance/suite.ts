import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GuestPathError,
  InternalError,
  isAbsent,
  isImagecheckError,
  isInternalError,
  UnsupportedError,
  UsageError,
} from '../errors.js';
import type { FsNode, NodeFileSystem } from '../node-fs.js';
import { createGuestTree, joinPath } from '../tree.js';
import type { AccessBackendV2, GuestAccessV2, ImageLayoutV2 } from '../v2.js';
import {
  CONFORMANCE_FIXTURES,
  type ConformanceEntry,
  type ConformanceFilesystem,
  type ConformanceFixture,
  entryBytes,
  entryMode,
  entryType,
} from './manifest.js';

/**
 * The conformance suite: vitest tests that hold a backend to the access contract (v2) on the
 * conformance fixtures. Every backend (native on the real images, the in-memory guest on the
 * same manifests, guestfs, live) runs the same tests; a backend passes by answering what the
 * manifest says, and reports a boot fact as unknown only when its capabilities say it cannot
 * read them.
 *
 * ```ts
 * describeBackendConformance('native', {
 *   backend: nativeBackend,
 *   imagePath: (fixture) => buildConformanceImage(fixture),
 * });
 * ```
 */
export interface BackendConformanceOptions {
  readonly backend: AccessBackendV2;
  /** What `backend.open` is given for a fixture: an image file it builds, or a name. */
  readonly imagePath: (fixture: ConformanceFixture) => string | Promise<string>;
  /** Default: every fixture (`CONFORMANCE_FIXTURES`). */
  readonly fixtures?: readonly ConformanceFixture[];
  /** Time for `imagePath` (building an image); default 10 minutes. */
  readonly setupTimeout?: number;
}

interface Walked {
  readonly node: FsNode;
  readonly entries?: readonly { name: string; type: string; id?: string }[];
}

/** Every node of a filesystem by path, walked with `readdir` and `lookup` only. */
async function walk(fs: NodeFileSystem, limit = 10_000): Promise<Map<string, Walked>> {
  const out = new Map<string, Walked>();
  const root = await fs.root();
  const queue: [string, FsNode][] = [['/', root]];
  while (queue.length > 0) {
    const [path, node] = queue.shift() as [string, FsNode];
    if (node.type !== 'dir') {
      out.set(path, { node });
      continue;
    }
    const entries = await fs.readdir(node);
    out.set(path, { node, entries });
    for (const e of entries) {
      if (out.size + queue.length > limit) throw new Error(`more than ${limit} nodes: a directory loop?`);
      const child = await fs.lookup(node, e.name);
      expect(child, `lookup of ${joinPath(path, e.name)}, listed by readdir`).toBeDefined();
      queue.push([joinPath(path, e.name), child as FsNode]);
    }
  }
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

function expectCode(err: unknown, cls: new (...args: never[]) => Error, code: string): void {
  expect(err).toBeInstanceOf(cls);
  expect(isImagecheckError(err) ? err.code : undefined).toBe(code);
}

function expectInternal(err: unknown): void {
  expect(err).toBeInstanceOf(InternalError);
  expect(isInternalError(err)).toBe(true);
}

function expectAbort(err: unknown, reason: unknown): void {
  expect(err).toBe(reason);
}

function files(fs: ConformanceFilesystem): [string, ConformanceEntry][] {
  return Object.entries(fs.files ?? {});
}

function firstFile(fs: ConformanceFilesystem, min = 1): [string, ConformanceEntry] {
  const found = files(fs).find(([, e]) => 'content' in e && entryBytes(e).length >= min);
  if (found === undefined) throw new Error(`fixture filesystem ${fs.id} has no file of ${min} bytes`);
  return found;
}

/** Registers the conformance tests of one backend (a `describe` per fixture). */
export function describeBackendConformance(name: string, options: BackendConformanceOptions): void {
  const fixtures = options.fixtures ?? CONFORMANCE_FIXTURES;
  for (const fixture of fixtures) {
    describe(`${name} conforms to the access contract on ${fixture.name}`, () => {
      let path = '';
      let access: GuestAccessV2;
      let layout: ImageLayoutV2;
      const open = (signal?: AbortSignal) =>
        options.backend.open(path, signal === undefined ? {} : { signal });
      const readable = fixture.filesystems.filter((f) => f.readable);

      beforeAll(async () => {
        path = await options.imagePath(fixture);
        access = await open();
        layout = await access.inspect();
      }, options.setupTimeout ?? 600_000);
      afterAll(async () => {
        await access?.close();
      });

      it('says what it is and what it can do', () => {
        expect(options.backend.specificationVersion).toBe('v2');
        expect(access.specificationVersion).toBe('v2');
        expect(access.backend).toBe(options.backend.name);
        expect(access.imagePath).toBe(path);
        const caps = access.capabilities;
        expect(caps.layout).toBe(true);
        expect(caps.filesystemTree).toBe(true);
        expect(typeof caps.bootFacts).toBe('boolean');
        expect(typeof caps.posixMetadata).toBe('boolean');
        for (const f of readable) expect(caps.readableFilesystems).toContain(f.type);
        for (const f of fixture.filesystems.filter((g) => !g.readable))
          expect(caps.readableFilesystems).not.toContain(f.type);
      });

      it('reports the disk', () => {
        const d = layout.disk;
        expect(d.format).toBe(fixture.disk.format);
        expect(d.virtualSize).toBe(fixture.disk.virtualSize);
        expect(d.sectorSize).toBe(fixture.disk.sectorSize);
        expect(d.partitionTable).toBe(fixture.disk.partitionTable);
        expect(d.diskId).toBe(fixture.disk.diskId);
        expect(d.detected).toBeUndefined();
        expect(layout.warnings).toEqual([]);
      });

      it('reports every partition with its start, size, type, uuid and label', () => {
        expect(layout.disk.partitions.map((p) => p.number)).toEqual(fixture.partitions.map((p) => p.number));
        for (const want of fixture.partitions) {
          const got = layout.disk.partitions.find((p) => p.number === want.number);
          expect(got, `partition ${want.number}`).toBeDefined();
          expect({
            number: got?.number,
            start: got?.start,
            size: got?.size,
            type: got?.type,
            typeName: got?.typeName,
            uuid: got?.uuid,
            label: got?.label,
            kind: got?.kind,
            bootable: got?.bootable ?? false,
          }).toEqual({ label: undefined, ...want });
        }
      });

      it('reports volumes and filesystems with their type, uuid, label and location', () => {
        expect(layout.volumes).toEqual(fixture.volumes);
        expect(layout.filesystems.map((f) => f.id).sort()).toEqual(
          fixture.filesystems.map((f) => f.id).sort(),
        );
        for (const want of fixture.filesystems) {
          const got = layout.filesystems.find((f) => f.id === want.id);
          expect(got, `filesystem ${want.id}`).toBeDefined();
          expect({
            type: got?.type,
            uuid: got?.uuid,
            label: got?.label,
            location: got?.location,
            size: got?.size,
            readable: got?.readable,
          }).toEqual({
            type: want.type,
            uuid: want.uuid,
            label: want.label,
            location: want.location,
            size: want.size,
            readable: want.readable,
          });
          // An image file has no running system: nothing is mounted anywhere.
          expect(got?.mountpoints).toBeUndefined();
        }
      });

      it('reports the boot facts, or says it cannot', () => {
        const boot = layout.disk.boot;
        expect(boot.espPartitions).toEqual(fixture.boot.espPartitions);
        if (access.capabilities.bootFacts) {
          expect(boot.mbrBootCode).toEqual(fixture.boot.mbrBootCode);
          expect(boot.biosBootPartition).toEqual(fixture.boot.biosBootPartition);
        } else {
          expect(boot.mbrBootCode.known).toBe(false);
          const reason = boot.mbrBootCode.known ? undefined : boot.mbrBootCode.reason;
          expect(typeof reason === 'string' && reason.length > 0).toBe(true);
          // The partition number is in the table; what its sector holds is a boot fact.
          if (boot.biosBootPartition !== undefined)
            expect(boot.biosBootPartition.partition).toBe(fixture.boot.biosBootPartition?.partition);
        }
      });

      it('caches the layout', async () => {
        expect(await access.inspect()).toEqual(layout);
      });

      it('opens each readable filesystem, and refuses the others and unknown ids', async () => {
        for (const want of fixture.filesystems) {
          if (want.readable) {
            const fs = await access.openFilesystem(want.id);
            expect(fs.info).toMatchObject({ type: want.type, uuid: want.uuid, label: want.label });
            expect(fs.caseSensitive).toBe(want.caseSensitive ?? true);
            expect(fs.posixMetadata).toBe(want.posixMetadata ?? true);
            expect(await access.listSubvolumes(want.id)).toEqual([]);
          } else {
            expect(await rejection(access.openFilesystem(want.id))).toBeInstanceOf(UnsupportedError);
          }
        }
        expect(await rejection(access.openFilesystem('no-such-filesystem'))).toBeInstanceOf(UsageError);
        expect(await rejection(access.listSubvolumes('no-such-filesystem'))).toBeInstanceOf(UsageError);
      });

      for (const want of readable) {
        describe(`filesystem ${want.id} (${want.type})`, () => {
          let fs: NodeFileSystem;
          let tree: Map<string, Walked>;
          beforeAll(async () => {
            fs = await access.openFilesystem(want.id);
            tree = await walk(fs);
          });

          it('holds exactly the entries of the manifest, with their types', () => {
            const expected = Object.fromEntries(files(want).map(([p, e]) => [p, entryType(e)]));
            const actual = Object.fromEntries([...tree].map(([p, w]) => [p, w.node.type]));
            expect(actual).toEqual(expected);
          });

          it('lists each directory with the types of its entries', () => {
            for (const [path, w] of tree) {
              if (w.entries === undefined) continue;
              const listed = Object.fromEntries(w.entries.map((e) => [e.name, e.type]));
              const children = Object.fromEntries(
                files(want)
                  .filter(([p]) => p !== '/' && p.slice(0, p.lastIndexOf('/') || 1) === path)
                  .map(([p, e]) => [p.slice(p.lastIndexOf('/') + 1), entryType(e)]),
              );
              expect(listed, path).toEqual(children);
              expect(w.entries.some((e) => e.name === '.' || e.name === '..')).toBe(false);
            }
          });

          it('stats each node: size, mode, owner, times', () => {
            for (const [path, entry] of files(want)) {
              const node = tree.get(path)?.node as FsNode;
              const mode = entryMode(entry);
              expect({ path, mode: node.mode.toString(8), uid: node.uid, gid: node.gid }).toEqual({
                path,
                mode: mode.toString(8),
                uid: entry.uid ?? 0,
                gid: entry.gid ?? 0,
              });
              if ('content' in entry) expect(node.size, path).toBe(entryBytes(entry).length);
              if ('symlink' in entry)
                expect(node.size, path).toBe(new TextEncoder().encode(entry.symlink).length);
              if (entry.mtimeMs !== undefined) expect(node.mtimeMs, path).toBe(entry.mtimeMs);
              if (node.nlink !== undefined) expect(node.nlink, path).toBeGreaterThan(0);
            }
          });

          it('finds a node again by the id its directory entry gives', async () => {
            for (const [, w] of tree) {
              for (const e of w.entries ?? []) {
                if (e.id === undefined) continue;
                const n = await fs.node(e.id);
                expect(n.id).toBe(e.id);
                expect(n.type).toBe(e.type);
              }
            }
          });

          it('reads whole files and every kind of range', async () => {
            for (const [path, entry] of files(want)) {
              if (!('content' in entry)) continue;
              const node = tree.get(path)?.node as FsNode;
              const bytes = entryBytes(entry);
              const n = bytes.length;
              expect(Buffer.from(await fs.read(node, 0, n)).equals(Buffer.from(bytes)), path).toBe(true);
              expect((await fs.read(node, 0, 0)).length, `${path} zero length`).toBe(0);
              expect((await fs.read(node, n, 10)).length, `${path} at EOF`).toBe(0);
              expect((await fs.read(node, n + 4096, 10)).length, `${path} past EOF`).toBe(0);
              if (n === 0) continue;
              const past = await fs.read(node, Math.max(0, n - 3), 100);
              expect(
                Buffer.from(past).equals(Buffer.from(bytes.subarray(Math.max(0, n - 3)))),
                `${path} tail`,
              ).toBe(true);
              // Ranges that straddle 512-byte sectors, 4 KiB blocks and clusters.
              for (const [off, len] of [
                [1, 1],
                [511, 2],
                [4095, 4098],
                [Math.floor(n / 2), 12_345],
                [n - 1, 1],
              ] as const) {
                if (off >= n) continue;
                const got = await fs.read(node, off, len);
                const want2 = bytes.subarray(off, Math.min(n, off + len));
                expect(Buffer.from(got).equals(Buffer.from(want2)), `${path} [${off}, +${len})`).toBe(true);
              }
            }
          });

          it('reads symlink targets as stored', async () => {
            for (const [path, entry] of files(want)) {
              if (!('symlink' in entry)) continue;
              expect(await fs.readlink(tree.get(path)?.node as FsNode), path).toBe(entry.symlink);
            }
          });

          it('looks up absent names as undefined; a file passed as a directory is a bug', async () => {
            const root = await fs.root();
            expect(await fs.lookup(root, 'no-such-entry')).toBeUndefined();
            const [filePath] = firstFile(want);
            const file = tree.get(filePath)?.node as FsNode;
            // The resolver checks types before it looks a name up, so only a caller's bug gets here.
            expectInternal(await rejection(fs.lookup(file, 'child')));
            expectInternal(await rejection(fs.readdir(file)));
          });

          it('resolves paths through the shared resolver with the right error codes', async () => {
            const guest = createGuestTree([{ mountpoint: '/', fs }]);
            const [filePath, fileEntry] = firstFile(want);
            const st = await guest.stat(filePath);
            expect(st.type).toBe('file');
            expect(st.size).toBe(entryBytes(fileEntry).length);
            const absent = await rejection(guest.stat('/no-such-entry'));
            expectCode(absent, GuestPathError, 'guest/ENOENT');
            expect(isAbsent(absent)).toBe(true);
            const notDir = await rejection(guest.stat(`${filePath}/child`));
            expectCode(notDir, GuestPathError, 'guest/ENOTDIR');
            expect(isAbsent(notDir)).toBe(true);
            const dirPath = files(want).find(([p, e]) => p !== '/' && 'dir' in e)?.[0] ?? '/';
            expectCode(await rejection(guest.readFile(dirPath)), GuestPathError, 'guest/EISDIR');
            expectCode(await rejection(guest.readlink(filePath)), GuestPathError, 'guest/EINVAL');
            expect(await guest.readdir('/')).toHaveLength(tree.get('/')?.entries?.length ?? -1);
            // A relative symlink that resolves to a file reads as that file.
            for (const [path, entry] of files(want)) {
              if (!('symlink' in entry)) continue;
              const target = entry.symlink.startsWith('/')
                ? entry.symlink
                : joinPath(path.slice(0, path.lastIndexOf('/')) || '/', entry.symlink);
              const resolved = files(want).find(([p]) => p === new URL(target, 'file:///').pathname);
              if (resolved === undefined) {
                expect(isAbsent(await rejection(guest.stat(path))), `${path} dangles`).toBe(true);
                expect((await guest.lstat(path)).type).toBe('symlink');
              } else if ('content' in resolved[1]) {
                const data = await guest.readFile(path);
                expect(Buffer.from(data).equals(Buffer.from(entryBytes(resolved[1]))), path).toBe(true);
              }
            }
            if (!(want.caseSensitive ?? true)) {
              // Case-insensitive filesystems find any spelling; realpath gives the stored one.
              const upper = filePath.toUpperCase();
              expect(await guest.realpath(upper)).toBe(filePath);
              expect((await guest.stat(filePath.toLowerCase())).size).toBe(entryBytes(fileEntry).length);
            } else {
              const other =
                filePath.toUpperCase() === filePath ? filePath.toLowerCase() : filePath.toUpperCase();
              if (!files(want).some(([p]) => p === other))
                expect(isAbsent(await rejection(guest.stat(other)))).toBe(true);
            }
          });
        });
      }

      describe('AbortSignal', () => {
        it('rejects opening with an aborted signal with its reason', async () => {
          const reason = new Error('stop');
          expectAbort(await rejection(open(AbortSignal.abort(reason))), reason);
          const plain = await rejection(open(AbortSignal.abort()));
          expect((plain as Error).name).toBe('AbortError');
        });

        it('rejects later work, and reads of opened filesystems, once aborted', async () => {
          const controller = new AbortController();
          const session = await open(controller.signal);
          try {
            const fsInfo = readable[0] as ConformanceFilesystem;
            const fs = await session.openFilesystem(fsInfo.id);
            const [filePath] = firstFile(fsInfo);
            const node = await nodeAt(fs, filePath);
            const root = await fs.root();
            const reason = new Error('cancelled by the test');
            controller.abort(reason);
            expectAbort(await rejection(session.inspect()), reason);
            expectAbort(await rejection(session.openFilesystem(fsInfo.id)), reason);
            expectAbort(await rejection(fs.read(node, 0, 1)), reason);
            expectAbort(await rejection(fs.readdir(root)), reason);
          } finally {
            await session.close();
          }
        });
      });

      describe('close', () => {
        it('makes every later use an internal error, and closing twice is harmless', async () => {
          const session = await open();
          const fsInfo = readable[0] as ConformanceFilesystem;
          const fs = await session.openFilesystem(fsInfo.id);
          const [filePath] = firstFile(fsInfo);
          const node = await nodeAt(fs, filePath);
          await session.close();
          await session.close();
          expectInternal(await rejection(session.inspect()));
          expectInternal(await rejection(session.openFilesystem(fsInfo.id)));
          expectInternal(await rejection(session.listSubvolumes(fsInfo.id)));
          expectInternal(await rejection(fs.read(node, 0, 1)));
          expectInternal(await rejection(fs.root()));
        });
      });
    });
  }
}

async function nodeAt(fs: NodeFileSystem, path: string): Promise<FsNode> {
  let node = await fs.root();
  for (const part of path.split('/').filter((p) => p !== '')) {
    const next = await fs.lookup(node, part);
    if (next === undefined) throw new Error(`${path} is not in the filesystem`);
    node = next;
  }
  return node;
}
