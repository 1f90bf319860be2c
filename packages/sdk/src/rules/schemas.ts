import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PackError } from '@imagecheck/access';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { SourceFile } from './source.js';
import { pointerSegments } from './source.js';

/**
 * The published schemas (packages/sdk/schemas/*.schema.json), compiled once with ajv.
 *
 * They are read from the package folder at first use rather than bundled, so the files users
 * reference (`@imagecheck/sdk/schemas/rule.schema.json`) are exactly the ones the loader enforces.
 */
export const SCHEMA_BASE = 'https://imagecheck.dev/schemas/';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => void;

let schemaDir: string | undefined;

/** The folder holding the published schemas: found upwards from this module (src/rules, dist, dist/testing). */
export function schemasDir(): string {
  if (schemaDir) return schemaDir;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(candidate, 'rule.schema.json'))) {
      schemaDir = candidate;
      return candidate;
    }
    dir = dirname(dir);
  }
  throw new PackError(
    'sdk/schemas-missing',
    'the @imagecheck/sdk schemas folder was not found next to the package',
  );
}

function readSchema(name: string): Record<string, unknown> | undefined {
  const file = join(schemasDir(), name);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

interface Compiled {
  readonly rule: ValidateFunction;
  readonly pack: ValidateFunction;
  /** Compiled on first use: a check without a config file never pays for it. */
  readonly config: ValidateFunction;
  readonly declaredFactAvailable: boolean;
}

let compiled: Compiled | undefined;

export function newAjv(options: {
  strict: boolean;
  useDefaults?: boolean;
  /** Only the first error is wanted (fact values): ajv's generated code is smaller and faster. */
  firstErrorOnly?: boolean;
  /** Skip validating the schema itself against the meta-schema (schemas from plugins' code). */
  trustedSchemas?: boolean;
}): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: options.firstErrorOnly !== true,
    validateSchema: options.trustedSchemas !== true,
    strict: options.strict,
    strictRequired: false,
    useDefaults: options.useDefaults ?? false,
    // paramsSchema defaults must not be shared between rules.
    allowUnionTypes: true,
  });
  addFormats(ajv);
  return ajv;
}

export function schemaValidators(): Compiled {
  if (compiled) return compiled;
  const ajv = newAjv({ strict: true });
  const rule = readSchema('rule.schema.json');
  const pack = readSchema('pack.schema.json');
  const config = readSchema('config.schema.json');
  if (!rule || !pack || !config)
    throw new PackError('sdk/schemas-missing', 'rule, pack or config schema file missing');
  // The declared-fact schema is owned by the generic-facts module; its $id is ours to fix so that
  // the pack schema's relative `$ref: declared-fact.schema.json` resolves whatever id it ships with.
  // Until it exists, a declaration is only required to be an object.
  const declared = readSchema('declared-fact.schema.json');
  ajv.addSchema(
    declared
      ? { ...declared, $id: `${SCHEMA_BASE}declared-fact.schema.json` }
      : { $id: `${SCHEMA_BASE}declared-fact.schema.json`, type: 'object' },
  );
  ajv.addSchema(rule);
  let configValidator: ValidateFunction | undefined;
  compiled = {
    rule: ajv.getSchema(`${SCHEMA_BASE}rule.schema.json`) as ValidateFunction,
    pack: ajv.compile(pack),
    get config() {
      configValidator ??= ajv.compile(config);
      return configValidator;
    },
    declaredFactAvailable: declared !== undefined,
  };
  return compiled;
}

/** Picks the most useful of ajv's errors: the deepest path, preferring concrete keywords over oneOf/anyOf. */
export function bestError(errors: readonly ErrorObject[]): ErrorObject | undefined {
  const weight = (e: ErrorObject): number =>
    pointerSegments(e.instancePath).length * 10 +
    (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if' ? 0 : 5) +
    (e.keyword === 'additionalProperties' || e.keyword === 'required' ? 3 : 0);
  let best: ErrorObject | undefined;
  for (const e of errors) if (!best || weight(e) > weight(best)) best = e;
  return best;
}

/** Field path and expectation in words for one ajv error. */
export function describeError(e: ErrorObject): { field: string; expected: string; message: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return {
        field: `${e.instancePath}/${String(p.missingProperty)}`,
        expected: `required property "${String(p.missingProperty)}"`,
        message: `missing required property "${String(p.missingProperty)}"`,
      };
    case 'additionalProperties':
      return {
        field: `${e.instancePath}/${String(p.additionalProperty)}`,
        expected: `no property "${String(p.additionalProperty)}" (allowed: see the schema)`,
        message: `unknown property "${String(p.additionalProperty)}"`,
      };
    case 'enum':
      return {
        field: e.instancePath,
        expected: `one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
        message: 'value is not allowed',
      };
    case 'const':
      return {
        field: e.instancePath,
        expected: JSON.stringify(p.allowedValue),
        message: `must be ${JSON.stringify(p.allowedValue)}`,
      };
    case 'type':
      return {
        field: e.instancePath,
        expected: `type ${String(p.type)}`,
        message: `must be of type ${String(p.type)}`,
      };
    case 'pattern':
      return {
        field: e.instancePath,
        expected: `a string matching ${String(p.pattern)}`,
        message: 'does not match the pattern',
      };
    case 'propertyNames':
      return {
        field: `${e.instancePath}/${String(p.propertyName)}`,
        expected: 'a valid property name',
        message: `property name "${String(p.propertyName)}" is invalid`,
      };
    default:
      return { field: e.instancePath, expected: e.message ?? e.keyword, message: e.message ?? e.keyword };
  }
}

/** Validates `src.value` and throws a PackError with file, line, field and expectation on failure. */
export function validateAgainst(
  validate: ValidateFunction,
  src: SourceFile,
  code: string,
  what: string,
): void {
  if (validate(src.value)) return;
  const e = bestError(validate.errors ?? []);
  if (!e) throw new PackError(code, `${src.file}: invalid ${what}`, { data: { file: src.file } });
  const d = describeError(e);
  throw packErrorAt(src, code, pointerSegments(d.field), d.message, d.expected);
}

export function packErrorAt(
  src: SourceFile,
  code: string,
  path: readonly (string | number)[],
  message: string,
  expected: string,
): PackError {
  const line = src.lineOf(path);
  const field = path.length === 0 ? '/' : `/${path.map(String).join('/')}`;
  return new PackError(
    code,
    `${src.file}${line ? `:${line}` : ''}: ${field}: ${message}; expected ${expected}`,
    {
      data: { file: src.file, line, field, expected },
    },
  );
}
