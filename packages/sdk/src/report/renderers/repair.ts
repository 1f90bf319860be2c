import type { Report, ReportItem } from '../types.js';
import { activeFindings, asArray, escapeControls, formatEvidenceLocation } from './common.js';

/** The repair scripts of a check, one per language; `null` when no failing item has one. */
export interface RepairScripts {
  readonly bash: string | null;
  readonly powershell: string | null;
  /** How many item scripts went into each. */
  readonly counts: { readonly bash: number; readonly powershell: number };
}

/**
 * Gathers the repair scripts of every failing item (status `fail`; waived items are accepted
 * and left alone) into one bash and one PowerShell script.
 *
 * Each section is headed by the image, the item name, where it runs, and its findings with their
 * evidence, all as comments. Finding messages quote the image's own bytes, so every line of a
 * heading is escaped and prefixed with `#`: a newline in a crafted fstab entry cannot become a
 * command. Each item's script runs on its own, in a bash subshell or a PowerShell script block,
 * so that an `exit` or a failure in one stops only that section, is reported, and makes the whole
 * script exit non-zero at the end.
 */
export function collectRepairScript(reports: Report | readonly Report[]): RepairScripts {
  const bash: string[] = [];
  const ps: string[] = [];
  for (const report of asArray(reports)) {
    for (const item of report.items) {
      const script = item.repair?.script;
      if (item.status !== 'fail' || script === undefined) continue;
      const heading = headingLines(report, item);
      if (script.language === 'bash') bash.push(bashSection(heading, item.name, script.content));
      else ps.push(powershellSection(heading, item.name, script.content));
    }
  }
  return {
    bash: bash.length === 0 ? null : bashScript(bash),
    powershell: ps.length === 0 ? null : powershellScript(ps),
    counts: { bash: bash.length, powershell: ps.length },
  };
}

function headingLines(report: Report, item: ReportItem): string[] {
  const lines = [`${item.name} (${item.riskLevel}) in ${report.image.path}`];
  if (item.repair?.script?.runIn !== undefined) lines.push(`Run in: ${item.repair.script.runIn}`);
  const findings = activeFindings(item);
  if (findings.length === 0) {
    lines.push(item.message);
    for (const ev of item.evidence) lines.push(`  ${formatEvidenceLocation(ev)}`);
  }
  for (const f of findings) {
    lines.push(`${f.status} ${f.riskLevel}: ${f.message}`);
    for (const ev of f.evidence) lines.push(`  ${formatEvidenceLocation(ev)}`);
  }
  return lines.map((l) => escapeControls(l));
}

function comment(lines: readonly string[]): string {
  return lines.map((l) => `# ${l}`.trimEnd()).join('\n');
}

function bashSection(heading: readonly string[], name: string, content: string): string {
  // A quoted name cannot end the string: item names are rule ids, but escape anyway.
  const quoted = `'${escapeControls(name).replace(/'/g, `'\\''`)}'`;
  return [
    `# ${'-'.repeat(76)}`,
    comment(heading),
    '(',
    content.replace(/\n+$/, ''),
    `) || imagecheck_failed ${quoted}`,
  ].join('\n');
}

function bashScript(sections: readonly string[]): string {
  return [
    '#!/usr/bin/env bash',
    '# Repair script collected by imagecheck from the failing check items.',
    '# Read each section before running it; each runs in its own subshell.',
    'imagecheck_status=0',
    'imagecheck_failed() { echo "imagecheck: repair of $1 failed" >&2; imagecheck_status=1; }',
    '',
    sections.join('\n\n'),
    '',
    'exit "$imagecheck_status"',
    '',
  ].join('\n');
}

function powershellSection(heading: readonly string[], name: string, content: string): string {
  const quoted = `'${escapeControls(name).replace(/'/g, "''")}'`;
  return [
    `# ${'-'.repeat(76)}`,
    comment(heading),
    'try {',
    '  & {',
    content.replace(/\n+$/, ''),
    '  }',
    `  if (-not $?) { Repair-Failed ${quoted} }`,
    `} catch { Repair-Failed ${quoted} $_ }`,
  ].join('\n');
}

function powershellScript(sections: readonly string[]): string {
  return [
    '# Repair script collected by imagecheck from the failing check items.',
    '# Read each section before running it; each runs in its own script block.',
    '$ErrorActionPreference = "Stop"',
    '$script:ImagecheckStatus = 0',
    'function Repair-Failed([string]$Name, $Err) {',
    '  Write-Warning "imagecheck: repair of $Name failed: $Err"',
    '  $script:ImagecheckStatus = 1',
    '}',
    '',
    sections.join('\n\n'),
    '',
    'exit $script:ImagecheckStatus',
    '',
  ].join('\n');
}
