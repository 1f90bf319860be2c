import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeBackend } from '@imagecheck/access-native';
import { plugin as linux } from '@imagecheck/plugin-linux';
import type { LoadedPack, ProgressEvent, Report } from '@imagecheck/sdk';
import { loadPack, runCheck, selectRules } from '@imagecheck/sdk';
import { type PlannedItem, planFromRules } from '../src/model.js';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../..');
export const sampleImage = join(repoRoot, 'samples/sample-linux.qcow2');
export const examplesPack = join(repoRoot, 'rules/examples');

export interface RecordedCheck {
  readonly events: readonly ProgressEvent[];
  readonly report: Report;
  readonly plan: readonly PlannedItem[];
  readonly header: { format: string; virtualSize: number; backend: string };
}

let packs: Promise<LoadedPack[]> | undefined;

/**
 * Checks the bundled sample image with the example pack and the Linux plugin (its OS provider
 * finds the root), as the CLI does, and records every
 * progress event: the component tests replay them one by one and look at each frame.
 */
export async function recordSampleCheck(image = sampleImage): Promise<RecordedCheck> {
  packs ??= loadPack(examplesPack).then((p) => [p]);
  const loaded = await packs;
  const events: ProgressEvent[] = [];
  const access = await nativeBackend.open(image, {});
  try {
    const layout = await access.inspect();
    const report = await runCheck({
      access,
      packs: loaded,
      plugins: [linux],
      onProgress: (e) => events.push(e),
    });
    return {
      events,
      report,
      plan: planFromRules(selectRules(loaded)),
      header: { format: layout.disk.format, virtualSize: layout.disk.virtualSize, backend: access.backend },
    };
  } finally {
    await access.close();
  }
}

/** Waits until `check()` holds, letting React and Ink render in between; fails after `tries` turns. */
export async function until(check: () => boolean, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Ink's key sequences, as a terminal sends them. */
export const KEYS = {
  up: '\u001b[A',
  down: '\u001b[B',
  enter: '\r',
  escape: '\u001b',
  backspace: '\u007f',
  ctrlC: '\u0003',
} as const;

/** Frames without colour codes, for assertions on what a person reads. */
export function plain(frame: string | undefined): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour sequences.
  return (frame ?? '').replace(/\u001b\[[0-9;]*m/g, '');
}
