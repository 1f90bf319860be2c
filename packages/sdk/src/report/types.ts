import type { DeepReadonly } from '../deep-readonly.js';
import type * as ReportSchema from './report.gen.js';

/*
 * The report (imagecheck.report/v1) as report.schema.json describes it. The types are generated
 * from that schema (`npm run gen:types -w @imagecheck/sdk`), which the tests hold real reports to,
 * so the published schema is their one source; this module names the parts and makes them
 * deeply readonly.
 */

/** Report statuses. `waived` is a failure a config waiver accepted; it stays visible. */
export type Status = ReportSchema.Status;
export const STATUSES: readonly Status[] = ['pass', 'fail', 'warn', 'info', 'skipped', 'error', 'waived'];

export type RiskLevel = ReportSchema.RiskLevel;
export const RISK_LEVELS: readonly RiskLevel[] = ['high', 'medium', 'low'];

export const REPORT_SCHEMA_VERSION = 'imagecheck.report/v1' satisfies ReportSchema.Report['schemaVersion'];

/** One finding of an item: a failing assertion, or one failing element of a `forEach`. */
export type Finding = DeepReadonly<ReportSchema.Finding>;

/** What to do about an item: words (Markdown) and, where a safe one exists, a script. */
export type Repair = DeepReadonly<NonNullable<ReportSchema.Item['repair']>>;

/** The waiver that accepted a failing item. */
export type Waiver = DeepReadonly<NonNullable<ReportSchema.Item['waiver']>>;

export type ReportItem = DeepReadonly<ReportSchema.Item>;

export type ReportSummary = DeepReadonly<ReportSchema.Summary>;

/** An OS root as the report lists it. */
export type ReportRoot = DeepReadonly<NonNullable<ReportSchema.Report['roots']>[number]>;

/** The program that made a report. */
export type ReportTool = DeepReadonly<ReportSchema.Report['tool']>;

/** Why an image could not be opened. */
export type ReportError = DeepReadonly<NonNullable<ReportSchema.Report['error']>>;

export type ImageTag = DeepReadonly<ReportSchema.Report['tags'][number]>;

/** The report for one image. Several images give an array of these. */
export type Report = DeepReadonly<ReportSchema.Report>;
