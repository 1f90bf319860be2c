import { type Static, type TSchema, Type } from 'typebox';
import type { CollectContext, Collector, FactDefinition, FactResult } from './types.js';

// Plugins build their schemas with the SDK's TypeBox, so that `Static` and the schemas they pass
// to `defineFact` come from one version of it.
export { type Static, type TSchema, Type };

/** A value of `schema`, or null: the spelling facts use for "known to be absent". */
export function Nullable<S extends TSchema>(schema: S) {
  return Type.Union([schema, Type.Null()]);
}

/** Carries a fact's value type on its key; never set at run time. */
declare const factValue: unique symbol;

/**
 * A fact's definition that is also its typed key: `ctx.fact(KEY)` returns a `FactResult` of the
 * value type its schema describes, so that a fact read by another collector is checked by the
 * compiler against the schema the engine validates it with.
 */
export interface FactKey<T = unknown, S extends TSchema = TSchema> extends FactDefinition {
  readonly schema: S & Readonly<Record<string, unknown>>;
  readonly [factValue]?: T;
}

/** The value type of a fact key: `FactValue<typeof fstabFact>`. */
export type FactValue<K> = K extends FactKey<infer T> ? T : never;

export interface DefineFactOptions<S extends TSchema> {
  /** Dotted, namespaced: `linux.fstab`, `windows.services`. */
  readonly id: string;
  /** SemVer of the value's shape. */
  readonly version: string;
  readonly description: string;
  /** A TypeBox schema: standard JSON Schema at run time, the value's type at compile time. */
  readonly schema: S;
}

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Defines a fact from one TypeBox schema: the published JSON Schema and the TypeScript type of its
 * value come from the same object, so they cannot drift apart.
 */
export function defineFact<const S extends TSchema>(options: DefineFactOptions<S>): FactKey<Static<S>, S> {
  // The `$schema` marker makes the published document self-describing; it is added to a copy
  // so that the caller's schema object (which may be shared) is left as it is.
  const schema = { $schema: DRAFT_2020_12, ...options.schema } as S;
  return Object.freeze({
    id: options.id,
    version: options.version,
    description: options.description,
    schema,
  }) as FactKey<Static<S>, S>;
}

/** A collector whose value type is the key's, so that a collector returning another shape does not compile. */
export function defineCollector<T>(
  key: FactKey<T>,
  collect: (ctx: CollectContext) => Promise<FactResult<T>>,
): Collector<T> {
  return { fact: key.id, collect };
}
