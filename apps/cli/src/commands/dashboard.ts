import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Report, RiskLevel } from '@imagecheck/sdk';
import {
  exitCodeFor,
  isImagecheckError,
  isInternalError,
  renderReport,
  runCheck,
  selectRules,
} from '@imagecheck/sdk';
import type { CliIo } from '../io.js';
import { EXIT } from '../io.js';
import { VERSION } from '../version.js';
import { type CheckOptions, prepareCheck, runCheckCommand, unopenedReport } from './check.js';
import { type ImageOptions, withImage } from './open.js';

export interface DashboardCommandOptions extends ImageOptions {
  pack?: string[];
  config?: string;
  only?: string[];
  skip?: string[];
  failOn?: RiskLevel | 'none';
  /** From `check --tui`: after the dashboard closes, the report is also written here. */
  output?: string;
  format?: CheckOptions['format'];
}

/**
 * The dashboard needs a terminal on both ends: keys come from stdin in raw mode and frames are
 * redrawn on stdout. Piped or redirected, the text report is what a person (or a log) can use.
 */
export function canShowDashboard(io: CliIo): boolean {
  return io.stdoutIsTTY && process.stdin.isTTY === true;
}

/**
 * `imagecheck dashboard IMAGE...` and `imagecheck check --tui`. Exit codes are the check's: 2
 * when an image could not be opened (shown in the dashboard in words), else 1 / 3 / 0 as
 * `exitCodeFor` decides from the failing items, whether or not the user looked at them all.
 */
export async function runDashboardCommand(
  io: CliIo,
  images: string[],
  opts: DashboardCommandOptions,
): Promise<number> {
  if (!canShowDashboard(io)) {
    return runCheckCommand(io, images, { ...opts, format: opts.format ?? 'text', tui: false });
  }
  const { config, plugins, packs, failOn } = await prepareCheck(io, opts);
  const select = { only: opts.only, skip: opts.skip };
  // Selection errors (an --only that matches nothing) are usage errors before the screen opens.
  const rules = selectRules(packs, select, config);
  // React's development build checks every render and is several times slower; a user who wants
  // it can still set NODE_ENV. Loaded only here: `check` without --tui never pays for React and Ink.
  process.env.NODE_ENV ??= 'production';
  const { planFromRules, runDashboard } = await import('@imagecheck/dashboard');
  const backend = opts.backend ?? 'native';

  const result = await runDashboard({
    images,
    plan: planFromRules(rules),
    cwd: io.cwd,
    run: async (image, hooks) => {
      try {
        return await withImage(image, opts, async (access) => {
          hooks.onHeader({ backend: access.backend });
          try {
            // The backend memoises its layout, so runCheck's own inspect() reads nothing again.
            const layout = await access.inspect();
            hooks.onHeader({ format: layout.disk.format, virtualSize: layout.disk.virtualSize });
          } catch (err) {
            // runCheck reports a layout that cannot be read, as the report's error; a bug is not that.
            if (isInternalError(err)) throw err;
          }
          return runCheck({
            access,
            packs,
            plugins,
            config,
            select,
            onProgress: hooks.onProgress,
            signal: hooks.signal,
            tool: { name: 'imagecheck', version: VERSION },
          });
        });
      } catch (err) {
        if (!(isImagecheckError(err) && err.userFacing)) throw err;
        return unopenedReport(image, backend, err);
      }
    },
  });

  const reports: readonly Report[] = result.reports;
  if (opts.output !== undefined && reports.length > 0) {
    const rendered = renderReport(
      reports.length === 1 ? (reports[0] as Report) : reports,
      opts.format ?? 'text',
    );
    await writeFile(resolve(io.cwd, opts.output), rendered);
  }
  // The screen showed the failing image's message; now the command reports the bug (exit 4).
  if (result.bug !== undefined) throw result.bug;
  if (reports.some((r) => r.error !== undefined)) return EXIT.usage;
  return exitCodeFor(reports, failOn);
}
