import type { RiskLevel } from '../report/types.js';

/** One rule's setting in the config: `off`, `on`, or the details. */
export type RuleSetting =
  | 'off'
  | 'on'
  | {
      readonly enabled?: boolean;
      readonly riskLevel?: RiskLevel;
      readonly params?: Readonly<Record<string, unknown>>;
    };

/** A waiver: accepts a failing item (or only its matching findings); it stays visible as `waived`. */
export interface WaiverConfig {
  /** Rule id or glob, matched against `ID` and `namespace/ID`. */
  readonly rule: string;
  /** Without it the whole item is waived; with it, only findings matching every given field. */
  readonly match?: {
    readonly path?: string;
    readonly line?: number;
    readonly fingerprint?: string;
    readonly values?: Readonly<Record<string, unknown>>;
  };
  readonly justification: string;
  /** `YYYY-MM-DD`: the last day (UTC) the waiver applies. */
  readonly expires?: string;
}

/** The file as written (imagecheck.config.json / .yaml / .yml), after schema validation. */
export interface ImagecheckConfig {
  readonly rules?: Readonly<Record<string, RuleSetting>>;
  readonly waivers?: readonly WaiverConfig[];
  readonly packs?: readonly string[];
  readonly failOn?: RiskLevel | 'none';
}

/** A config ready for the engine: pack folders absolute, rule settings in file order. */
export interface ResolvedConfig {
  /** The config file, when loaded from one. */
  readonly file?: string;
  readonly rules: readonly (readonly [pattern: string, setting: RuleSetting])[];
  readonly waivers: readonly WaiverConfig[];
  readonly packs: readonly string[];
  readonly failOn?: RiskLevel | 'none';
}

/** What the config says about one rule, all matching entries merged in file order. */
export interface EffectiveRuleSettings {
  readonly enabled: boolean;
  readonly riskLevel?: RiskLevel;
  readonly params?: Readonly<Record<string, unknown>>;
}
