import type { Evidence } from '../facts/types.js';

/** Report statuses. `waived` is a failure a config waiver accepted; it stays visible. */
export type Status = 'pass' | 'fail' | 'warn' | 'info' | 'skipped' | 'error' | 'waived';
export const STATUSES: readonly Status[] = ['pass', 'fail', 'warn', 'info', 'skipped', 'error', 'waived'];

export type RiskLevel = 'high' | 'medium' | 'low';
export const RISK_LEVELS: readonly RiskLevel[] = ['high', 'medium', 'low'];

export const REPORT_SCHEMA_VERSION = 'imagecheck.report/v1' as const;

/** One finding of an item: a failing assertion, or one failing element of a `forEach`. */
export interface Finding {
  readonly assertion: string;
  readonly status: 'fail' | 'warn';
  readonly riskLevel: RiskLevel;
  readonly messageId: string;
  readonly message: string;
  readonly evidence: readonly Evidence[];
  /** Values copied from the scope (`entry.spec`, `facts.linux.selinux.mode`) to explain the verdict. */
  readonly values?: Readonly<Record<string, unknown>>;
  /** Stable hash of the rule id and the fingerprint parts; used by waivers and SARIF. */
  readonly fingerprint?: string;
}

export interface Repair {
  /** What to do, in words (Markdown). */
  readonly text: string;
  /** A script that does it, where a safe one exists. */
  readonly script?: {
    readonly language: 'bash' | 'powershell';
    readonly content: string;
    readonly runIn?: string;
  };
}

export interface Waiver {
  readonly rule: string;
  readonly justification: string;
  readonly expires?: string;
  readonly match?: Readonly<Record<string, unknown>>;
}

export interface ReportItem {
  /** The item name (the rule id, e.g. `GUESTOS.Fstab`). */
  readonly name: string;
  /** The OS root the item is about (`OsRoot.id`), when the image has more than one. */
  readonly root?: string;
  readonly title?: string;
  readonly pack?: string;
  readonly status: Status;
  readonly riskLevel: RiskLevel;
  /** One-line value (the vendor's `Value`): `Linux`, `5.10.0-28-amd64`, `uefi-and-bios`. */
  readonly value: string;
  readonly message: string;
  readonly evidence: readonly Evidence[];
  readonly findings?: readonly Finding[];
  readonly repair?: Repair;
  readonly waiver?: Waiver;
  readonly tags?: readonly string[];
  readonly durationMs?: number;
}

export interface ReportSummary {
  readonly total: number;
  readonly counts: Readonly<Record<Status, number>>;
  /** True when no item failed (waived failures do not count) and none ended in `error`. */
  readonly passed: boolean;
}

/** An OS root as the report lists it. */
export interface ReportRoot {
  readonly id: string;
  readonly filesystem: string;
  readonly os: string;
  readonly primary: boolean;
}

/** The program that made a report. */
export interface ReportTool {
  readonly name: string;
  readonly version: string;
}

/** Why an image could not be opened. */
export interface ReportError {
  /** Stable error code, e.g. `qcow2/bad-magic`. */
  readonly code: string;
  readonly message: string;
}

export interface ImageTag {
  readonly key: string;
  readonly value: string;
}

/** The report for one image. Several images give an array of these. */
export interface Report {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly image: {
    readonly path: string;
    readonly format?: string;
    readonly virtualSize?: number;
    readonly os?: string;
  };
  readonly backend: string;
  /** Every OS root found; the items of each carry its id when there is more than one. */
  readonly roots?: readonly ReportRoot[];
  /** When the report was made (ISO 8601, UTC). */
  readonly generatedAt: string;
  readonly tool: ReportTool;
  readonly items: readonly ReportItem[];
  readonly summary: ReportSummary;
  /** Tags an image that passes gets (`acs:ecs:image:osVersion`, `acs:ecs:image:kernelVersion`); empty when it does not pass. */
  readonly tags: readonly ImageTag[];
  /** Set when the image could not be opened at all; `items` is then empty. */
  readonly error?: ReportError;
}
