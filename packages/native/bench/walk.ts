import { createHash } from 'node:crypto';
import type { FsNode, NodeFileSystem } from '@imagecheck/access';

const CHUNK = 1 << 20;

export interface WalkStats {
  files: number;
  dirs: number;
  links: number;
  /** Sum of the file sizes: what `bytes read` from the image is compared against. */
  dataBytes: number;
}

/**
 * What the filesystem benchmarks measure: a full walk of a filesystem, every symlink read and
 * every regular file hashed in 1 MiB reads, as `imagecheck ls -R --hash` does.
 */
export async function walkAndHash(fs: NodeFileSystem): Promise<WalkStats> {
  const stats: WalkStats = { files: 0, dirs: 0, links: 0, dataBytes: 0 };
  const visit = async (dir: FsNode): Promise<void> => {
    for (const e of await fs.readdir(dir)) {
      const node = await fs.lookup(dir, e.name);
      if (node === undefined) throw new Error(`readdir listed ${e.name}, lookup lost it`);
      if (node.type === 'dir') {
        stats.dirs++;
        await visit(node);
      } else if (node.type === 'symlink') {
        stats.links++;
        await fs.readlink(node);
      } else if (node.type === 'file') {
        stats.files++;
        stats.dataBytes += node.size;
        const h = createHash('sha256');
        for (let off = 0; off < node.size; off += CHUNK)
          h.update(await fs.read(node, off, Math.min(CHUNK, node.size - off)));
        h.digest();
      }
    }
  };
  await visit(await fs.root());
  return stats;
}
