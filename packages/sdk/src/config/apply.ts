import picomatch from 'picomatch';
import { highestRisk } from '../report/risk.js';
import type { Finding, ReportItem, RiskLevel, Status, Waiver } from '../report/types.js';
import type { LoadedRule } from '../rules/types.js';
import type { EffectiveRuleSettings, ResolvedConfig, WaiverConfig } from './types.js';

const matcherCache = new Map<string, (s: string) => boolean>();

/** True when `pattern` (an id or glob) matches the rule's id or its qualified `namespace/id`. */
export function ruleMatches(pattern: string, rule: { readonly id: string; readonly pack?: string }): boolean {
  let m = matcherCache.get(pattern);
  if (!m) {
    m = picomatch(pattern, { dot: true });
    if (matcherCache.size > 1000) matcherCache.clear();
    matcherCache.set(pattern, m);
  }
  return m(rule.id) || (rule.pack !== undefined && m(`${rule.pack}/${rule.id}`));
}

/** Merges every config entry that matches the rule, in file order (later entries win). */
export function ruleSettings(rule: LoadedRule, config: ResolvedConfig | undefined): EffectiveRuleSettings {
  let enabled = true;
  let riskLevel: RiskLevel | undefined;
  let params: Record<string, unknown> | undefined;
  for (const [pattern, setting] of config?.rules ?? []) {
    if (!ruleMatches(pattern, rule)) continue;
    if (setting === 'off') enabled = false;
    else if (setting === 'on') enabled = true;
    else {
      if (setting.enabled !== undefined) enabled = setting.enabled;
      if (setting.riskLevel) riskLevel = setting.riskLevel;
      if (setting.params) params = { ...params, ...setting.params };
    }
  }
  return { enabled, ...(riskLevel ? { riskLevel } : {}), ...(params ? { params } : {}) };
}

/** `YYYY-MM-DD` of `now` in UTC. */
function today(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** A waiver applies through its expiry day (UTC) inclusive. */
export function waiverExpired(w: WaiverConfig, now: Date): boolean {
  return w.expires !== undefined && w.expires < today(now);
}

function findingMatches(f: Finding, match: NonNullable<WaiverConfig['match']>): boolean {
  if (match.fingerprint !== undefined && f.fingerprint !== match.fingerprint) return false;
  if (
    match.path !== undefined &&
    !f.evidence.some((e) => e.path === match.path && (match.line === undefined || e.line === match.line))
  )
    return false;
  if (match.path === undefined && match.line !== undefined && !f.evidence.some((e) => e.line === match.line))
    return false;
  if (match.values) {
    for (const [k, v] of Object.entries(match.values)) {
      if (!f.values || !Object.hasOwn(f.values, k) || JSON.stringify(f.values[k]) !== JSON.stringify(v))
        return false;
    }
  }
  return true;
}

function toWaiver(w: WaiverConfig): Waiver {
  return {
    rule: w.rule,
    justification: w.justification,
    ...(w.expires ? { expires: w.expires } : {}),
    ...(w.match ? { match: w.match as Record<string, unknown> } : {}),
  };
}

/**
 * Applies the waivers that name this item's rule.
 *
 * - Only `fail` and `warn` items are waivable.
 * - A waiver without `match` turns the item into `waived`; with `match`, only matching findings are
 *   waived: when none of the failing findings remains the item is `waived`, otherwise its status,
 *   risk level and message come from the remaining ones (and say how many were waived).
 * - An expired waiver does not apply; the item's message says it expired.
 * The item keeps its findings; `item.waiver` is the (first) waiver that applied.
 */
export function applyWaivers(
  item: ReportItem,
  rule: { readonly id: string; readonly pack?: string },
  waivers: readonly WaiverConfig[],
  now: Date,
): ReportItem {
  if (item.status !== 'fail' && item.status !== 'warn') return item;
  const mine = waivers.filter((w) => ruleMatches(w.rule, rule));
  if (mine.length === 0) return item;
  const active = mine.filter((w) => !waiverExpired(w, now));
  const expired = mine.filter((w) => waiverExpired(w, now));
  const expiredNote =
    expired.length > 0 ? ` (waiver expired on ${expired[0]?.expires}: ${expired[0]?.justification})` : '';

  const whole = active.find((w) => w.match === undefined);
  if (whole) {
    return {
      ...item,
      status: 'waived',
      waiver: toWaiver(whole),
      message: `${item.message} (waived: ${whole.justification})`,
    };
  }
  const findings = item.findings ?? [];
  const waivedIdx = new Set<number>();
  let applied: WaiverConfig | undefined;
  for (const w of active) {
    findings.forEach((f, i) => {
      if (w.match && findingMatches(f, w.match)) {
        waivedIdx.add(i);
        applied ??= w;
      }
    });
  }
  if (!applied) return expiredNote ? { ...item, message: `${item.message}${expiredNote}` } : item;
  const remaining = findings.filter((_f, i) => !waivedIdx.has(i));
  const fails = remaining.filter((f) => f.status === 'fail');
  const deciding = fails.length > 0 ? fails : remaining.filter((f) => f.status === 'warn');
  if (deciding.length === 0) {
    return {
      ...item,
      status: 'waived',
      waiver: toWaiver(applied),
      message: `${item.message} (waived: ${applied.justification})`,
    };
  }
  const status: Status = fails.length > 0 ? 'fail' : 'warn';
  const riskLevel = highestRisk(deciding.map((f) => f.riskLevel));
  const first = deciding[0] as Finding;
  const more = deciding.length - 1;
  return {
    ...item,
    status,
    riskLevel,
    waiver: toWaiver(applied),
    message: `${first.message}${more > 0 ? ` (and ${more} more)` : ''} (${waivedIdx.size} waived: ${applied.justification})${expiredNote}`,
  };
}
