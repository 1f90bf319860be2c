import { UsageError } from '@imagecheck/access';
import { REPORT_FORMATS, type ReportFormat } from '../formats.js';
import type { Report } from '../types.js';
import type { RenderOptions } from './common.js';
import { renderDetection } from './detection.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';

type Renderer = (reports: Report | readonly Report[], options: RenderOptions) => string;

// Keyed by the format list's type: a format added to REPORT_FORMATS does not compile without its renderer.
const RENDERERS: Readonly<Record<ReportFormat, Renderer>> = {
  text: renderText,
  json: (reports) => renderJson(reports),
  sarif: (reports) => renderSarif(reports),
  junit: (reports) => renderJunit(reports),
  detection: (reports) => renderDetection(reports),
};

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
  // `in` on a plain object would accept `toString`; the list is the authority.
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError('report/unknown-format', `unknown report format '${String(format)}'`, {
      data: { format, expected: REPORT_FORMATS },
    });
  }
  return RENDERERS[format](reports, options);
}
