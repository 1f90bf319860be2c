import { resolve } from 'node:path';
import type { LoadedPack, Plugin } from '@imagecheck/sdk';
import { loadPack, UsageError } from '@imagecheck/sdk';

/**
 * The packs a command uses: those shipped by the loaded plugins, then the config's, then each
 * `--pack`. Relative folders resolve against `cwd`. A folder given twice is loaded once.
 */
export async function loadPacks(
  plugins: readonly Plugin[],
  extraDirs: readonly string[],
  cwd: string,
): Promise<LoadedPack[]> {
  const knownFacts = new Set(plugins.flatMap((p) => p.facts.map((f) => f.id)));
  const dirs = [...plugins.flatMap((p) => p.packs ?? []), ...extraDirs.map((d) => resolve(cwd, d))];
  const seen = new Set<string>();
  const packs: LoadedPack[] = [];
  for (const dir of dirs) {
    if (seen.has(dir)) continue;
    seen.add(dir);
    packs.push(await loadPack(dir, plugins.length > 0 ? { knownFacts } : undefined));
  }
  return packs;
}

export function requirePacks(packs: readonly LoadedPack[]): void {
  if (packs.length === 0) {
    throw new UsageError(
      'cli/no-packs',
      'no rule packs are loaded: this installation has no built-in pack plugin; name a pack folder with --pack DIR',
    );
  }
}
