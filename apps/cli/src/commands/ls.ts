import type { CliIo } from '../io.js';
import { EXIT } from '../io.js';
import { loadDefaultPlugins } from '../plugins.js';
import { type ImageOptions, withImage } from './open.js';
import { formatLsLine, listTree, openTree } from './tree.js';

export interface LsOptions extends ImageOptions {
  recursive?: boolean;
  json?: boolean;
  hash?: boolean;
  filesystem?: string;
}

export async function runLs(io: CliIo, image: string, path: string, opts: LsOptions): Promise<number> {
  return withImage(image, opts, async (access) => {
    const tree = await openTree(access, opts.filesystem, await loadDefaultPlugins());
    await listTree(tree, path, { recursive: opts.recursive === true, hash: opts.hash === true }, (e) => {
      io.stdout(opts.json ? `${JSON.stringify(e)}\n` : `${formatLsLine(e)}\n`);
    });
    return EXIT.ok;
  });
}
