import { isImagecheckError, UsageError } from '@imagecheck/access';
import { describe, expect, it } from 'vitest';
import { REPORT_FORMATS, type ReportFormat } from '../formats.js';
import type { ReportItem, RiskLevel } from '../types.js';
import { activeFindings, sortItems } from './common.js';
import { renderDetection, renderJson, renderJunit, renderReport, renderSarif, renderText } from './index.js';
import { allReports, centosReport } from './sample-reports.js';

describe('renderReport', () => {
  it('dispatches to the renderer of each format', () => {
    const direct: Record<ReportFormat, string> = {
      text: renderText(centosReport, { verbose: true }),
      json: renderJson(centosReport),
      sarif: renderSarif(centosReport),
      junit: renderJunit(centosReport),
      detection: renderDetection(centosReport),
    };
    for (const format of REPORT_FORMATS) {
      const out = renderReport(centosReport, format, { verbose: true });
      expect(out).toBe(direct[format]);
      expect(out.endsWith('\n')).toBe(true);
    }
  });

  it('is deterministic', () => {
    for (const format of REPORT_FORMATS)
      expect(renderReport(allReports, format)).toBe(renderReport(allReports, format));
  });

  it('throws a UsageError for an unknown format', () => {
    let caught: unknown;
    try {
      renderReport(centosReport, 'html' as ReportFormat);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect(isImagecheckError(caught) && caught.code).toBe('report/unknown-format');
  });
});

describe('display order', () => {
  const item = (name: string, status: ReportItem['status'], riskLevel: RiskLevel): ReportItem => ({
    name,
    status,
    riskLevel,
    value: '',
    message: '',
    evidence: [],
  });

  it('sorts items by status, then the greater risk first, then by name', () => {
    const items = [
      item('Z', 'fail', 'low'),
      item('B', 'fail', 'high'),
      item('M', 'fail', 'medium'),
      item('A', 'fail', 'high'),
      item('P', 'pass', 'high'),
      item('E', 'error', 'low'),
    ];
    expect(sortItems(items).map((i) => i.name)).toEqual(['A', 'B', 'M', 'Z', 'E', 'P']);
  });

  it('lists failing findings before warnings, the greater risk first', () => {
    const finding = (status: 'fail' | 'warn', riskLevel: RiskLevel) => ({
      assertion: `${status}-${riskLevel}`,
      status,
      riskLevel,
      messageId: 'm',
      message: 'm',
      evidence: [],
    });
    const withFindings = {
      ...item('X', 'fail', 'high'),
      findings: [
        finding('warn', 'high'),
        finding('fail', 'low'),
        finding('fail', 'high'),
        finding('fail', 'medium'),
      ],
    };
    expect(activeFindings(withFindings).map((f) => f.assertion)).toEqual([
      'fail-high',
      'fail-medium',
      'fail-low',
      'warn-high',
    ]);
  });
});
