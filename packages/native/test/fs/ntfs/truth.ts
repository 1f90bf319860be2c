/**
 * Ground truth for NTFS images from The Sleuth Kit: `fls -r -p -l -u` for the tree (paths, kinds,
 * sizes, named streams), `tsk_recover -e` and `icat` for the bytes of every file.
 */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TreeEntry } from '@imagecheck/test-kit';
import { run, which } from '@imagecheck/test-kit';
import { expect } from 'vitest';

const execFileP = promisify(execFile);

export interface TskEntry {
  readonly path: string;
  /** fls's meta type letter: `d` directory, `r` regular file. */
  readonly kind: string;
  /** `inode-type-id` of the default attribute; the inode alone (or empty) when TSK could not load the data. */
  readonly address: string;
  readonly size: number;
}

export interface TskTruth {
  readonly entries: readonly TskEntry[];
  /** path → named stream → size. */
  readonly streams: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** path → sha256 of the default $DATA, for every `r` entry. */
  readonly sha256: ReadonlyMap<string, string>;
}

/**
 * Runs fls and recovers every file; `imageArgs` reach a volume inside an image (`-i vhd -o 128`).
 * Entries under `$OrphanFiles` (TSK's virtual folder of unreachable records) are left out: they
 * are not in any directory.
 */
export async function tskTruth(
  image: string,
  imageArgs: readonly string[] = [],
  /**
   * Files TSK may fail to list or read (a sparse run longer than the volume, which NTFS allows and
   * TSK refuses): when fls leaves one out, ntfs-3g's ntfsls and ntfscat stand in for it.
   */
  ntfs3gFiles: readonly string[] = [],
): Promise<TskTruth> {
  const out = await run('fls', ['-r', '-p', '-l', '-u', '-f', 'ntfs', ...imageArgs, image]);
  const entries: TskEntry[] = [];
  const streams = new Map<string, Map<string, number>>();
  for (const line of out.split('\n')) {
    const m = /^(\S)\/(\S) (\d+(?:-\d+-\d+)?):\t([^\t]*)\t(?:[^\t]*\t){4}(\d+)\t/.exec(line);
    if (m === null) continue;
    const [, , kind, address, name, size] = m as unknown as [string, string, string, string, string, string];
    if (name === '$OrphanFiles' || name.startsWith('$OrphanFiles/')) continue;
    const colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) {
      const path = `/${name.slice(0, colon)}`;
      const s = streams.get(path) ?? new Map<string, number>();
      s.set(name.slice(colon + 1), Number(size));
      streams.set(path, s);
      continue;
    }
    entries.push({ path: `/${name}`, kind, address, size: Number(size) });
  }
  for (const path of ntfs3gFiles) {
    if (entries.some((e) => e.path === path)) continue;
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    const listed = (await run('ntfsls', ['-f', '-a', '-p', parent, image])).split('\n');
    if (listed.includes(path.slice(path.lastIndexOf('/') + 1)))
      entries.push({ path, kind: 'r', address: '', size: 0 });
  }
  const sha256 = new Map<string, string>();
  const sizes = new Map<string, number>();
  const dir = await mkdtemp(join(tmpdir(), 'ntfs-truth-'));
  try {
    await run('tsk_recover', ['-e', '-f', 'ntfs', ...imageArgs, image, dir]);
    for (const e of entries) {
      if (e.kind !== 'r') continue;
      const host = join(dir, e.path);
      let bytes: Buffer | undefined;
      try {
        if ((await stat(host)).isFile()) bytes = await readFile(host);
      } catch {}
      // TSK could not load the file's data (it refuses a sparse run longer than the volume, which
      // NTFS allows): ntfs-3g's ntfscat reads it.
      if (!/^\d+-\d+-\d+$/.test(e.address)) {
        const r = await execFileP(which('ntfscat') ?? 'ntfscat', ['-f', image, e.path.slice(1)], {
          encoding: 'buffer',
          maxBuffer: 512 * 1024 * 1024,
        });
        bytes = r.stdout;
        sizes.set(e.path, bytes.length);
      }
      // tsk_recover skips metafiles and empty files: icat reads those.
      if (bytes === undefined) {
        const r = await execFileP(which('icat') ?? 'icat', ['-f', 'ntfs', ...imageArgs, image, e.address], {
          encoding: 'buffer',
          maxBuffer: 512 * 1024 * 1024,
        });
        bytes = r.stdout;
      }
      sha256.set(e.path, createHash('sha256').update(bytes).digest('hex'));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { entries: entries.map((e) => ({ ...e, size: sizes.get(e.path) ?? e.size })), streams, sha256 };
}

/** Lists a host folder recursively (for debugging truth extraction). */
export async function listHost(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String);
}

/**
 * What ntfs-3g's readlink returns, in this reader's form: ntfs-3g shows a drive-absolute target
 * as `<mount>/.NTFS-3G/C:/path`; the reader maps C: to the guest root and keeps other drives as
 * `/D:/path`. Relative targets are the same in both.
 */
export function fromNtfs3gLink(target: string): string {
  if (target.startsWith('<mnt>/.NTFS-3G/C:')) return target.slice('<mnt>/.NTFS-3G/C:'.length) || '/';
  if (target.startsWith('<mnt>/.NTFS-3G/')) return `/${target.slice('<mnt>/.NTFS-3G/'.length)}`;
  return target;
}

/**
 * Compares a whole-tree walk of the reader with TSK: the same paths, directories where fls says
 * `d`, files where it says `r` with its size and icat's bytes, except the reparse-point links,
 * whose targets are compared with what ntfs-3g's readlink returns.
 */
export function compareWithTsk(
  tree: readonly TreeEntry[],
  truth: TskTruth,
  links: Readonly<Record<string, string>>,
  /** WOF files: TSK reads their sparse unnamed $DATA (zeros); these are what wimlib compressed. */
  wof: Readonly<Record<string, { size: number; sha256: string }>> = {},
): void {
  const linkPaths = new Set(Object.keys(links).filter((p) => p !== '/interix-link'));
  // fls prints a file without an unnamed $DATA ($Secure, $Extend/$Quota...) only as its named
  // attributes (`$Secure:$SDS`); the reader lists the name itself, as the index holds it.
  const listed = new Set(truth.entries.map((e) => e.path));
  const streamOnly = [...truth.streams.keys()].filter((p) => !listed.has(p));
  expect(tree.map((e) => e.path).sort()).toEqual([...listed, ...streamOnly].sort());
  const byPath = new Map(truth.entries.map((e) => [e.path, e]));
  for (const e of tree) {
    const t = byPath.get(e.path);
    if (t === undefined) {
      expect(e, e.path).toMatchObject({ type: 'file', size: 0 });
      continue;
    }
    if (linkPaths.has(e.path)) {
      expect(e.type, e.path).toBe('symlink');
      expect(e.target, e.path).toBe(fromNtfs3gLink(links[e.path] as string));
      expect(e.mode).toBe(0o120777);
    } else if (wof[e.path] !== undefined) {
      expect(e, e.path).toMatchObject({ type: 'file', ...wof[e.path] });
    } else if (t.kind === 'd') {
      expect(e, e.path).toMatchObject({ type: 'dir', mode: 0o40755, uid: 0, gid: 0 });
    } else {
      expect(e, e.path).toMatchObject({
        type: 'file',
        size: t.size,
        sha256: truth.sha256.get(e.path),
        mode: 0o100644,
      });
    }
  }
  expect(
    tree
      .filter((e) => e.type === 'symlink')
      .map((e) => e.path)
      .sort(),
  ).toEqual([...linkPaths].sort());
}
