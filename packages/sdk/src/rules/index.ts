export {
  type DocPages,
  driftedPages,
  type PackDocsUpdate,
  packDocsMain,
  renderIndex,
  renderPackDocs,
  renderRule,
  updatePackDocs,
} from './docs.js';
export { BUILTIN_FACTS, loadPack, MAX_PACK_RULES, PACK_MANIFEST_NAMES, SDK_VERSION } from './loader.js';
export {
  ALLOWED_OPERATORS,
  BUILTIN_OPERATORS,
  type CompiledLogic,
  compileLogic,
  evaluateLogic,
  type LogicIssue,
  MAX_LOGIC_DEPTH,
  MAX_LOGIC_NODES,
  SDK_OPERATORS,
  safeData,
  truthy,
} from './logic.js';
export { schemasDir } from './schemas.js';
export type {
  JsonLogic,
  LoadedPack,
  LoadedRule,
  LoadPackOptions,
  LocalizedText,
  PackManifest,
  RuleAssertion,
  RuleFactRef,
  RuleFix,
  RulePlatform,
  RuleSource,
} from './types.js';
export {
  compareVersions,
  MAX_VERSION_LENGTH,
  satisfiesSemverRange,
  VERSION_SCHEMES,
  type VersionScheme,
} from './versions.js';
