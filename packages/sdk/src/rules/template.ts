import { getPath } from './logic.js';

/**
 * `{{path}}` templates in messages, values, locations, fingerprints and fix scripts.
 *
 * A placeholder is a literal dotted path (spaces around it allowed) read from the same scope as
 * the logic (`facts`, `params`, the assertion's `as` element). Absent values render as the empty
 * string; arrays as their elements joined by ", "; objects as JSON.
 */
const PLACEHOLDER = /\{\{\s*([^{}\s]*)\s*\}\}/g;
const BANNED = new Set(['__proto__', 'prototype', 'constructor']);
/** Rendered text is for one line of a report or a script; cap it so a huge fact cannot bloat a report. */
export const MAX_RENDERED_LENGTH = 65_536;

export function templatePaths(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/** Problems with a template's placeholders, given the allowed roots. */
export function checkTemplate(template: string, roots: readonly string[]): string[] {
  const problems: string[] = [];
  for (const p of templatePaths(template)) {
    const segs = p.split('.');
    if (p === '' || segs.some((s) => s === '')) problems.push(`placeholder "{{${p}}}" is not a dotted path`);
    else if (segs.some((s) => BANNED.has(s))) problems.push(`placeholder "{{${p}}}" has a forbidden segment`);
    else if (!roots.includes(segs[0] as string)) {
      problems.push(`placeholder "{{${p}}}" is not rooted at ${roots.map((r) => `"${r}."`).join(', ')}`);
    }
  }
  return problems;
}

export function renderValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(renderValue).join(', ');
  return JSON.stringify(v);
}

/** Renders `template`; `quote` (for scripts) wraps each interpolated value. */
export function renderTemplate(template: string, scope: unknown, quote?: (s: string) => string): string {
  const out = template.replace(PLACEHOLDER, (_m, p: string) => {
    const s = renderValue(getPath(scope, p));
    return quote ? quote(s) : s;
  });
  return out.length > MAX_RENDERED_LENGTH ? `${out.slice(0, MAX_RENDERED_LENGTH)}…` : out;
}

/** POSIX shell single-quoting: `'` becomes `'\''`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** PowerShell single-quoted string: `'` doubles (also the typographic quotes PowerShell honours). */
export function powershellQuote(s: string): string {
  return `'${s.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}
