import type { ReportFormat } from '@imagecheck/sdk';
import type { CliIo } from '../io.js';
import { type CheckRunOptions, canShowDashboard, printCheck, showDashboard } from './checking.js';

export interface CheckOptions extends CheckRunOptions {
  format: ReportFormat;
  tui?: boolean;
}

/** `imagecheck check IMAGE...`: the report in a format, or with --tui on a terminal the dashboard. */
export async function runCheckCommand(io: CliIo, images: string[], opts: CheckOptions): Promise<number> {
  // --tui on a terminal is the dashboard; piped or in CI it is the plain check.
  if (opts.tui && canShowDashboard(io)) return showDashboard(io, images, opts);
  return printCheck(io, images, opts);
}
