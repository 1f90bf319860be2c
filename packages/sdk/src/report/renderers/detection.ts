import type { Report, ReportItem, RiskLevel } from '../types.js';
import { activeFindings } from './common.js';

/**
 * The cloud vendor's image-check result shape (`DetectionOptions` of DescribeImages): the task
 * `Status` and, per check item, `Name`, `Value`, `RiskCode` and `RiskLevel`, so that scripts
 * written against the vendor's API can read ours. One object per image; an array when the caller
 * passes an array.
 *
 * The vendor's text says an item either reports a value (Platform, OSVersion, KernelVersion …)
 * or flags a risk at a level with a repair suggestion. Our statuses map onto that as follows:
 *
 * | status          | RiskLevel                                  | RiskCode                               |
 * |-----------------|--------------------------------------------|----------------------------------------|
 * | fail            | the most severe failing finding's level,   | that finding's message id; the item    |
 * |                 | else the item's                            | name when it has no findings           |
 * | error           | the item's level: an undecided check is    | `CheckError`                           |
 * |                 | never shown as a pass                      |                                        |
 * | pass, info      | empty                                      | empty                                  |
 * | warn            | empty: not a boot risk                     | empty                                  |
 * | skipped         | empty                                      | empty                                  |
 * | waived          | empty: the user's configuration accepted   | empty                                  |
 * |                 | the risk (other formats still show it)     |                                        |
 *
 * `Value` is always the item's value. `Status` is `Finished`, or `Failed` when the image could
 * not be opened (then `Items` is empty). The vendor's shape has no place for the image tags:
 * the vendor attaches them to the image, not to the check result, so they are in the JSON report.
 */
export function renderDetection(reports: Report | readonly Report[]): string {
  const out = Array.isArray(reports)
    ? (reports as readonly Report[]).map(toDetection)
    : toDetection(reports as Report);
  return `${JSON.stringify(out, null, 2)}\n`;
}

export interface DetectionItem {
  readonly Name: string;
  readonly Value: string;
  readonly RiskCode: string;
  readonly RiskLevel: RiskLevel | '';
}

export interface DetectionResult {
  readonly Status: 'Finished' | 'Failed';
  readonly Items: readonly DetectionItem[];
}

export const DETECTION_ERROR_RISK_CODE = 'CheckError';

export function toDetection(report: Report): DetectionResult {
  return {
    Status: report.error === undefined ? 'Finished' : 'Failed',
    Items: report.items.map(detectionItem),
  };
}

function detectionItem(item: ReportItem): DetectionItem {
  const base = { Name: item.name, Value: item.value };
  if (item.status === 'error')
    return { ...base, RiskCode: DETECTION_ERROR_RISK_CODE, RiskLevel: item.riskLevel };
  if (item.status !== 'fail') return { ...base, RiskCode: '', RiskLevel: '' };
  const worst = activeFindings(item).filter((f) => f.status === 'fail')[0];
  if (worst === undefined) return { ...base, RiskCode: item.name, RiskLevel: item.riskLevel };
  return { ...base, RiskCode: worst.messageId, RiskLevel: worst.riskLevel };
}
