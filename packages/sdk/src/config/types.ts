import type { DeepReadonly } from '../deep-readonly.js';
import type { RiskLevel } from '../report/types.js';
import type * as ConfigSchema from './config.gen.js';

/*
 * The config file as config.schema.json describes it. The types are generated from that schema
 * (`npm run gen:types -w @imagecheck/sdk`), which the loader validates every config against, so
 * the schema is their one source; this module names the parts and makes them deeply readonly.
 */

/** One rule's setting in the config: `off`, `on`, or the details. */
export type RuleSetting = DeepReadonly<NonNullable<ConfigSchema.ConfigSchema['rules']>[string]>;

/**
 * A waiver: accepts a failing item (or only its matching findings); it stays visible as `waived`.
 * `rule` is a rule id or glob, matched against `ID` and `namespace/ID`; `expires` (`YYYY-MM-DD`)
 * is the last day (UTC) the waiver applies.
 */
export type WaiverConfig = DeepReadonly<NonNullable<ConfigSchema.ConfigSchema['waivers']>[number]>;

/** The file as written (imagecheck.config.json / .yaml / .yml), after schema validation. */
export type ImagecheckConfig = DeepReadonly<ConfigSchema.ConfigSchema>;

/** A config ready for the engine: pack folders absolute, rule settings in file order. */
export interface ResolvedConfig {
  /** The config file, when loaded from one. */
  readonly file?: string;
  readonly rules: readonly (readonly [pattern: string, setting: RuleSetting])[];
  readonly waivers: readonly WaiverConfig[];
  readonly packs: readonly string[];
  readonly failOn?: ImagecheckConfig['failOn'];
}

/** What the config says about one rule, all matching entries merged in file order. */
export interface EffectiveRuleSettings {
  readonly enabled: boolean;
  readonly riskLevel?: RiskLevel;
  readonly params?: Readonly<Record<string, unknown>>;
}
