import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { FactDefinition, FactResult } from '../facts/types.js';
import { newAjv } from '../rules/schemas.js';

/** How many schema errors a problem list holds: the first few say what is wrong. */
const MAX_SHAPE_ERRORS = 5;

const validators = new WeakMap<object, ValidateFunction>();
let shapeAjv: ReturnType<typeof newAjv> | undefined;

function validatorOf(def: FactDefinition): ValidateFunction {
  let v = validators.get(def.schema);
  if (!v) {
    // Every error, not the first only: a test author wants to see all of what is wrong at once.
    shapeAjv ??= newAjv({ strict: false, trustedSchemas: true });
    v = shapeAjv.compile(def.schema as Record<string, unknown>);
    validators.set(def.schema, v);
  }
  return v;
}

/** The part of an ajv error's params that names what was expected (`allowedValues`, `additionalProperty`). */
function describeParams(params: Record<string, unknown>): string {
  if ('allowedValues' in params) return ` (${JSON.stringify(params.allowedValues)})`;
  if ('additionalProperty' in params) return ` ("${String(params.additionalProperty)}")`;
  return '';
}

/**
 * Where `value` differs from the schema of the fact `def` defines, one line per place (`/entries/0/line
 * must be integer`); empty when it matches. For tests: of hand-written facts, and of what a
 * collector returned for a real image.
 */
export function factShapeProblems(def: FactDefinition, value: unknown): string[] {
  const validate = validatorOf(def);
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  // An `anyOf` error only repeats that its branches failed, and those are listed already.
  const specific = errors.filter((e) => e.keyword !== 'anyOf');
  return (specific.length > 0 ? specific : errors)
    .slice(0, MAX_SHAPE_ERRORS)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${describeParams(e.params)}`);
}

/** `id: problem` for every collected fact that is ok and whose value leaves its definition's schema. */
export function collectedFactProblems(
  defs: readonly FactDefinition[],
  facts: Readonly<Record<string, FactResult>>,
): string[] {
  const out: string[] = [];
  for (const def of defs) {
    const r = facts[def.id];
    if (r?.status === 'ok') for (const p of factShapeProblems(def, r.value)) out.push(`${def.id}: ${p}`);
  }
  return out;
}

/**
 * Fails unless every fact's schema, as published (its JSON text), is valid JSON Schema 2020-12 that
 * ajv compiles in strict mode: no unknown keywords, no misplaced ones.
 */
export function checkFactSchemas(defs: readonly FactDefinition[]): void {
  const ajv = newAjv({ strict: true });
  for (const def of defs) {
    const published = JSON.parse(JSON.stringify(def.schema)) as Record<string, unknown>;
    try {
      ajv.compile(published);
    } catch (err) {
      throw new Error(`the schema of fact ${def.id} is not valid JSON Schema: ${(err as Error).message}`);
    }
  }
}
