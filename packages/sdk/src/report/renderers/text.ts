import type { Evidence } from '../../facts/types.js';
import type { Report, ReportItem, Status } from '../types.js';
import {
  activeFindings,
  escapeControls,
  firstLine,
  formatBytes,
  formatEvidenceLocation,
  type RenderOptions,
  sortItems,
} from './common.js';

/**
 * The terminal report. Per image: a header (path; format, size, backend, OS), the items with
 * failures first and by risk, each with a status glyph, value and message, its evidence as
 * `path:line` and a one-line repair hint, then the image tags and a summary line. `verbose` adds
 * every finding with its evidence and excerpt, and the full repair text.
 *
 * Colour only when `options.color` is set (the caller checks the TTY and NO_COLOR); without it the
 * output has no escape sequences at all. Every string that can come from an image is passed
 * through `escapeControls`, so a crafted file cannot send escape sequences to the terminal.
 */
export function renderText(reports: Report | readonly Report[], options: RenderOptions = {}): string {
  const list = Array.isArray(reports) ? (reports as readonly Report[]) : [reports as Report];
  const paint = painter(options.color === true);
  const blocks = list.map((r) => imageBlock(r, paint, options.verbose === true));
  if (list.length > 1) blocks.push(overall(list, paint));
  return `${blocks.join('\n\n')}\n`;
}

export const STATUS_GLYPHS: Readonly<Record<Status, string>> = {
  fail: '✗',
  error: '‼',
  warn: '!',
  waived: '~',
  info: 'i',
  pass: '✓',
  skipped: '-',
};

const STATUS_WORDS: Readonly<Record<Status, string>> = {
  fail: 'failed',
  error: 'error',
  warn: 'warning',
  waived: 'waived',
  info: 'info',
  pass: 'passed',
  skipped: 'skipped',
};

type Style = 'red' | 'yellow' | 'green' | 'magenta' | 'cyan' | 'dim' | 'bold';
type Paint = (style: Style, s: string) => string;

