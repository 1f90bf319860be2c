import type { Report, ReportItem, RiskLevel, Status } from '@imagecheck/sdk';
import { baseName, escapeControls } from '@imagecheck/sdk';

export {
  baseName,
  formatBytes,
  formatEvidenceLocation as evidenceLocation,
  sortItems,
} from '@imagecheck/sdk';

/** Glyphs and words per status: the same glyphs as the text report, so both read alike. */
export const STATUS_GLYPH: Readonly<Record<Status, string>> = {
  fail: '✗',
  error: '‼',
  warn: '!',
  waived: '~',
  info: 'i',
  pass: '✓',
  skipped: '–',
};

export const STATUS_WORD: Readonly<Record<Status, string>> = {
  fail: 'failed',
  error: 'error',
  warn: 'warning',
  waived: 'waived',
  info: 'info',
  pass: 'passed',
  skipped: 'skipped',
};

/** Calm colours: only what needs action is red; what is merely known is grey. */
export const STATUS_COLOR: Readonly<Record<Status, string>> = {
  fail: 'red',
  error: 'magenta',
  warn: 'yellow',
  waived: 'cyan',
  info: 'blue',
  pass: 'green',
  skipped: 'gray',
};

export const RISK_COLOR: Readonly<Record<RiskLevel, string>> = {
  high: 'red',
  medium: 'yellow',
  low: 'gray',
};

/** Footer order: what needs action first. */
export const COUNT_ORDER: readonly Status[] = ['fail', 'error', 'warn', 'waived', 'info', 'pass', 'skipped'];

export interface ItemFilter {
  /** Case-insensitive text matched against name, title, value and message. */
  readonly text: string;
  /** Only what needs action: fail and error. */
  readonly failuresOnly: boolean;
}

export function filterItems(items: readonly ReportItem[], filter: ItemFilter): ReportItem[] {
  const needle = filter.text.trim().toLowerCase();
  return items.filter((i) => {
    if (filter.failuresOnly && i.status !== 'fail' && i.status !== 'error') return false;
    if (needle === '') return true;
    return [i.name, i.title ?? '', i.value, i.message].some((s) => s.toLowerCase().includes(needle));
  });
}

export function countStatuses(items: readonly ReportItem[]): Record<Status, number> {
  const counts: Record<Status, number> = {
    pass: 0,
    fail: 0,
    warn: 0,
    info: 0,
    skipped: 0,
    error: 0,
    waived: 0,
  };
  for (const i of items) counts[i.status]++;
  return counts;
}

/**
 * Values, messages and evidence quote bytes from untrusted images: an ESC in a crafted /etc/fstab
 * must not reach the terminal, and a newline must not forge a row. Tabs become two spaces, since
 * Ink measures a tab as one column.
 */
export function clean(text: string, keepNewlines = false): string {
  return escapeControls(text.replace(/\t/g, '  '), keepNewlines);
}

/** Default file name for `s`: next to where the dashboard runs, named after the image. */
export function defaultSaveName(reports: readonly Report[]): string {
  const first = reports[0];
  if (reports.length !== 1 || first === undefined) return 'imagecheck-report.json';
  const stem = baseName(first.image.path).replace(/\.[^.]+$/, '') || 'image';
  return `${stem}.imagecheck.json`;
}

/** `text` cut to `width` columns with an ellipsis; glyph widths here are all one column. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length <= width) return text;
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** Lines wrapped at word boundaries, longer words cut, per paragraph; one terminal row each. */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(8, width);
  const out: string[] = [];
  for (const paragraph of reflow(text)) {
    const indent = /^\s*/.exec(paragraph)?.[0] ?? '';
    let line = '';
    const words = paragraph.trim() === '' ? [] : paragraph.trim().split(/ +/);
    if (words.length === 0) out.push('');
    for (const word of words) {
      let rest = [...word];
      while (rest.length > 0) {
        const room = w - [...line].length - (line === '' ? indent.length : 1);
        if (rest.length <= room) {
          line = line === '' ? indent + rest.join('') : `${line} ${rest.join('')}`;
          rest = [];
        } else if (line !== '') {
          out.push(line);
          line = '';
        } else {
          // A word longer than the line: cut it.
          const take = Math.max(1, w - indent.length);
          out.push(indent + rest.slice(0, take).join(''));
          rest = rest.slice(take);
        }
      }
    }
    if (line !== '') out.push(line);
  }
  return out;
}

/** Code lines cut at `width` columns, each piece on its own row: scripts keep their spacing. */
export function wrapLines(text: string, width: number): string[] {
  const w = Math.max(8, width);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let rest = [...line];
    if (rest.length === 0) out.push('');
    while (rest.length > 0) {
      out.push(rest.slice(0, w).join(''));
      rest = rest.slice(w);
    }
  }
  return out;
}

/**
 * Markdown prose from rule packs is wrapped at the author's width: a single newline joins lines
 * of one paragraph. Blank lines, list items and indented (code) lines keep their breaks.
 */
function reflow(text: string): string[] {
  const out: string[] = [];
  let joinable = false;
  for (const line of text.split('\n')) {
    const keep = line.trim() === '' || /^\s/.test(line) || /^([-*+]|\d+[.)])\s/.test(line);
    if (joinable && !keep && out.length > 0) out[out.length - 1] = `${out[out.length - 1]} ${line.trim()}`;
    else out.push(line);
    joinable = line.trim() !== '' && !/^\s{2,}/.test(line);
  }
  return out;
}
