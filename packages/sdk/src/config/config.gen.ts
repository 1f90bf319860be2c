// GENERATED from schemas/config.schema.json by scripts/gen-types.ts (json-schema-to-typescript).
// Do not edit: change the schema, then run `npm run gen:types -w @imagecheck/sdk`.
// A test fails while this file differs from what the schema generates.

export interface ConfigSchema {
  $schema?: string;
  /**
   * Rule pack folders, relative to the config file.
   */
  packs?: string[];
  /**
   * Lowest risk level of an unwaived failure that makes the exit code 1.
   */
  failOn?: "high" | "medium" | "low" | "none";
  /**
   * Rule id or glob (matched against 'ID' and 'namespace/ID') -> setting. Entries apply in order; later ones override earlier ones.
   */
  rules?: {
    [k: string]:
      | "off"
      | "on"
      | {
          enabled?: boolean;
          riskLevel?: "high" | "medium" | "low";
          params?: {
            [k: string]: unknown;
          };
        };
  };
  waivers?: {
    /**
     * Rule id or glob.
     */
    rule: string;
    /**
     * Waive only the findings that match every given field; without it the whole item is waived.
     */
    match?: {
      path?: string;
      line?: number;
      fingerprint?: string;
      values?: {
        [k: string]: unknown;
      };
    };
    justification: string;
    /**
     * Last day the waiver applies (UTC).
     */
    expires?: string;
  }[];
}
