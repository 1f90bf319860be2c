import { UsageError } from '@imagecheck/access';
import picomatch from 'picomatch';
import { ruleMatches, ruleSettings } from '../config/apply.js';
import type { ResolvedConfig } from '../config/types.js';
import type { RiskLevel } from '../report/types.js';
import type { LoadedPack, LoadedRule } from '../rules/types.js';

/** Which rules to run. Ids and globs match `ID` and `namespace/ID`; every given criterion must hold. */
export interface RuleSelection {
  /** Run only these rules. A plain id that matches no rule is a `UsageError` (a typo, most likely). */
  readonly only?: readonly string[];
  readonly skip?: readonly string[];
  /** Rules carrying any of these tags. */
  readonly tags?: readonly string[];
  /** Rules whose effective risk level (after config overrides) is one of these. */
  readonly riskLevels?: readonly RiskLevel[];
  /** Packs by namespace or name (globs). */
  readonly packs?: readonly string[];
}

/** The selected rules, in pack order then rule order; rules the config turns off are left out. */
export function selectRules(
  packs: readonly LoadedPack[],
  selection: RuleSelection = {},
  config?: ResolvedConfig,
): LoadedRule[] {
  const packMatchers = selection.packs?.map((p) => picomatch(p, { dot: true }));
  const out: LoadedRule[] = [];
  for (const pack of packs) {
    if (packMatchers && !packMatchers.some((m) => m(pack.namespace) || m(pack.name))) continue;
    for (const rule of pack.rules) {
      const settings = ruleSettings(rule, config);
      if (!settings.enabled) continue;
      if (selection.only && !selection.only.some((p) => ruleMatches(p, rule))) continue;
      if (selection.skip?.some((p) => ruleMatches(p, rule))) continue;
      if (selection.tags && !selection.tags.some((t) => rule.tags.includes(t))) continue;
      if (selection.riskLevels && !selection.riskLevels.includes(settings.riskLevel ?? rule.riskLevel))
        continue;
      out.push(rule);
    }
  }
  for (const id of selection.only ?? []) {
    if (picomatch.scan(id).isGlob) continue;
    if (!packs.some((p) => p.rules.some((r) => ruleMatches(id, r)))) {
      throw new UsageError('usage/unknown-rule', `no loaded pack has a rule "${id}"`, { data: { rule: id } });
    }
  }
  return out;
}
