import type { Report, ReportItem, ReportSummary, RiskLevel, Status } from '../report/types.js';
import { STATUSES } from '../report/types.js';

const RISK_ORDER: Record<RiskLevel, number> = { low: 1, medium: 2, high: 3 };

/** Counts per status; `passed` when nothing failed (waived failures do not count) and nothing is `error`. */
export function summarize(items: readonly ReportItem[]): ReportSummary {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  for (const i of items) counts[i.status]++;
  return { total: items.length, counts, passed: counts.fail === 0 && counts.error === 0 };
}

/**
 * The process exit code for a set of reports.
 *
 * - `1` when some item is an unwaived `fail` at or above `failOn` (never with `failOn: 'none'`);
 * - else `3` when some item is `error` or some image could not be opened (the check is incomplete);
 * - else `0`.
 * A definite failure wins over an incomplete check: it is the answer the user must act on first.
 * `warn` never changes the code.
 */
export function exitCodeFor(reports: readonly Report[], failOn: RiskLevel | 'none'): 0 | 1 | 3 {
  let incomplete = false;
  for (const r of reports) {
    if (r.error) incomplete = true;
    for (const i of r.items) {
      if (i.status === 'fail' && failOn !== 'none' && RISK_ORDER[i.riskLevel] >= RISK_ORDER[failOn]) return 1;
      if (i.status === 'error') incomplete = true;
    }
  }
  return incomplete ? 3 : 0;
}
