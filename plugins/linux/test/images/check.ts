/**
 * Runs the full Linux check (this plugin from source, the built-in pack) over an image file with
 * the native backend, the way `imagecheck check` does.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { openNative } from '@imagecheck/access-native';
import { type LoadedPack, loadPack, type Report, runCheck } from '@imagecheck/sdk';
import { plugin } from '../../src/index.js';

let pack: Promise<LoadedPack> | undefined;

export function linuxPack(): Promise<LoadedPack> {
  pack ??= loadPack(dirname(createRequire(import.meta.url).resolve('@imagecheck/rules-linux/pack.yaml')), {
    knownFacts: new Set(plugin.facts.map((f) => f.id)),
  });
  return pack;
}

export interface CheckResult {
  readonly report: Report;
  readonly stats: Readonly<Record<string, number>>;
}

export async function checkImage(path: string): Promise<CheckResult> {
  const access = await openNative(path);
  try {
    const report = await runCheck({ access, packs: [await linuxPack()], plugins: [plugin] });
    return { report, stats: access.stats?.() ?? {} };
  } finally {
    await access.close();
  }
}
