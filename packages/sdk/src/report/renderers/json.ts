import type { Evidence } from '../../facts/types.js';
import type { Finding, Report, ReportItem } from '../types.js';

/**
 * The JSON report: one object per image (an array when the caller passes an array), described by
 * `schemas/report.schema.json` (`$id` …/report.v1.schema.json, `schemaVersion` `imagecheck.report/v1`).
 *
 * Fields are copied one by one, in a fixed order, rather than serialising the Report as is: the
 * output stays exactly what the schema publishes even when the in-memory model grows, and key
 * order is stable for diffs. Optional fields are omitted when absent, never written as null.
 */
export function renderJson(reports: Report | readonly Report[]): string {
  const out = Array.isArray(reports)
    ? (reports as readonly Report[]).map(toJsonReport)
    : toJsonReport(reports as Report);
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** The plain object `renderJson` serialises, for callers that embed it in their own JSON. */
export function toJsonReport(report: Report): Record<string, unknown> {
  return compact({
    schemaVersion: report.schemaVersion,
    image: compact({
      path: report.image.path,
      format: report.image.format,
      virtualSize: report.image.virtualSize,
      os: report.image.os,
    }),
    backend: report.backend,
    roots: report.roots?.map((r) => ({ id: r.id, filesystem: r.filesystem, os: r.os, primary: r.primary })),
    generatedAt: report.generatedAt,
    tool: report.tool === undefined ? undefined : { name: report.tool.name, version: report.tool.version },
    error:
      report.error === undefined ? undefined : { code: report.error.code, message: report.error.message },
    items: report.items.map(jsonItem),
    summary: {
      total: report.summary.total,
      counts: { ...report.summary.counts },
      passed: report.summary.passed,
    },
    tags: report.tags.map((t) => ({ key: t.key, value: t.value })),
  });
}

function jsonItem(item: ReportItem): Record<string, unknown> {
  return compact({
    name: item.name,
    root: item.root,
    title: item.title,
    pack: item.pack,
    status: item.status,
    riskLevel: item.riskLevel,
    value: item.value,
    message: item.message,
    evidence: item.evidence.map(jsonEvidence),
    findings: item.findings?.map(jsonFinding),
    repair:
      item.repair === undefined
        ? undefined
        : compact({
            text: item.repair.text,
            script:
              item.repair.script === undefined
                ? undefined
                : compact({
                    language: item.repair.script.language,
                    content: item.repair.script.content,
                    runIn: item.repair.script.runIn,
                  }),
          }),
    waiver:
      item.waiver === undefined
        ? undefined
        : compact({
            rule: item.waiver.rule,
            justification: item.waiver.justification,
            expires: item.waiver.expires,
            match: item.waiver.match,
          }),
    tags: item.tags === undefined ? undefined : [...item.tags],
    durationMs: item.durationMs,
  });
}

function jsonFinding(f: Finding): Record<string, unknown> {
  return compact({
    assertion: f.assertion,
    status: f.status,
    riskLevel: f.riskLevel,
    messageId: f.messageId,
    message: f.message,
    evidence: f.evidence.map(jsonEvidence),
    values: f.values,
    fingerprint: f.fingerprint,
  });
}

function jsonEvidence(ev: Evidence): Record<string, unknown> {
  return compact({
    kind: ev.kind,
    path: ev.path,
    line: ev.line,
    key: ev.key,
    valueName: ev.valueName,
    partition: ev.partition,
    filesystem: ev.filesystem,
    excerpt: ev.excerpt,
    note: ev.note,
  });
}

function compact(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}
