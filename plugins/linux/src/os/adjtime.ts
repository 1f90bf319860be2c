import type { CollectContext, Collector, FactDefinition, FactResult } from '@imagecheck/sdk';
import { fileEvidence, NO_GUEST, readOptional, splitLines } from '../guest-files.js';

/** Value of `linux.adjtime`. */
export interface Adjtime {
  readonly present: boolean;
  /** The hardware clock's time scale: line 3 of /etc/adjtime; `UTC` when the file or line is absent. */
  readonly mode: 'UTC' | 'LOCAL';
  /** The third line as written, null when absent. */
  readonly raw: string | null;
  readonly path: string;
  readonly line: number | null;
}

export const adjtimeFact: FactDefinition = {
  id: 'linux.adjtime',
  version: '1.0.0',
  description:
    'How the guest reads the hardware clock: the third line of /etc/adjtime (hwclock(8), adjtime_config(5)), `UTC` or `LOCAL`; absent means UTC.',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['present', 'mode', 'raw', 'path', 'line'],
    properties: {
      present: { type: 'boolean' },
      mode: { enum: ['UTC', 'LOCAL'] },
      raw: { type: ['string', 'null'] },
      path: { type: 'string' },
      line: { type: ['integer', 'null'] },
    },
  },
};

const PATH = '/etc/adjtime';

async function collectAdjtime(ctx: CollectContext): Promise<FactResult<Adjtime>> {
  const g = ctx.guest;
  if (!g) return { status: 'unavailable', reason: NO_GUEST, evidence: [] };
  // adjtime is three short lines; 4 KiB is far more than any real one.
  const text = await readOptional(g, PATH, 4096).catch((err) => {
    if ((err as { code?: string }).code === 'guest/EFBIG') return '';
    throw err;
  });
  if (text === undefined) {
    return {
      status: 'ok',
      value: { present: false, mode: 'UTC', raw: null, path: PATH, line: null },
      evidence: [fileEvidence(PATH, undefined, undefined, 'absent: the hardware clock is read as UTC')],
    };
  }
  const third = splitLines(text)[2]?.trim();
  // hwclock reads anything but "LOCAL" as UTC (util-linux hwclock.c `read_adjtime`).
  const mode = third === 'LOCAL' ? 'LOCAL' : 'UTC';
  return {
    status: 'ok',
    value: { present: true, mode, raw: third ?? null, path: PATH, line: third === undefined ? null : 3 },
    evidence: [fileEvidence(PATH, third === undefined ? undefined : 3, third)],
  };
}

export const adjtimeCollector: Collector<Adjtime> = { fact: 'linux.adjtime', collect: collectAdjtime };
