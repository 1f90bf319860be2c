import { UsageError } from '@imagecheck/access';
import type { Report } from '../types.js';
import { REPORT_FORMATS, type RenderOptions, type ReportFormat } from './common.js';
import { renderDetection } from './detection.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';

/**
 * Renders one report, or several (one per image), in a format. A single Report gives a single
 * JSON object in `json` and `detection`; an array gives an array, even of one, so a caller that
 * checks a list of images always gets the same shape. `text` and `junit`/`sarif` take either.
 * Every format ends with a newline. An unknown format is a `UsageError` (`report/unknown-format`).
 */
export function renderReport(
  reports: Report | readonly Report[],
  format: ReportFormat,
  options: RenderOptions = {},
): string {
  switch (format) {
    case 'text':
      return renderText(reports, options);
    case 'json':
      return renderJson(reports);
    case 'sarif':
      return renderSarif(reports);
    case 'junit':
      return renderJunit(reports);
    case 'detection':
      return renderDetection(reports);
    default:
      throw new UsageError('report/unknown-format', `unknown report format '${String(format)}'`, {
        data: { format, expected: REPORT_FORMATS },
      });
  }
}
