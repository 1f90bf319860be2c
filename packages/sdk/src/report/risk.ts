import type { RiskLevel } from './types.js';

/**
 * The one ranking of risk levels: a higher number is a greater risk. Everything that compares
 * levels (the exit code's `--fail-on`, an item's risk from its findings, the renderers' order)
 * goes through this table or the helpers below, so no two places can disagree on it.
 */
export const RISK_ORDER: Readonly<Record<RiskLevel, number>> = Object.freeze({ low: 1, medium: 2, high: 3 });

/** Negative when `a` is a lesser risk than `b`, 0 when equal, positive when greater. */
export function compareRisk(a: RiskLevel, b: RiskLevel): number {
  return RISK_ORDER[a] - RISK_ORDER[b];
}

/** Whether `level` is `threshold` or a greater risk (`atLeast('high', 'medium')` is true). */
export function atLeast(level: RiskLevel, threshold: RiskLevel): boolean {
  return compareRisk(level, threshold) >= 0;
}

/** The greatest of the levels; `low` when there are none. */
export function highestRisk(levels: Iterable<RiskLevel>): RiskLevel {
  let highest: RiskLevel = 'low';
  for (const level of levels) if (compareRisk(level, highest) > 0) highest = level;
  return highest;
}
