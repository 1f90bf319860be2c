export { applyWaivers, ruleMatches, ruleSettings, waiverExpired } from './apply.js';
export { CONFIG_FILE_NAMES, findConfig, loadConfig, resolveConfig } from './load.js';
export type {
  EffectiveRuleSettings,
  ImagecheckConfig,
  ResolvedConfig,
  RuleSetting,
  WaiverConfig,
} from './types.js';
