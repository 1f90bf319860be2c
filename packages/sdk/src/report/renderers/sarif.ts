import type { Evidence } from '../../facts/types.js';
import type { Finding, Report, ReportItem, RiskLevel } from '../types.js';
import { baseName, firstLine } from './common.js';

/**
 * SARIF 2.1.0 (OASIS Standard, errata 01). One `run` per image.
 *
 * - `tool.driver.rules`: one reportingDescriptor per distinct item name, in report order:
 *   `id` the item name (`GUESTOS.Fstab`), `name` its last segment (`Fstab`, §3.49.7 wants an
 *   identifier-like name distinct from the id), `shortDescription` the title, `help` the repair
 *   text, `defaultConfiguration.level` from the risk level (high → error, medium → warning,
 *   low → note), and `properties.riskLevel` plus `security-severity` (the property code scanning
 *   services sort by: 8.0 / 5.5 / 3.0).
 * - `results`: only items that need attention: fail, warn, error, and waived (with a
 *   `suppressions` entry). An item with findings gives one result per finding, so each bad fstab
 *   line is its own result with its own location and fingerprint; without findings, one result.
 *   Levels: a failing finding takes its risk's level; a warning (not a boot risk) is `note`.
 *   An `error` item (could not be decided) is `kind: "open"`, which §3.27.9 defines as
 *   "insufficient information to decide whether a problem exists", and so, by §3.27.10, level
 *   `none`; it is also a `toolExecutionNotification` at level `error`, so a CI gate sees it.
 * - Locations: file evidence becomes an artifactLocation relative to `GUESTROOT` (the root of the
 *   guest tree; no URI is given for it because it is inside the image, not on the host), with a
 *   region when a line is known; registry evidence becomes a logical location (the key path)
 *   plus the hive file.
 * - `partialFingerprints["imagecheck/v1"]`: the finding's fingerprint, so a SARIF consumer tracks
 *   a finding across runs the same way our waivers match it.
 */
