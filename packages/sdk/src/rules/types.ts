import type { DeepReadonly } from '../deep-readonly.js';
import type { RiskLevel } from '../report/types.js';

import type * as PackSchema from './pack-manifest.gen.js';
import type * as RuleSchema from './rule-source.gen.js';

/**
 * The rule file (imagecheck.rule/v1) and the pack manifest (imagecheck.pack/v1) as validated
 * against rule.schema.json and pack.schema.json. Their types are generated from those schemas
 * (`npm run gen:types -w @imagecheck/sdk`), so the schema the loader enforces is their one
 * source; this module only makes them deeply readonly, as the loader hands out shared values.
 * Conditions are json-logic (`JsonLogic`); templates are strings with `{{path}}` placeholders.
 */
export type JsonLogic = DeepReadonly<RuleSchema.JsonLogic>;
export type LocalizedText = DeepReadonly<RuleSchema.LocalizedText>;
export type RulePlatform = DeepReadonly<RuleSchema.Platform>;
export type RuleAssertion = DeepReadonly<RuleSchema.Assertion>;
export type RuleFix = DeepReadonly<NonNullable<RuleSchema.Remediation['fix']>>;
export type RuleSource = DeepReadonly<RuleSchema.RuleSourceSchema>;

export interface RuleFactRef {
  readonly id: string;
  readonly required: boolean;
}

/** A rule after loading: validated, conditions checked and compiled, params defaults applied. */
export interface LoadedRule {
  readonly id: string;
  /** The pack's namespace; the qualified id is `${pack}/${id}`. */
  readonly pack: string;
  /** Absolute path of the rule file. */
  readonly file: string;
  readonly title: string;
  readonly description: string;
  readonly kind: 'check' | 'info';
  readonly riskLevel: RiskLevel;
  readonly tags: readonly string[];
  readonly facts: readonly RuleFactRef[];
  /** Parameter defaults from `paramsSchema`. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly messages: Readonly<Record<string, LocalizedText>>;
  /** The validated rule file. */
  readonly source: RuleSource;
}

export type PackManifest = DeepReadonly<PackSchema.PackManifestSchema>;

export interface LoadedPack {
  /** Absolute path of the pack folder. */
  readonly dir: string;
  /** Absolute path of pack.yaml / pack.json. */
  readonly manifestFile: string;
  readonly manifest: PackManifest;
  readonly name: string;
  readonly namespace: string;
  readonly version: string;
  /** In file order (globs in manifest order, files sorted within a glob). */
  readonly rules: readonly LoadedRule[];
  /** The raw `facts.declare` entries; facts get the id `<namespace>.<id>`. */
  readonly declaredFacts: readonly unknown[];
}

export interface LoadPackOptions {
  /** Fact ids the plugins provide; when given, a rule reading any other fact is a load error. */
  readonly knownFacts?: ReadonlySet<string>;
}
