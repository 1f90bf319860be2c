import { atLeast } from '../report/risk.js';
import type { Report, RiskLevel } from '../report/types.js';

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
      if (i.status === 'fail' && failOn !== 'none' && atLeast(i.riskLevel, failOn)) return 1;
      if (i.status === 'error') incomplete = true;
    }
  }
  return incomplete ? 3 : 0;
}
