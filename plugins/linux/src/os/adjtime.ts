import {
  type CollectContext,
  defineCollector,
  defineFact,
  type FactResult,
  type FactValue,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { fileEvidence, NO_GUEST, readOptional, splitLines } from '../guest-files.js';

export const adjtimeFact = defineFact({
  id: 'linux.adjtime',
  version: '1.0.0',
  description:
    'How the guest reads the hardware clock: the third line of /etc/adjtime (hwclock(8), adjtime_config(5)), `UTC` or `LOCAL`; absent means UTC.',
  schema: Type.Object({
    present: Type.Boolean(),
    mode: Type.Enum(['UTC', 'LOCAL'], {
      description:
        "The hardware clock's time scale: line 3 of /etc/adjtime; `UTC` when the file or line is absent.",
    }),
    raw: Nullable(Type.String({ description: 'The third line as written, null when absent.' })),
    path: Type.String(),
    line: Nullable(Type.Integer()),
  }),
});

/** Value of `linux.adjtime`. */
export type Adjtime = FactValue<typeof adjtimeFact>;

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

export const adjtimeCollector = defineCollector(adjtimeFact, collectAdjtime);