const ANSI: Readonly<Record<Style, [number, number]>> = {
  red: [31, 39],
  yellow: [33, 39],
  green: [32, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

function painter(enabled: boolean): Paint {
  if (!enabled) return (_style, s) => s;
  return (style, s) => `\u001b[${ANSI[style][0]}m${s}\u001b[${ANSI[style][1]}m`;
}

const STATUS_STYLE: Readonly<Record<Status, Style>> = {
  fail: 'red',
  error: 'magenta',
  warn: 'yellow',
  waived: 'cyan',
  info: 'dim',
  pass: 'green',
  skipped: 'dim',
};

/** Evidence lines shown per item without `verbose`; the rest are counted. */
const EVIDENCE_PREVIEW = 3;
/** Widest name column; longer names push their value to the right rather than widening every row. */
const MAX_NAME_COLUMN = 32;

function imageBlock(report: Report, paint: Paint, verbose: boolean): string {
  const lines: string[] = [];
  lines.push(paint('bold', safe(report.image.path)));
  const facts = [
    report.image.format,
    report.image.virtualSize === undefined ? undefined : formatBytes(report.image.virtualSize),
    report.backend,
    report.image.os,
  ].filter((f): f is string => f !== undefined && f !== '');
  lines.push(paint('dim', safe(facts.join(' · '))));

  if (report.error !== undefined) {
    lines.push(
      '',
      `  ${paint('red', STATUS_GLYPHS.fail)} could not open the image: ${safe(report.error.message)}`,
    );
    lines.push(`    ${paint('dim', safe(report.error.code))}`);
    return lines.join('\n');
  }

  const items = sortItems(report.items);
  const width = Math.min(MAX_NAME_COLUMN, Math.max(0, ...items.map((i) => i.name.length)));
  lines.push('');
  for (const item of items) lines.push(...itemLines(item, width, paint, verbose));

  if (report.tags.length > 0) {
    lines.push(
      '',
      `  ${paint('dim', 'tags')}  ${report.tags.map((t) => safe(`${t.key}=${t.value}`)).join('  ')}`,
    );
  }
  lines.push('', `  ${summaryLine(report, paint)}`);
  return lines.join('\n');
}

function itemLines(item: ReportItem, width: number, paint: Paint, verbose: boolean): string[] {
  const style = STATUS_STYLE[item.status];
  const glyph = paint(style, STATUS_GLYPHS[item.status]);
  const risky = item.status === 'fail' || item.status === 'error' || item.status === 'waived';
  // Padding stays outside the colour codes so that trailing blanks can be trimmed either way.
  const name = safe(item.name);
  const namePad = ' '.repeat(Math.max(0, width - name.length));
  const risk = risky ? paint(style, item.riskLevel) + ' '.repeat(6 - item.riskLevel.length) : ' '.repeat(6);
  const value = item.value === '' ? '' : safe(item.value);
  const head = `  ${glyph} ${risky ? paint('bold', name) : name}${namePad}  ${risk}  ${value}`.trimEnd();
  const out = [head];
  const indent = '      ';

  const quiet = item.status === 'pass' || item.status === 'info';
  if (!quiet || verbose) {
    if (item.message !== '' && item.message !== item.value) out.push(`${indent}${safe(item.message)}`);
  }
  if (item.status === 'waived' && item.waiver !== undefined) {
    const expires = item.waiver.expires === undefined ? '' : ` (until ${safe(item.waiver.expires)})`;
    out.push(`${indent}${paint('cyan', 'waived:')} ${safe(item.waiver.justification)}${expires}`);
  }

  if (verbose) {
    const findings = activeFindings(item);
    for (const f of findings) {
      out.push(
        `${indent}${paint(f.status === 'fail' ? 'red' : 'yellow', `${f.status} ${f.riskLevel}`)} ${safe(f.message)}`,
      );
      for (const ev of f.evidence) out.push(`${indent}  ${evidenceLine(ev, paint, true)}`);
    }
    if (findings.length === 0)
      for (const ev of item.evidence) out.push(`${indent}${evidenceLine(ev, paint, true)}`);
    if (item.repair !== undefined && item.status !== 'pass') {
      out.push(`${indent}${paint('bold', 'fix:')}`);
      for (const l of item.repair.text.trim().split('\n')) out.push(`${indent}  ${safe(l)}`.trimEnd());
      if (item.repair.script !== undefined) {
        out.push(
          `${indent}  ${paint('dim', `(a ${item.repair.script.language} repair script is available)`)}`,
        );
      }
    }
    return out;
  }

  if (quiet || item.status === 'skipped') return out;
  const evidence = evidenceOf(item);
  for (const ev of evidence.slice(0, EVIDENCE_PREVIEW))
    out.push(`${indent}${evidenceLine(ev, paint, false)}`);
  if (evidence.length > EVIDENCE_PREVIEW) {
    out.push(`${indent}${paint('dim', `… ${evidence.length - EVIDENCE_PREVIEW} more`)}`);
  }
  if (item.repair !== undefined && item.status !== 'waived') {
    out.push(`${indent}${paint('dim', 'fix:')} ${safe(firstLine(item.repair.text))}`);
  }
  return out;
}

/** An item's evidence, from its findings when it has some (that is where the lines are). */
function evidenceOf(item: ReportItem): Evidence[] {
  const findings = activeFindings(item);
  const fromFindings = findings.flatMap((f) => [...f.evidence]);
  const all = fromFindings.length > 0 ? fromFindings : [...item.evidence];
  const seen = new Set<string>();
  return all.filter((ev) => {
    const key = `${formatEvidenceLocation(ev)}\u0000${ev.excerpt ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function evidenceLine(ev: Evidence, paint: Paint, verbose: boolean): string {
  let line = paint('cyan', safe(formatEvidenceLocation(ev)));
  if (ev.excerpt !== undefined) line += `  ${paint('dim', safe(ev.excerpt))}`;
  if (verbose && ev.note !== undefined) line += `  ${paint('dim', `(${safe(ev.note)})`)}`;
  return line;
}

const SUMMARY_ORDER: readonly Status[] = ['fail', 'error', 'warn', 'waived', 'pass', 'info', 'skipped'];

function summaryLine(report: Report, paint: Paint): string {
  const parts = SUMMARY_ORDER.filter((s) => report.summary.counts[s] > 0).map((s) =>
    paint(STATUS_STYLE[s], `${report.summary.counts[s]} ${STATUS_WORDS[s]}`),
  );
  const verdict = report.summary.passed ? paint('green', '✓ ready') : paint('red', '✗ not ready');
  const total = report.summary.total;
  return `${verdict}  ${parts.join(' · ')}  ${paint('dim', `(${total} ${total === 1 ? 'item' : 'items'})`)}`;
}

function overall(reports: readonly Report[], paint: Paint): string {
  const ok = reports.filter((r) => r.error === undefined && r.summary.passed).length;
  const bad = reports.length - ok;
  const parts = [paint('green', `${ok} ready`)];
  if (bad > 0) parts.push(paint('red', `${bad} not ready`));
  return `${reports.length} images: ${parts.join(' · ')}`;
}

function safe(s: string): string {
  return escapeControls(s);
}
