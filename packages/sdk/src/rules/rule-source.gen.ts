// GENERATED from schemas/rule.schema.json by scripts/gen-types.ts (json-schema-to-typescript).
// Do not edit: change the schema, then run `npm run gen:types -w @imagecheck/sdk`.
// A test fails while this file differs from what the schema generates.

export type RiskLevel = "high" | "medium" | "low";
/**
 * A json-logic expression: a literal, an array of expressions, or a one-key object naming an operator. Operators and `var` paths are checked by the loader.
 */
export type JsonLogic =
  | (string | number | boolean | null)
  | JsonLogic[]
  | {
      [k: string]: JsonLogic;
    };
export type FactId = string;
export type Template = string;
export type LocalizedText =
  | string
  | {
      [k: string]: string;
    };

/**
 * One check item (one file, YAML or JSON): metadata, applicability, the facts it reads, parameters, assertions in json-logic, messages by id, and remediation. Conditions are json-logic restricted to the SDK's operator allow-list; the loader checks operators and `var` paths beyond what this schema can express.
 */
export interface RuleSourceSchema {
  schemaVersion: "imagecheck.rule/v1";
  /**
   * Stable id, unique inside the pack; the report item's name. Never reuse or rename without keeping the old id in aliases.
   */
  id: string;
  /**
   * Revision of this rule's logic; bump when results can change.
   */
  version?: number;
  aliases?: string[];
  title: string;
  /**
   * Markdown: what is checked and why it matters.
   */
  description: string;
  rationale?: string;
  category?: string;
  tags?: string[];
  /**
   * `check`: the item passes or fails. `info`: the item reports a value and ends in `info` when no assertion fails.
   */
  kind?: "check" | "info";
  riskLevel: RiskLevel;
  /**
   * Template of the item's one-line value, e.g. "{{facts.linux.osRelease.id}} {{facts.linux.osRelease.versionId}}". Placeholders read facts and params.
   */
  value?: string;
  /**
   * When the image passes, the report gets this tag with the item's value as its value.
   */
  imageTag?: string;
  /**
   * When the rule does not apply, its item is `skipped` with the reason, never pass or fail.
   */
  applicability?: {
    /**
     * Any one of these must match the well-known fact `guest.os`; an attribute the guest does not report does not exclude.
     *
     * @minItems 1
     */
    platforms?: Platform[];
    when?: JsonLogic;
  };
  /**
   * Facts the rule reads. A required fact that is unavailable makes the item `error`; an optional one reads as absent.
   *
   * @minItems 1
   * @maxItems 64
   */
  facts: (
    | FactId
    | {
        id: FactId;
        required?: boolean;
      }
  )[];
  /**
   * JSON Schema (type object) of the rule's parameters, with defaults; config may override them. Read in logic as {"var": "params.x"}.
   */
  paramsSchema?: {
    type: "object";
    [k: string]: unknown;
  };
  /**
   * @minItems 1
   * @maxItems 64
   */
  assertions?: Assertion[];
  /**
   * messageId -> text. Placeholders {{path}} read the assertion's scope (facts, params, and the `as` element).
   */
  messages?: {
    [k: string]: LocalizedText;
  };
  /**
   * messageId of the item's message when nothing failed; defaults to the message `pass` when defined.
   */
  passMessage?: string;
  remediation?: Remediation;
  references?: {
    title?: string;
    url: string;
    kind?: "vendor" | "benchmark" | "kb" | "man" | "cve" | "other";
  }[];
  /**
   * framework id -> control ids.
   */
  frameworks?: {
    [k: string]: string[];
  };
  helpUri?: string;
  deprecated?:
    | boolean
    | {
        message?: string;
        since?: string;
        replacedBy?: string[];
      };
  /**
   * Free-form; ignored by the engine.
   */
  metadata?: {
    [k: string]: unknown;
  };
}
export interface Platform {
  os: "linux" | "windows";
  /**
   * @minItems 1
   */
  families?: string[];
  /**
   * @minItems 1
   */
  distributions?: string[];
  /**
   * @minItems 1
   */
  architectures?: string[];
}
/**
 * One sub-check. With forEach, the engine iterates, binding each element to `as` beside `facts` and `params`; every failing element is its own finding.
 */
export interface Assertion {
  id: string;
  description?: string;
  forEach?: JsonLogic;
  as?: string;
  where?: JsonLogic;
  /**
   * A json-logic expression: a literal, an array of expressions, or a one-key object naming an operator. Operators and `var` paths are checked by the loader.
   */
  expect:
    | (string | number | boolean | null)
    | JsonLogic[]
    | {
        [k: string]: JsonLogic;
      };
  riskLevel?: RiskLevel;
  onFail?: "fail" | "warn";
  /**
   * messageId of the finding.
   */
  message: string;
  /**
   * Scope paths whose values are copied into the finding's `values`.
   *
   * @maxItems 32
   */
  evidence?: string[];
  /**
   * Where the finding points in the guest; templates.
   */
  location?: {
    path: Template;
    line?: Template;
  };
  /**
   * Templates forming the finding's stable identity for waivers (avoid line numbers).
   *
   * @maxItems 16
   */
  fingerprint?: Template[];
}
export interface Remediation {
  text: LocalizedText;
  /**
   * A script a user may run against an offline copy of the image; never applied by imagecheck. Placeholders are shell-quoted when interpolated.
   */
  fix?: {
    [k: string]: unknown;
  } & {
    language: "bash" | "powershell";
    scope: "perRule" | "perFinding";
    /**
     * Path relative to the pack folder.
     */
    file?: string;
    inline?: string;
    runIn?: "guest-chroot" | "libguestfs" | "agent" | "host";
    /**
     * A json-logic expression: a literal, an array of expressions, or a one-key object naming an operator. Operators and `var` paths are checked by the loader.
     */
    skipIf?:
      | (string | number | boolean | null)
      | JsonLogic[]
      | {
          [k: string]: JsonLogic;
        };
    reboot?: boolean;
  };
}
