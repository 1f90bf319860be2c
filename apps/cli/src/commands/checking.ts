import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type {
  LoadedPack,
  Plugin,
  ProgressEvent,
  Report,
  ReportFormat,
  ResolvedConfig,
  RiskLevel,
} from '@imagecheck/sdk';
import {
  exitCodeFor,
  findConfig,
  isImagecheckError,
  isInternalError,
  loadConfig,
  renderReport,
  runCheck,
  selectRules,
  unopenedReport,
} from '@imagecheck/sdk';
import type { CliIo } from '../io.js';
import { EXIT } from '../io.js';
import { loadPacks, requirePacks } from '../packs.js';
import { loadDefaultPlugins } from '../plugins.js';
import { TOOL } from '../version.js';
import { type ImageOptions, withImage } from './open.js';

// What `check` and `dashboard` share. It lives apart from both commands because each hands off to
// the other's way of showing results (check --tui shows the dashboard, dashboard without a terminal
// prints the check); with the shared part here neither command module imports the other.

/** The options of a check, whichever way its results are shown. */
export interface CheckRunOptions extends ImageOptions {
  pack?: string[];
  config?: string;
  only?: string[];
  skip?: string[];
  failOn?: RiskLevel | 'none';
  /** Write the report here (the dashboard: as well as showing it). */
  output?: string;
  format?: ReportFormat;
}

/** What a check needs before it opens an image: the config, the plugins and the rule packs. */
export interface CheckSetup {
  readonly config: ResolvedConfig | undefined;
  readonly plugins: Plugin[];
  readonly packs: LoadedPack[];
  readonly failOn: RiskLevel | 'none';
}

/**
 * Loads the config (`--config`, or found from the current folder up), the default plugins and
 * the packs (plugins', config's, `--pack`), as `check` and `dashboard` both need them.
 */
export async function prepareCheck(
  io: CliIo,
  opts: { config?: string; pack?: string[]; failOn?: RiskLevel | 'none' },
): Promise<CheckSetup> {
  const configPath = opts.config !== undefined ? resolve(io.cwd, opts.config) : await findConfig(io.cwd);
  const config: ResolvedConfig | undefined =
    configPath !== undefined ? await loadConfig(configPath) : undefined;
  const plugins = await loadDefaultPlugins();
  const packs = await loadPacks(plugins, [...(config?.packs ?? []), ...(opts.pack ?? [])], io.cwd);
  requirePacks(packs);
  return { config, plugins, packs, failOn: opts.failOn ?? config?.failOn ?? 'high' };
}

/**
 * The dashboard needs a terminal on both ends: keys come from stdin in raw mode and frames are
 * redrawn on stdout. Piped or redirected, the text report is what a person (or a log) can use.
 */
export function canShowDashboard(io: CliIo): boolean {
  return io.stdoutIsTTY && process.stdin.isTTY === true;
}

/** One line on stderr per stage, rewritten in place: only when stderr is a terminal. */
function progressPrinter(io: CliIo, image: string): ((e: ProgressEvent) => void) | undefined {
  if (!io.stderrIsTTY) return undefined;
  return (e) => {
    if (e.type === 'stage') {
      io.stderr(e.stage === 'done' ? '\r\x1b[2K' : `\r\x1b[2K${image}: ${e.stage}…`);
    } else if (e.type === 'item-start') {
      io.stderr(`\r\x1b[2K${image}: ${e.name}…`);
    }
  };
}

/**
 * Checks the images one after the other and prints (or writes) their reports in one format.
 * Exit code: 2 when an image could not be opened, else what `exitCodeFor` decides.
 */
export async function printCheck(
  io: CliIo,
  images: string[],
  opts: CheckRunOptions & { format: ReportFormat },
): Promise<number> {
  const { config, plugins, packs, failOn } = await prepareCheck(io, opts);

  const reports: Report[] = [];
  let unreadable = false;
  for (const image of images) {
    try {
      const report = await withImage(image, opts, (access) =>
        runCheck({
          access,
          packs,
          plugins,
          config,
          select: { only: opts.only, skip: opts.skip },
          onProgress: progressPrinter(io, image),
          tool: TOOL,
        }),
      );
      reports.push(report);
    } catch (err) {
      if (!(isImagecheckError(err) && err.userFacing)) throw err;
      unreadable = true;
      io.stderr(`imagecheck: ${image}: ${err.message}\n`);
      reports.push(
        unopenedReport({ imagePath: image, backend: opts.backend ?? 'native', tool: TOOL, error: err }),
      );
    }
  }

  // https://no-color.org: any non-empty NO_COLOR turns colour off.
  const color =
    opts.output === undefined && io.stdoutIsTTY && opts.format === 'text' && !process.env.NO_COLOR;
  const rendered = renderReport(reports.length === 1 ? (reports[0] as Report) : reports, opts.format, {
    color,
  });
  if (opts.output !== undefined) await writeFile(resolve(io.cwd, opts.output), rendered);
  else io.stdout(rendered);

  if (unreadable) return EXIT.usage;
  return exitCodeFor(reports, failOn);
}

/**
 * Checks the images in the dashboard, which needs a terminal (`canShowDashboard`). Exit codes are
 * the check's: 2 when an image could not be opened (shown in the dashboard in words), else 1 / 3 /
 * 0 as `exitCodeFor` decides from the failing items, whether or not the user looked at them all.
 */
export async function showDashboard(io: CliIo, images: string[], opts: CheckRunOptions): Promise<number> {
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
    tool: TOOL,
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
            tool: TOOL,
          });
        });
      } catch (err) {
        if (!(isImagecheckError(err) && err.userFacing)) throw err;
        return unopenedReport({ imagePath: image, backend, tool: TOOL, error: err });
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
