import type { CliIo } from '../io.js';
import { type CheckRunOptions, canShowDashboard, printCheck, showDashboard } from './checking.js';

/** `--output` and `--format` come from `check --tui`: after the dashboard closes, the report is also written. */
export type DashboardCommandOptions = CheckRunOptions;

/**
 * `imagecheck dashboard IMAGE...`. Without a terminal on both ends it prints the check's report
 * instead (text unless a format is given), with the same exit codes.
 */
export async function runDashboardCommand(
  io: CliIo,
  images: string[],
  opts: DashboardCommandOptions,
): Promise<number> {
  if (!canShowDashboard(io)) return printCheck(io, images, { ...opts, format: opts.format ?? 'text' });
  return showDashboard(io, images, opts);
}
