// GENERATED from schemas/report.schema.json by scripts/gen-types.ts (json-schema-to-typescript).
// Do not edit: change the schema, then run `npm run gen:types -w @imagecheck/sdk`.
// A test fails while this file differs from what the schema generates.

/**
 * What `imagecheck check --format json` prints: one report object per image, or an array of them when several images were checked. Each report says, per check item, its status, risk level, value, message, evidence and repair.
 */
export type ReportFileSchema = Report | Report[];
/**
 * pass; fail (a risk, at the item's risk level); warn (worth a look, not a boot risk); info (a value only); skipped (not applicable, with the reason); error (could not be decided, never a pass); waived (a failure a configured waiver accepted).
 */
export type Status = "pass" | "fail" | "warn" | "info" | "skipped" | "error" | "waived";
export type RiskLevel = "high" | "medium" | "low";

export interface Report {
  schemaVersion: "imagecheck.report/v1";
  image: {
    /**
     * The image file as given on the command line.
     */
    path: string;
    /**
     * Container format: raw, qcow2, vmdk, vhd, vhdx, vdi.
     */
    format?: string;
    /**
     * Size of the virtual disk in bytes.
     */
    virtualSize?: number;
    /**
     * The guest OS, as a person would name it.
     */
    os?: string;
  };
  /**
   * The access backend that read the image: native, guestfs, live.
   */
  backend: string;
  /**
   * Every OS root found; the items of each carry its id when there is more than one.
   */
  roots?: {
    id: string;
    filesystem: string;
    os: string;
    primary: boolean;
  }[];
  /**
   * When the report was made, in UTC.
   */
  generatedAt: string;
  /**
   * The program that made the report: imagecheck, or an application embedding the SDK.
   */
  tool: {
    name: string;
    version: string;
  };
  /**
   * Present when the image could not be opened at all; `items` is then empty.
   */
  error?: {
    /**
     * Stable error code, e.g. qcow2/bad-magic.
     */
    code: string;
    message: string;
  };
  items: Item[];
  summary: Summary;
  /**
   * Tags an image that passes gets (acs:ecs:image:osVersion, acs:ecs:image:kernelVersion); empty when it does not pass.
   */
  tags: {
    key: string;
    value: string;
  }[];
}
export interface Item {
  /**
   * The check item, e.g. GUESTOS.Fstab.
   */
  name: string;
  /**
   * The OS root the item is about, when the image has more than one.
   */
  root?: string;
  title?: string;
  /**
   * The rule pack the item comes from.
   */
  pack?: string;
  status: Status;
  riskLevel: RiskLevel;
  /**
   * One-line value, the vendor's Value: Linux, 5.10.0-28-amd64, uefi-and-bios.
   */
  value: string;
  message: string;
  evidence: Evidence[];
  findings?: Finding[];
  repair?: {
    /**
     * What to do, in Markdown.
     */
    text: string;
    script?: {
      language: "bash" | "powershell";
      content: string;
      /**
       * Where the script is meant to run, e.g. instance.
       */
      runIn?: string;
    };
  };
  waiver?: {
    rule: string;
    justification: string;
    expires?: string;
    match?: {
      [k: string]: unknown;
    };
  };
  tags?: string[];
  durationMs?: number;
}
/**
 * Where a verdict comes from: a guest file and line, a registry value, a partition, a filesystem.
 */
export interface Evidence {
  kind: "file" | "registry" | "partition" | "filesystem" | "image" | "fact";
  /**
   * Guest path for file evidence; the hive path for registry evidence.
   */
  path?: string;
  /**
   * 1-based line in path, where it applies.
   */
  line?: number;
  /**
   * Registry key, e.g. HKLM\SYSTEM\ControlSet001\Services\viostor.
   */
  key?: string;
  /**
   * Registry value name.
   */
  valueName?: string;
  /**
   * Partition number, for partition evidence.
   */
  partition?: number;
  /**
   * Filesystem id, for filesystem evidence.
   */
  filesystem?: string;
  /**
   * The text or value seen there, trimmed: a line of fstab, a registry value.
   */
  excerpt?: string;
  /**
   * A few words on what this evidence shows.
   */
  note?: string;
}
/**
 * One failing assertion of an item, or one failing element (one fstab line) of it.
 */
export interface Finding {
  assertion: string;
  status: "fail" | "warn";
  riskLevel: RiskLevel;
  messageId: string;
  message: string;
  evidence: Evidence[];
  /**
   * Values from the facts that explain the verdict.
   */
  values?: {
    [k: string]: unknown;
  };
  /**
   * Stable hash of the rule id and fingerprint parts; used by waivers and SARIF.
   */
  fingerprint?: string;
}
export interface Summary {
  total: number;
  counts: {
    pass: number;
    fail: number;
    warn: number;
    info: number;
    skipped: number;
    error: number;
    waived: number;
  };
  /**
   * True when no item failed (waived failures do not count) and none ended in error.
   */
  passed: boolean;
}
