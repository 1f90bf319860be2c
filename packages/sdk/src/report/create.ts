import { isImagecheckError } from '@imagecheck/access';
import {
  type ImageTag,
  REPORT_SCHEMA_VERSION,
  type Report,
  type ReportError,
  type ReportItem,
  type ReportRoot,
  type ReportSummary,
  type ReportTool,
  STATUSES,
  type Status,
} from './types.js';

/** Counts per status; `passed` when nothing failed (waived failures do not count) and nothing is `error`. */
export function summarize(items: readonly ReportItem[]): ReportSummary {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  for (const i of items) counts[i.status]++;
  return { total: items.length, counts, passed: counts.fail === 0 && counts.error === 0 };
}

export interface CreateReportInput {
  readonly image: Report['image'];
  /** The access backend that read the image (`native`, `guestfs`, `live`). */
  readonly backend: string;
  /** The program that made the report: the command, or the application embedding the SDK. */
  readonly tool: ReportTool;
  readonly items: readonly ReportItem[];
  readonly roots?: readonly ReportRoot[];
  /** The image tags earned; the caller decides whether the image earned them. */
  readonly tags?: readonly ImageTag[];
  /** When the report was made; default now. */
  readonly now?: Date;
}

/**
 * The one way a report is made, by the engine, the command and the dashboard alike: the schema
 * version, `tool` and `generatedAt` are always there and the summary always matches the items.
 */
export function createReport(input: CreateReportInput): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    image: { ...input.image },
    backend: input.backend,
    ...(input.roots !== undefined && input.roots.length > 0 ? { roots: input.roots } : {}),
    generatedAt: (input.now ?? new Date()).toISOString(),
    tool: { name: input.tool.name, version: input.tool.version },
    items: input.items,
    summary: summarize(input.items),
    tags: input.tags ?? [],
  };
}

export interface UnopenedReportInput {
  /** The image as the user named it. */
  readonly imagePath: string;
  readonly backend: string;
  readonly tool: ReportTool;
  /** What was thrown when the image was opened. */
  readonly error: unknown;
  readonly now?: Date;
}

/**
 * The report of an image that could not be opened at all: no items, the reason in `error`, and
 * `summary.passed` false, because nothing about the image was shown to be ready.
 */
export function unopenedReport(input: UnopenedReportInput): Report {
  const report = createReport({
    image: { path: input.imagePath },
    backend: input.backend,
    tool: input.tool,
    items: [],
    ...(input.now ? { now: input.now } : {}),
  });
  return { ...report, summary: { ...report.summary, passed: false }, error: reportError(input.error) };
}

/**
 * The `error` of a report from what was thrown: an imagecheck error keeps its stable code; anything
 * else is `internal`, since only a bug throws something the code did not name.
 */
export function reportError(err: unknown): ReportError {
  if (isImagecheckError(err)) return { code: err.code, message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
