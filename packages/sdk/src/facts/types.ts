import type { GuestAccessV2, ImageLayoutV2 } from '@imagecheck/access';
import type { DeepReadonly } from '../deep-readonly.js';
import type { AssembledGuest, OsProvider, OsRoot } from '../guest/types.js';
import type * as ReportSchema from '../report/report.gen.js';
import type { DeclaredSourceHandler } from './declared/declared.js';
import type { FactKey } from './define.js';

/**
 * Where a fact (or a finding) came from. Every fact carries at least one, so that a verdict can
 * say what it saw and where. Facts and reports carry the same object, so its type is the one
 * generated from the evidence of report.schema.json.
 */
export type Evidence = DeepReadonly<ReportSchema.Evidence>;

/** A fact's value, or why it could not be read. An unavailable fact makes its rules `error`. */
export type FactResult<T = unknown> =
  | { readonly status: 'ok'; readonly value: T; readonly evidence: readonly Evidence[] }
  | {
      readonly status: 'unavailable';
      /** Why: which file could not be read, which structure was damaged. */
      readonly reason: string;
      /** Error code when an error caused it (`guest/ENOENT`, `ext4/bad-extent`). */
      readonly code?: string;
      readonly evidence: readonly Evidence[];
    };

/** A fact a plugin (or a pack) provides: an id, a version and the JSON Schema of its value. */
export interface FactDefinition {
  /** Dotted, namespaced: `linux.fstab`, `windows.services`, `disk.layout`, `pack.<ns>.<name>`. */
  readonly id: string;
  /** SemVer of the value's shape; rules may declare a range. */
  readonly version: string;
  readonly description: string;
  /** JSON Schema (draft 2020-12) of the value. */
  readonly schema: Readonly<Record<string, unknown>>;
}

/** What a collector gets: the opened image, the guest tree (when one was assembled) and other facts. */
export interface CollectContext {
  readonly access: GuestAccessV2;
  readonly layout: ImageLayoutV2;
  /** Every OS root the providers found in the image. */
  readonly roots: readonly OsRoot[];
  /** The root this check is about; absent when the image has none. */
  readonly root: OsRoot | undefined;
  /** The assembled guest tree of `root`; absent when there is none (then file facts are unavailable). */
  readonly guest: AssembledGuest | undefined;
  /**
   * Another fact, collected on demand (at most once per check). Given a key from `defineFact`,
   * the value has the type of the key's schema (which the engine validates it against); given a
   * fact id (a declared fact, another plugin's fact), the caller names the type it expects.
   */
  fact<T = unknown>(key: FactKey<T> | string): Promise<FactResult<T>>;
  readonly signal?: AbortSignal;
}

/** Computes one fact from the access contract. Called lazily, at most once per check. */
export interface Collector<T = unknown> {
  readonly fact: string;
  collect(ctx: CollectContext): Promise<FactResult<T>>;
}

/** A plugin: facts with schemas, the collectors that compute them, and the rule packs it ships. */
export interface Plugin {
  readonly name: string;
  readonly version: string;
  readonly facts: readonly FactDefinition[];
  readonly collectors: readonly Collector[];
  /** Absolute paths of rule pack folders this plugin ships (loaded by default by the CLI). */
  readonly packs?: readonly string[];
  /** How to recognise this plugin's OS on a filesystem and assemble its guest (see `OsProvider`). */
  readonly osProviders?: readonly OsProvider[];
  /** Collectors for pack-declared facts of a source the SDK does not read itself (`registry`). */
  readonly declaredSources?: readonly DeclaredSourceHandler[];
}
