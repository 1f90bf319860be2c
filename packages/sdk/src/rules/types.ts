import type { RiskLevel } from '../report/types.js';

/**
 * The rule file as validated against rule.schema.json (imagecheck.rule/v1). Conditions are
 * json-logic (`JsonLogic`); templates are strings with `{{path}}` placeholders.
 */
export type JsonLogic = unknown;
export type LocalizedText = string | Readonly<Record<string, string>>;

export interface RulePlatform {
  readonly os: 'linux' | 'windows';
  readonly families?: readonly string[];
  readonly distributions?: readonly string[];
  readonly architectures?: readonly string[];
}

export interface RuleAssertion {
  readonly id: string;
  readonly description?: string;
  readonly forEach?: JsonLogic;
  /** Name the element is bound to; default `item`. */
  readonly as?: string;
  readonly where?: JsonLogic;
  readonly expect: JsonLogic;
  readonly riskLevel?: RiskLevel;
  readonly onFail?: 'fail' | 'warn';
  readonly message: string;
  readonly evidence?: readonly string[];
  readonly location?: { readonly path: string; readonly line?: string };
  readonly fingerprint?: readonly string[];
}

export interface RuleFix {
  readonly language: 'bash' | 'powershell';
  readonly scope: 'perRule' | 'perFinding';
  readonly file?: string;
  readonly inline?: string;
  readonly runIn?: string;
  readonly skipIf?: JsonLogic;
  readonly reboot?: boolean;
}

export interface RuleSource {
  readonly schemaVersion: 'imagecheck.rule/v1';
  readonly id: string;
  readonly version?: number;
  readonly aliases?: readonly string[];
  readonly title: string;
  readonly description: string;
  readonly rationale?: string;
  readonly category?: string;
  readonly tags?: readonly string[];
  readonly kind?: 'check' | 'info';
  readonly riskLevel: RiskLevel;
  readonly value?: string;
  readonly imageTag?: string;
  readonly applicability?: { readonly platforms?: readonly RulePlatform[]; readonly when?: JsonLogic };
  readonly facts: readonly (string | { readonly id: string; readonly required?: boolean })[];
  readonly paramsSchema?: Readonly<Record<string, unknown>>;
  readonly assertions?: readonly RuleAssertion[];
  readonly messages?: Readonly<Record<string, LocalizedText>>;
  readonly passMessage?: string;
  readonly remediation?: { readonly text: LocalizedText; readonly fix?: RuleFix };
  readonly references?: readonly { readonly title?: string; readonly url: string; readonly kind?: string }[];
  readonly frameworks?: Readonly<Record<string, readonly string[]>>;
  readonly helpUri?: string;
  readonly deprecated?:
    | boolean
    | { readonly message?: string; readonly since?: string; readonly replacedBy?: readonly string[] };
  readonly metadata?: Readonly<Record<string, unknown>>;
}

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

export interface PackManifest {
  readonly schemaVersion: 'imagecheck.pack/v1';
  readonly name: string;
  readonly namespace: string;
  readonly version: string;
  readonly title: string;
  readonly description?: string;
  readonly license?: string;
  readonly homepage?: string;
  readonly engine?: { readonly sdk?: string; readonly ruleSchema?: string };
  readonly platforms?: readonly RulePlatform[];
  readonly facts?: {
    readonly requires?: readonly { id: string; version?: string; optional?: boolean }[];
    readonly declare?: readonly unknown[];
  };
  readonly rules: readonly string[];
  readonly frameworks?: readonly { id: string; title: string; version?: string; url?: string }[];
  readonly i18n?: { readonly defaultLocale?: string; readonly locales?: readonly string[] };
  readonly docs?: { readonly helpUriTemplate?: string };
}

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
