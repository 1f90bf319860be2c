export {
  type EvaluateOptions,
  evaluateRule,
  localize,
  MAX_FINDINGS,
  MAX_FOREACH_ELEMENTS,
  platformMismatch,
} from './evaluate.js';
export {
  BUILTIN_FACT_DEFINITIONS,
  buildRegistry,
  type CollectedFacts,
  type CollectFactsOptions,
  collectFacts,
  type InspectedGuest,
  inspectGuest,
  type ProgressEvent,
  type ProgressStage,
  type RunCheckOptions,
  runCheck,
} from './run.js';
export { type RuleSelection, selectRules } from './select.js';
export { exitCodeFor } from './summary.js';
