/**
 * The report formats, in the order help text lists them. The command's `--format` choices and
 * the renderers' dispatch both come from this list, so a format cannot be offered without a
 * renderer or rendered without being offered.
 */
export const REPORT_FORMATS = ['text', 'json', 'sarif', 'junit', 'detection'] as const;

export type ReportFormat = (typeof REPORT_FORMATS)[number];
