import { isImagecheckError, UsageError } from '@imagecheck/access';
import { describe, expect, it } from 'vitest';
import { REPORT_FORMATS, type ReportFormat } from './common.js';
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
