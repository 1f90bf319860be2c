import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FsNode, NodeFileSystem } from '@imagecheck/access';

/** One entry of a whole-tree listing, the shape every filesystem test compares. */
export interface TreeEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size?: number;
  mode: number;
  uid: number;
  gid: number;
  target?: string;
  sha256?: string;
}

const CHUNK = 1 << 20;

/** Walks a host directory (the source tree a fixture was built from). Sizes only for files. */
export async function walkHostDir(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  async function visit(rel: string): Promise<void> {
    const names = (await readdir(join(root, rel))).sort();
    for (const name of names) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const abs = join(root, r);
      const st = await lstat(abs);
      const base = { path: `/${r}`, mode: st.mode, uid: st.uid, gid: st.gid };
      if (st.isSymbolicLink()) out.push({ ...base, type: 'symlink', target: await readlink(abs) });
      else if (st.isDirectory()) {
        out.push({ ...base, type: 'dir' });
        await visit(r);
      } else if (st.isFile()) {
        const data = await readFile(abs);
        out.push({
          ...base,
          type: 'file',
          size: st.size,
          sha256: createHash('sha256').update(data).digest('hex'),
        });
      } else out.push({ ...base, type: 'other' });
    }
  }
  await visit('');
  return out;
}

/** Walks a filesystem through the node-level interface; file contents are hashed in 1 MiB reads. */
export async function walkNodeFs(
  fs: NodeFileSystem,
  options: { skip?: (path: string) => boolean } = {},
): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  async function visit(dir: FsNode, rel: string): Promise<void> {
    const entries = (await fs.readdir(dir)).map((e) => e.name).sort();
    for (const name of entries) {
      const path = `${rel}/${name}`;
      if (options.skip?.(path)) continue;
      const node = await fs.lookup(dir, name);
      if (node === undefined) throw new Error(`readdir listed ${path} but lookup did not find it`);
      const base = { path, mode: node.mode, uid: node.uid, gid: node.gid };
      if (node.type === 'symlink') out.push({ ...base, type: 'symlink', target: await fs.readlink(node) });
      else if (node.type === 'dir') {
        out.push({ ...base, type: 'dir' });
        await visit(node, path);
      } else if (node.type === 'file') {
        const hash = createHash('sha256');
        for (let off = 0; off < node.size; off += CHUNK) {
          hash.update(await fs.read(node, off, Math.min(CHUNK, node.size - off)));
        }
        out.push({ ...base, type: 'file', size: node.size, sha256: hash.digest('hex') });
      } else out.push({ ...base, type: 'other' });
    }
  }
  await visit(await fs.root(), '');
  return out;
}
