import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ProgressEvent, Report, ReportTool } from '@imagecheck/sdk';
import { isInternalError, renderReport, reportError, unopenedReport } from '@imagecheck/sdk';
import { render } from 'ink';
import pkg from '../package.json' with { type: 'json' };
import { Dashboard } from './components/Dashboard.js';
import {
  applyEvent,
  failImage,
  finishImage,
  type ImageHeader,
  type PlannedItem,
  startImage,
  withHeader,
} from './model.js';
import { DashboardStore } from './store.js';
import { defaultSaveName } from './view.js';

/** What a runner tells the dashboard while it checks one image. */
export interface CheckHooks {
  /** The image's format, size, backend and OS root, as soon as the backend has read them. */
  readonly onHeader: (header: ImageHeader) => void;
  /** `runCheck`'s progress events, passed on unchanged. */
  readonly onProgress: (event: ProgressEvent) => void;
  /** Aborted when the user quits while the check runs. */
  readonly signal: AbortSignal;
}

/**
 * Checks one image and returns its report. An image that cannot be opened is a report with
 * `error` set (as `imagecheck check` makes it); a thrown error is shown the same way.
 */
export type CheckRunner = (image: string, hooks: CheckHooks) => Promise<Report>;

export interface DashboardOptions {
  readonly images: readonly string[];
  readonly run: CheckRunner;
  /** The items the selected rules will produce, for the live view; may be empty. */
  readonly plan?: readonly PlannedItem[];
  /** Where `s` saves a relative file name; default the current folder. */
  readonly cwd?: string;
  /** Named as `tool` in the report of an image whose runner threw; default the dashboard itself. */
  readonly tool?: ReportTool;
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WriteStream;
}

export interface DashboardResult {
  /** One report per image that finished, in the order given; unfinished images are left out. */
  readonly reports: readonly Report[];
  /** False when the user quit before every image was checked. */
  readonly complete: boolean;
  /**
   * The first bug a check hit (`isInternalError`: a TypeError, an `InternalError`), kept with its
   * stack: its image shows the message, and the caller reports it as a bug once the screen closes.
   */
  readonly bug?: unknown;
}

/**
 * Runs the dashboard in the terminal until the user quits (q or Ctrl-C): checks the images one
 * after the other, showing each live, then lets the user browse the results. Needs a TTY on
 * stdin and stdout; callers fall back to the text report without one.
 */
export async function runDashboard(options: DashboardOptions): Promise<DashboardResult> {
  const store = new DashboardStore(options.images);
  const reports: (Report | undefined)[] = options.images.map(() => undefined);
  const cwd = options.cwd ?? process.cwd();
  const abort = new AbortController();
  const tool = options.tool ?? { name: pkg.name, version: pkg.version };
  let bug: unknown;

  const save = async (fileName: string): Promise<string> => {
    const done = reports.filter((r): r is Report => r !== undefined);
    const path = resolve(cwd, fileName);
    await writeFile(path, renderReport(done.length === 1 ? (done[0] as Report) : done, 'json'));
    return path;
  };

  const instance = render(
    <Dashboard
      store={store}
      plan={options.plan ?? []}
      save={save}
      defaultSaveName={defaultSaveName(options.images.map((path) => ({ image: { path } }) as Report))}
    />,
    {
      ...(options.stdin ? { stdin: options.stdin } : {}),
      ...(options.stdout ? { stdout: options.stdout } : {}),
      ...(options.stderr ? { stderr: options.stderr } : {}),
      // A TTY is required by the caller; CI detection must not turn the dashboard into a log.
      interactive: true,
      incrementalRendering: false,
      patchConsole: false,
    },
  );

  const checks = (async () => {
    for (const [index, image] of options.images.entries()) {
      if (abort.signal.aborted) return;
      store.update(index, startImage);
      try {
        const report = await options.run(image, {
          onHeader: (header) => store.update(index, (s) => withHeader(s, header)),
          onProgress: (event) => store.update(index, (s) => applyEvent(s, event)),
          signal: abort.signal,
        });
        reports[index] = report;
        store.update(index, (s) => finishImage(s, report));
      } catch (err) {
        if (abort.signal.aborted) return;
        if (isInternalError(err)) bug ??= err;
        const report = unopenedReport({ imagePath: image, backend: 'unknown', tool, error: err });
        store.update(index, (s) => failImage(s, reportError(err)));
        reports[index] = report;
      }
    }
  })();

  await instance.waitUntilExit();
  abort.abort(new Error('the dashboard was closed'));
  await checks.catch(() => undefined);
  const done = reports.filter((r): r is Report => r !== undefined);
  return {
    reports: done,
    complete: done.length === options.images.length,
    ...(bug === undefined ? {} : { bug }),
  };
}
