import type { CliIo } from '../io.js';
import { EXIT } from '../io.js';
import { loadDefaultPlugins } from '../plugins.js';
import { type ImageOptions, withImage } from './open.js';
import { openTree } from './tree.js';

export interface CatOptions extends ImageOptions {
  filesystem?: string;
}

const CHUNK = 4 * 1024 * 1024;

export async function runCat(io: CliIo, image: string, path: string, opts: CatOptions): Promise<number> {
  return withImage(image, opts, async (access) => {
    const tree = await openTree(access, opts.filesystem, await loadDefaultPlugins());
    const st = await tree.stat(path);
    for (let off = 0; off < st.size; off += CHUNK) {
      const bytes = await tree.readFile(path, {
        offset: off,
        length: Math.min(CHUNK, st.size - off),
        maxBytes: CHUNK,
      });
      io.stdoutBytes(bytes);
    }
    return EXIT.ok;
  });
}