export function renderSarif(reports: Report | readonly Report[]): string {
  const list = Array.isArray(reports) ? (reports as readonly Report[]) : [reports as Report];
  const log = {
    $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: list.map(sarifRun),
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

export const SARIF_URI_BASE_ID = 'GUESTROOT';
export const SARIF_FINGERPRINT_KEY = 'imagecheck/v1';

type Level = 'error' | 'warning' | 'note' | 'none';

const LEVEL_OF_RISK: Readonly<Record<RiskLevel, Level>> = { high: 'error', medium: 'warning', low: 'note' };
const SECURITY_SEVERITY: Readonly<Record<RiskLevel, string>> = { high: '8.0', medium: '5.5', low: '3.0' };

interface Notification {
  level: Level;
  message: { text: string };
  descriptor?: { id: string };
  associatedRule?: { id: string; index: number };
}

function sarifRun(report: Report): Record<string, unknown> {
  const ruleIndex = new Map<string, number>();
  const rules: Record<string, unknown>[] = [];
  for (const item of report.items) {
    if (ruleIndex.has(item.name)) continue;
    ruleIndex.set(item.name, rules.length);
    rules.push(sarifRule(item));
  }

  const results: Record<string, unknown>[] = [];
  const notifications: Notification[] = [];
  for (const item of report.items) {
    const index = ruleIndex.get(item.name) ?? 0;
    results.push(...itemResults(item, index));
    if (item.status === 'error') {
      notifications.push({
        level: 'error',
        message: { text: `${item.name}: ${item.message}` },
        associatedRule: { id: item.name, index },
      });
    }
  }
  if (report.error !== undefined) {
    notifications.push({
      level: 'error',
      message: { text: `${report.error.code}: ${report.error.message}` },
      descriptor: { id: report.error.code },
    });
  }

  const driver: Record<string, unknown> = { name: report.tool?.name ?? 'imagecheck', rules };
  if (report.tool?.version !== undefined) {
    driver.version = report.tool.version;
    if (SEMVER.test(report.tool.version)) driver.semanticVersion = report.tool.version;
  }

  const invocation: Record<string, unknown> = { executionSuccessful: report.error === undefined };
  if (notifications.length > 0) invocation.toolExecutionNotifications = notifications;
  if (report.generatedAt !== undefined) invocation.endTimeUtc = report.generatedAt;

  const properties: Record<string, unknown> = {
    image: { ...report.image },
    backend: report.backend,
    passed: report.summary.passed,
    counts: { ...report.summary.counts },
  };
  if (report.tags.length > 0) properties.imageTags = report.tags.map((t) => ({ key: t.key, value: t.value }));

  return {
    tool: { driver },
    automationDetails: { id: `imagecheck/${baseName(report.image.path)}/` },
    originalUriBaseIds: {
      [SARIF_URI_BASE_ID]: {
        description: { text: `The root of the guest file tree in ${report.image.path}` },
      },
    },
    invocations: [invocation],
    results,
    properties,
  };
}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function sarifRule(item: ReportItem): Record<string, unknown> {
  const rule: Record<string, unknown> = {
    id: item.name,
    name: item.name.split('.').pop() || item.name,
    shortDescription: { text: item.title ?? item.name },
    defaultConfiguration: { level: LEVEL_OF_RISK[item.riskLevel] },
    properties: {
      riskLevel: item.riskLevel,
      'security-severity': SECURITY_SEVERITY[item.riskLevel],
      ...(item.pack === undefined ? {} : { pack: item.pack }),
      ...(item.tags === undefined || item.tags.length === 0 ? {} : { tags: [...new Set(item.tags)] }),
    },
  };
  if (item.repair !== undefined) rule.help = { text: item.repair.text, markdown: item.repair.text };
  return rule;
}

function itemResults(item: ReportItem, ruleIndex: number): Record<string, unknown>[] {
  const base = { ruleId: item.name, ruleIndex };
  switch (item.status) {
    case 'pass':
    case 'info':
    case 'skipped':
      return [];
    case 'error':
      return [
        {
          ...base,
          kind: 'open',
          level: 'none',
          message: { text: item.message },
          ...locationsOf(item.evidence),
          properties: resultProperties(item),
        },
      ];
    case 'fail':
    case 'warn':
    case 'waived': {
      const suppressions =
        item.status === 'waived'
          ? {
              suppressions: [
                {
                  kind: 'external',
                  status: 'accepted',
                  justification: item.waiver?.justification ?? 'waived by configuration',
                },
              ],
            }
          : {};
      const findings = item.findings ?? [];
      if (findings.length === 0) {
        return [
          {
            ...base,
            kind: 'fail',
            level: item.status === 'warn' ? 'note' : LEVEL_OF_RISK[item.riskLevel],
            message: { text: item.message },
            ...locationsOf(item.evidence),
            ...suppressions,
            properties: resultProperties(item),
          },
        ];
      }
      return findings.map((f) => ({
        ...base,
        kind: 'fail',
        level: f.status === 'warn' ? 'note' : LEVEL_OF_RISK[f.riskLevel],
        message: { text: f.message },
        ...locationsOf(f.evidence.length > 0 ? f.evidence : item.evidence),
        ...(f.fingerprint === undefined
          ? {}
          : { partialFingerprints: { [SARIF_FINGERPRINT_KEY]: f.fingerprint } }),
        ...suppressions,
        properties: findingProperties(item, f),
      }));
    }
  }
}

function resultProperties(item: ReportItem): Record<string, unknown> {
  const props: Record<string, unknown> = {
    status: item.status,
    riskLevel: item.riskLevel,
    value: item.value,
  };
  if (item.repair !== undefined) props.repair = firstLine(item.repair.text);
  return props;
}

function findingProperties(item: ReportItem, f: Finding): Record<string, unknown> {
  const props: Record<string, unknown> = {
    status: item.status === 'waived' ? 'waived' : f.status,
    riskLevel: f.riskLevel,
    value: item.value,
    assertion: f.assertion,
    messageId: f.messageId,
  };
  if (f.values !== undefined) props.values = f.values;
  return props;
}

/** Physical locations for file (and hive) evidence, logical ones for registry keys; `{}` when none. */
function locationsOf(evidence: readonly Evidence[]): { locations?: Record<string, unknown>[] } {
  const locations: Record<string, unknown>[] = [];
  for (const ev of evidence) {
    if (ev.kind === 'file' && ev.path !== undefined) {
      const physicalLocation: Record<string, unknown> = {
        artifactLocation: { uri: guestPathToUri(ev.path), uriBaseId: SARIF_URI_BASE_ID },
      };
      if (ev.line !== undefined && Number.isInteger(ev.line) && ev.line >= 1) {
        physicalLocation.region =
          ev.excerpt === undefined
            ? { startLine: ev.line }
            : { startLine: ev.line, snippet: { text: ev.excerpt } };
      }
      locations.push(
        ev.note === undefined ? { physicalLocation } : { physicalLocation, message: { text: ev.note } },
      );
    } else if (ev.kind === 'registry' && ev.key !== undefined) {
      const location: Record<string, unknown> = {
        logicalLocations: [
          {
            fullyQualifiedName: ev.valueName === undefined ? ev.key : `${ev.key}\\${ev.valueName}`,
            kind: ev.valueName === undefined ? 'registryKey' : 'registryValue',
          },
        ],
      };
      if (ev.path !== undefined) {
        location.physicalLocation = {
          artifactLocation: { uri: guestPathToUri(ev.path), uriBaseId: SARIF_URI_BASE_ID },
        };
      }
      if (ev.note !== undefined) location.message = { text: ev.note };
      locations.push(location);
    }
  }
  return locations.length > 0 ? { locations } : {};
}

/**
 * A guest path as a relative URI reference under GUESTROOT: `/etc/fstab` → `etc/fstab`.
 * Windows paths use `/` and lose the drive (`C:\Windows\x` → `Windows/x`); every segment is
 * percent-encoded so spaces, `#`, `?` and `%` in guest file names stay part of the path.
 */
export function guestPathToUri(path: string): string {
  const segments = path
    .replace(/^[A-Za-z]:(?=[\\/])/, '')
    .split(/[\\/]+/)
    .filter((s) => s !== '');
  return segments.map((s) => encodeURIComponent(wellFormed(s))).join('/');
}

/** Lone surrogates (a mis-decoded guest file name) would make `encodeURIComponent` throw. */
function wellFormed(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    out += cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : ch;
  }
  return out;
}
