import type { Evidence } from '../../facts/types.js';
import { compareRisk } from '../risk.js';
import type { Finding, Report, ReportItem, Status } from '../types.js';

export interface RenderOptions {
  /** ANSI colours in `text`; ignored by the machine formats. Default false: callers decide from the TTY. */
  readonly color?: boolean;
  /** `text` adds every finding with its evidence and the full repair text. */
  readonly verbose?: boolean;
}

export function asArray(reports: Report | readonly Report[]): readonly Report[] {
  return Array.isArray(reports) ? (reports as readonly Report[]) : [reports as Report];
}

/** Display order of statuses: what needs action first, what is merely known last. */
export const STATUS_ORDER: Readonly<Record<Status, number>> = {
  fail: 0,
  error: 1,
  warn: 2,
  waived: 3,
  info: 4,
  pass: 5,
  skipped: 6,
};

/** Failures first, then the greater risk, then by name; the engine's order is kept for equal keys (stable sort). */
export function sortItems(items: readonly ReportItem[]): ReportItem[] {
  return [...items].sort(
    (a, b) =>
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      compareRisk(b.riskLevel, a.riskLevel) ||
      a.name.localeCompare(b.name),
  );
}

/** The findings that make an item fail (or warn), most severe first. */
export function activeFindings(item: ReportItem): Finding[] {
  return [...(item.findings ?? [])].sort(
    (a, b) =>
      (a.status === 'fail' ? 0 : 1) - (b.status === 'fail' ? 0 : 1) || compareRisk(b.riskLevel, a.riskLevel),
  );
}

/**
 * Where a piece of evidence points, in the shortest form a person can act on:
 * `/etc/fstab:10`, `HKLM\SYSTEM\...\viostor\Start`, `partition 2`, `filesystem <id>`.
 */
export function formatEvidenceLocation(ev: Evidence): string {
  switch (ev.kind) {
    case 'file':
      return ev.path === undefined ? 'file' : ev.line === undefined ? ev.path : `${ev.path}:${ev.line}`;
    case 'registry': {
      const key = ev.key ?? ev.path ?? 'registry';
      return ev.valueName === undefined ? key : `${key}\\${ev.valueName}`;
    }
    case 'partition':
      return ev.partition === undefined ? 'partition' : `partition ${ev.partition}`;
    case 'filesystem':
      return ev.filesystem === undefined ? 'filesystem' : `filesystem ${ev.filesystem}`;
    case 'image':
      return ev.path ?? 'image';
    case 'fact':
      return ev.path === undefined ? 'fact' : `fact ${ev.path}`;
  }
}

/**
 * Replaces control characters with visible `\xNN` / `\u{...}` escapes.
 *
 * Messages and excerpts quote bytes from untrusted images; printed raw, an ESC sequence in a
 * crafted `/etc/fstab` could rewrite the user's terminal, and a newline could forge a report line
 * or, in a repair script's comment, a shell command. `keepNewlines` is for multi-line text that
 * comes from rule packs (repair prose), where line structure is meant.
 */
export function escapeControls(text: string, keepNewlines = false): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (keepNewlines && (ch === '\n' || ch === '\t')) {
      out += ch;
    } else if (cp < 0x20 || cp === 0x7f) {
      out += `\\x${cp.toString(16).padStart(2, '0')}`;
    } else if (
      (cp >= 0x80 && cp <= 0x9f) ||
      cp === 0x2028 ||
      cp === 0x2029 ||
      cp === 0x200e ||
      cp === 0x200f ||
      (cp >= 0x202a && cp <= 0x202e) ||
      (cp >= 0x2066 && cp <= 0x2069)
    ) {
      // C1 controls (0x9B is a one-byte CSI on some terminals), the Unicode line separators, and
      // the bidirectional overrides that can make a line display as something else.
      out += `\\u{${cp.toString(16)}}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** `21474836480` → `20 GiB`; binary units because disk sizes are powers of two. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = unit === 0 || Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${text} ${units[unit]}`;
}

/** The last path segment, for labels (`/images/centos79.qcow2` → `centos79.qcow2`). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  return parts[parts.length - 1] ?? path;
}

/** The first line of a Markdown paragraph, for one-line hints. */
export function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim();
}
