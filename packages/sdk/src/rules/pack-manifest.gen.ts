// GENERATED from schemas/pack.schema.json by scripts/gen-types.ts (json-schema-to-typescript).
// Do not edit: change the schema, then run `npm run gen:types -w @imagecheck/sdk`.
// A test fails while this file differs from what the schema generates.

/**
 * A generic fact a rule pack declares without code. It becomes the fact '<pack namespace>.<id>'. Exactly one source: 'file' (read and parse guest files), 'stat' (existence, type, mode, owner) or 'registry' (a Windows registry key's value, values or subkeys, read by the Windows plugin). The value shape of each source and parser is documented in packages/sdk/src/facts/declared/declared.ts and carried as the fact definition's JSON Schema.
 */
export type DeclaredFactSchema = {
  /**
   * Fact id within the pack's namespace: 'sshd-config' in pack 'examples' is the fact 'examples.sshd-config'. No dots, so that rules can reach it with var paths.
   */
  id: string;
  description: string;
  file?: FileSource;
  stat?: StatSource;
  registry?: RegistrySource;
} & {
  [k: string]: unknown;
};
/**
 * Read every matching file from the guest tree, in the order given (each glob's matches sorted), and parse it.
 */
export type FileSource = {
  /**
   * An absolute guest path or glob (picomatch syntax, one segment at a time). Globs expand sorted; literal paths that do not exist are reported as absent.
   */
  path?: string;
  paths?: Paths;
  /**
   * An absolute guest path or glob (picomatch syntax, one segment at a time). Globs expand sorted; literal paths that do not exist are reported as absent.
   */
  glob?: string;
  /**
   * lines: non-comment lines. keyvalue: 'key<separator>value' lines (sysctl.conf, sshd_config, login.defs). ini: [sections] of key=value. yaml, json: the document. osrelease: os-release(5) shell-style assignments. text: the whole file.
   */
  parse: "lines" | "keyvalue" | "ini" | "yaml" | "json" | "osrelease" | "text";
  /**
   * keyvalue and ini: what separates key from value; the earliest match in the line wins. ' ' means any run of whitespace. Default '='.
   */
  separator?: string | string[];
  /**
   * lines, keyvalue, ini: prefixes that make a line (after leading blanks) a comment. Default '#' (and ';' for ini). Inline comments are not stripped.
   */
  comment?: string | string[];
  /**
   * keyvalue and ini: normalise keys ('lower' for case-insensitive formats such as sshd_config). Default 'preserve'.
   */
  keyCase?: "preserve" | "lower" | "upper";
  /**
   * keyvalue and ini: strip one pair of matching quotes around a value. Default false.
   */
  unquote?: boolean;
  /**
   * keyvalue: a keyword that opens a conditional block lasting until the next such line or the end of the file (sshd_config 'Match'). Entries in a block carry it and are left out of 'values' and 'firstValues'.
   */
  block?: string;
  /**
   * Largest file read; a bigger one makes the fact unavailable. Default 1 MiB, at most 64 MiB.
   */
  maxBytes?: number;
} & {
  [k: string]: unknown;
};
/**
 * @minItems 1
 * @maxItems 64
 *
 * Items: An absolute guest path or glob (picomatch syntax, one segment at a time). Globs expand sorted; literal paths that do not exist are reported as absent.
 */
export type Paths = string[];
/**
 * Existence, type, permission bits, owner and size of each matching path.
 */
export type StatSource = {
  /**
   * An absolute guest path or glob (picomatch syntax, one segment at a time). Globs expand sorted; literal paths that do not exist are reported as absent.
   */
  path?: string;
  paths?: Paths;
  /**
   * An absolute guest path or glob (picomatch syntax, one segment at a time). Globs expand sorted; literal paths that do not exist are reported as absent.
   */
  glob?: string;
  /**
   * Report what a symlink points to (stat) rather than the link itself (lstat). Default true. The link target is reported either way.
   */
  follow?: boolean;
} & {
  [k: string]: unknown;
};

/**
 * pack.yaml (or pack.json) at the root of a rule pack folder.
 */
export interface PackManifestSchema {
  schemaVersion: "imagecheck.pack/v1";
  /**
   * The npm package name when published.
   */
  name: string;
  /**
   * Qualifies rule ids ('<namespace>/<rule id>') and declared facts ('<namespace>.<fact id>').
   */
  namespace: string;
  version: string;
  title: string;
  description?: string;
  license?: string;
  homepage?: string;
  engine?: {
    sdk?: string;
    ruleSchema?: "imagecheck.rule/v1";
  };
  platforms?: Platform[];
  facts?: {
    /**
     * Facts the pack's rules need from plugins (documentation; the loader checks rule facts against the known facts).
     */
    requires?: {
      id: string;
      version?: string;
      optional?: boolean;
    }[];
    /**
     * Generic facts this pack declares; each becomes the fact '<namespace>.<id>'.
     *
     * @maxItems 256
     */
    declare?: DeclaredFactSchema[];
  };
  /**
   * Globs of rule files (*.rule.yaml, *.rule.json) relative to the manifest.
   *
   * @minItems 1
   * @maxItems 64
   */
  rules: string[];
  frameworks?: {
    id: string;
    title: string;
    version?: string;
    url?: string;
  }[];
  i18n?: {
    defaultLocale?: string;
    locales?: string[];
  };
  docs?: {
    helpUriTemplate?: string;
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
 * A Windows registry key: one named value ('value'), all its values ('values: true') or the names of its subkeys ('subkeys: true'); with none of the three, its values. A machine hive is named by the key ('HKLM\SYSTEM\...', 'HKLM\SOFTWARE\...', SAM, SECURITY, DEFAULT); a user hive by 'hive', a guest path, with 'key' a path inside it. 'CurrentControlSet' in SYSTEM is the control set Select\Current names. Collected by the plugin that reads the guest's registry (the Windows plugin); without it the fact is unavailable.
 */
export interface RegistrySource {
  /**
   * With no 'hive': the full key path from the root key, 'HKLM\SYSTEM\CurrentControlSet\Services\viostor'. With 'hive': the path inside that hive, 'Software\Microsoft\Windows\CurrentVersion\Run' ('' for its root).
   */
  key: string;
  /**
   * Guest path of a hive file that is not a machine hive, such as a user's '/Users/Default/NTUSER.DAT'.
   */
  hive?: string;
  /**
   * A value name ('' for the key's default value).
   */
  value?: string;
  /**
   * Every value of the key.
   */
  values?: true;
  /**
   * The names of the key's subkeys.
   */
  subkeys?: true;
}
