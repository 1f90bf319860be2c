import type { Report, ReportItem, Status } from '../types.js';
import { activeFindings, formatEvidenceLocation } from './common.js';

/**
 * JUnit XML, in the shape CI systems read (Jenkins, GitLab, GitHub test reporters):
 *
 * ```
 * <testsuites name="imagecheck" tests failures errors skipped>
 *   <testsuite name=IMAGE tests failures errors skipped>      one per image
 *     <properties>backend, format, os, virtualSize, tag:KEY</properties>
 *     <testcase classname=IMAGE name=ITEM [time]>             one per item
 *       fail    → <failure message type=RISK>findings and evidence</failure>
 *       error   → <error message type="error">message and evidence</error>
 *       skipped → <skipped message=reason/>
 *       waived  → <skipped message="waived: justification"/>
 *       warn, info → passing, with <system-out>value, message, findings</system-out>
 *       pass    → passing, no body
 * ```
 *
 * An image that could not be opened is a suite with one `<error>` testcase named `open`, so it
 * counts as a broken build rather than vanishing. Everything is escaped for XML 1.0: markup
 * characters become entities, and characters XML 1.0 cannot carry at all (C0 controls other
 * than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) become visible `\xNN` text.
 */
export function renderJunit(reports: Report | readonly Report[]): string {
  const list = Array.isArray(reports) ? (reports as readonly Report[]) : [reports as Report];
  const suites = list.map(suiteOf);
  const totals = suites.reduce(
    (acc, s) => ({
      tests: acc.tests + s.tests,
      failures: acc.failures + s.failures,
      errors: acc.errors + s.errors,
      skipped: acc.skipped + s.skipped,
    }),
    { tests: 0, failures: 0, errors: 0, skipped: 0 },
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="imagecheck" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}">`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

interface Suite {
  xml: string;
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function suiteOf(report: Report): Suite {
  const image = report.image.path;
  const cases: string[] = [];
  const counts = { failures: 0, errors: 0, skipped: 0 };
  for (const item of report.items) {
    const kind = outcomeOf(item.status);
    if (kind === 'failure') counts.failures += 1;
    else if (kind === 'error') counts.errors += 1;
    else if (kind === 'skipped') counts.skipped += 1;
    cases.push(testcase(image, item));
  }
  if (report.error !== undefined) {
    counts.errors += 1;
    cases.push(
      `    <testcase classname="${attr(image)}" name="open">` +
        `<error message="${attr(report.error.message)}" type="${attr(report.error.code)}">${text(
          `${report.error.code}: ${report.error.message}`,
        )}</error></testcase>`,
    );
  }
  const tests = cases.length;
  const props: [string, string][] = [['backend', report.backend]];
  if (report.image.format !== undefined) props.push(['format', report.image.format]);
  if (report.image.virtualSize !== undefined) props.push(['virtualSize', String(report.image.virtualSize)]);
  if (report.image.os !== undefined) props.push(['os', report.image.os]);
  for (const t of report.tags) props.push([`tag:${t.key}`, t.value]);

  const open =
    `  <testsuite name="${attr(image)}" tests="${tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}"` +
    (report.generatedAt === undefined ? '' : ` timestamp="${attr(report.generatedAt)}"`) +
    '>';
  const xml = [
    open,
    '    <properties>',
    ...props.map(([n, v]) => `      <property name="${attr(n)}" value="${attr(v)}"/>`),
    '    </properties>',
    ...cases,
    '  </testsuite>',
  ].join('\n');
  return { xml, tests, ...counts };
}

function outcomeOf(status: Status): 'failure' | 'error' | 'skipped' | 'passed' {
  switch (status) {
    case 'fail':
      return 'failure';
    case 'error':
      return 'error';
    case 'skipped':
    case 'waived':
      return 'skipped';
    case 'pass':
    case 'warn':
    case 'info':
      return 'passed';
  }
}

function testcase(image: string, item: ReportItem): string {
  const time = item.durationMs === undefined ? '' : ` time="${(item.durationMs / 1000).toFixed(3)}"`;
  const open = `    <testcase classname="${attr(image)}" name="${attr(item.name)}"${time}`;
  switch (item.status) {
    case 'fail':
      return `${open}><failure message="${attr(item.message)}" type="${item.riskLevel}">${text(detail(item))}</failure></testcase>`;
    case 'error':
      return `${open}><error message="${attr(item.message)}" type="error">${text(detail(item))}</error></testcase>`;
    case 'skipped':
      return `${open}><skipped message="${attr(item.message)}"/></testcase>`;
    case 'waived':
      return `${open}><skipped message="${attr(`waived: ${item.waiver?.justification ?? item.message}`)}"/></testcase>`;
    case 'warn':
    case 'info':
      return `${open}><system-out>${text(detail(item))}</system-out></testcase>`;
    case 'pass':
      return `${open}/>`;
  }
}

/** The body: value, message, each finding with its risk and evidence, the repair text. */
function detail(item: ReportItem): string {
  const lines: string[] = [];
  if (item.value !== '') lines.push(`value: ${item.value}`);
  lines.push(item.message);
  const findings = activeFindings(item);
  for (const f of findings) {
    lines.push(`[${f.status} ${f.riskLevel}] ${f.message}`);
    for (const ev of f.evidence) lines.push(`    ${evidenceLine(ev)}`);
  }
  if (findings.length === 0) for (const ev of item.evidence) lines.push(`  ${evidenceLine(ev)}`);
  if (item.repair !== undefined) lines.push('', `repair: ${item.repair.text.trim()}`);
  return lines.join('\n');
}

function evidenceLine(ev: Parameters<typeof formatEvidenceLocation>[0]): string {
  const where = formatEvidenceLocation(ev);
  return ev.excerpt === undefined ? where : `${where}  ${ev.excerpt}`;
}

/** Escapes for element content. `>` is escaped too, so `]]>` cannot appear. */
export function text(s: string): string {
  return xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes for a double-quoted attribute; tab/LF/CR as references so attribute normalisation keeps them. */
export function attr(s: string): string {
  return text(s)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** Characters outside XML 1.0's `Char` production (§2.2), and C1 controls, as visible escapes. */
function xmlSafe(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const allowed =
      cp === 0x9 ||
      cp === 0xa ||
      cp === 0xd ||
      (cp >= 0x20 && cp <= 0x7e) ||
      // 0x7F-0x9F are legal but discouraged (§2.2); CI log viewers would pass them to a terminal.
      (cp >= 0xa0 && cp <= 0xd7ff) ||
      (cp >= 0xe000 && cp <= 0xfffd) ||
      (cp >= 0x10000 && cp <= 0x10ffff);
    out += allowed ? ch : cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  }
  return out;
}
