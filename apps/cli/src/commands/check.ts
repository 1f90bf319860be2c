import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { LoadedPack, Plugin, ProgressEvent, Report, ResolvedConfig, RiskLevel } from '@imagecheck/sdk';
import {
  exitCodeFor,
  findConfig,
  isImagecheckError,
  loadConfig,
  renderReport,
  runCheck,
} from '@imagecheck/sdk';
import type { CliIo } from '../io.js';
import { EXIT } from '../io.js';
import { loadPacks, requirePacks } from '../packs.js';
import { loadDefaultPlugins } from '../plugins.js';
import { VERSION } from '../version.js';
import { canShowDashboard, runDashboardCommand } from './dashboard.js';
import { type ImageOptions, withImage } from './open.js';

export interface CheckOptions extends ImageOptions {
  format: 'text' | 'json' | 'sarif' | 'junit' | 'detection';
  output?: string;
  pack?: string[];
  only?: string[];
  skip?: string[];
  failOn?: RiskLevel | 'none';
  config?: string;
  tui?: boolean;
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

/** The report of an image that could not be opened: no items, the reason in `error`. */
export function unopenedReport(image: string, backend: string, err: unknown): Report {
  const code = isImagecheckError(err) ? err.code : 'internal';
  const message = err instanceof Error ? err.message : String(err);
  return {
    schemaVersion: 'imagecheck.report/v1',
    image: { path: image },
    backend,
    tool: { name: 'imagecheck', version: VERSION },
    items: [],
    summary: {
      total: 0,
      counts: { pass: 0, fail: 0, warn: 0, info: 0, skipped: 0, error: 0, waived: 0 },
      passed: false,
    },
    tags: [],
    error: { code, message },
  };
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

export async function runCheckCommand(io: CliIo, images: string[], opts: CheckOptions): Promise<number> {
  // --tui on a terminal is the dashboard; piped or in CI it is the plain check below.
  if (opts.tui && canShowDashboard(io)) return runDashboardCommand(io, images, opts);
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
        }),
      );
      reports.push(report);
    } catch (err) {
      if (!(isImagecheckError(err) && err.userFacing)) throw err;
      unreadable = true;
      io.stderr(`imagecheck: ${image}: ${err.message}\n`);
      reports.push(unopenedReport(image, opts.backend ?? 'native', err));
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
