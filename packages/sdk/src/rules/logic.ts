import { FormatError } from '@imagecheck/access';
import jsonLogic from 'json-logic-js';
import { RE2JS } from 're2js';
import { compareVersions, VERSION_SCHEMES, type VersionScheme } from './versions.js';

/**
 * The one gateway to json-logic-js.
 *
 * json-logic-js keeps one global operator table, resolves `var` through prototypes, and treats any
 * one-key object as an operator. So:
 * - rules never reach json-logic-js as written: `compileLogic` checks every node against the
 *   allow-list and rewrites our operators (and `var`) to private names (`imagecheck:<op>`), so
 *   another json-logic-js user in the same process can neither clobber nor see them;
 * - our `var` walks own properties only, and the data it walks is a null-prototype copy;
 * - `var` paths must be literal strings (or `[literal, default]`), rooted at `facts.`, `params.`
 *   or the assertion's `as` name, without `__proto__`, `prototype` or `constructor` segments;
 * - inside the scoped operators (`map`, `filter`, `all`, `some`, `none`) paths are relative to the
 *   element (`""` is the element itself); inside `reduce`, rooted at `current` / `accumulator`.
 */

/** json-logic built-ins that are pure and bounded by their input. */
export const BUILTIN_OPERATORS: readonly string[] = [
  'var',
  'if',
  '==',
  '===',
  '!=',
  '!==',
  '!',
  '!!',
  'or',
  'and',
  '>',
  '>=',
  '<',
  '<=',
  'max',
  'min',
  '+',
  '-',
  '*',
  '/',
  '%',
  'map',
  'filter',
  'reduce',
  'all',
  'none',
  'some',
  'merge',
  'in',
  'cat',
  'substr',
];

/** Operators the SDK adds; see `OPERATORS` below for their contracts. */
export const SDK_OPERATORS: readonly string[] = [
  'version_compare',
  'version_lt',
  'version_lte',
  'version_gt',
  'version_gte',
  'version_eq',
  'regex_match',
  'subset',
  'intersects',
  'difference',
  'intersection',
  'unique',
  'starts_with',
  'ends_with',
  'lower',
  'length',
];

export const ALLOWED_OPERATORS: ReadonlySet<string> = new Set([...BUILTIN_OPERATORS, ...SDK_OPERATORS]);

/** Caps on one condition: nesting depth and node count. Real rules stay far below both. */
export const MAX_LOGIC_DEPTH = 32;
export const MAX_LOGIC_NODES = 2000;
/** re2 is linear in the input, but a pattern is compiled to an automaton: keep both small. */
export const MAX_REGEX_LENGTH = 1024;
export const MAX_REGEX_INPUT = 1 << 20;
/** Distinct patterns kept compiled; rules use literal patterns, so this is never reached in practice. */
const MAX_REGEX_CACHE = 512;
/** Largest array the set operators accept (quadratic work is avoided with Sets, but stay bounded). */
export const MAX_SET_SIZE = 100_000;

const BANNED_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'prototype', 'constructor']);
const PREFIX = 'imagecheck:';
const SCOPED = new Set(['map', 'filter', 'all', 'none', 'some']);

/** Where a problem is in the condition: the path of keys/indices from the condition's root. */
export type LogicPath = readonly (string | number)[];

export interface LogicIssue {
  readonly path: LogicPath;
  readonly message: string;
  readonly expected: string;
}

/** A checked, rewritten condition. Opaque: evaluate it with `evaluateLogic`. */
export interface CompiledLogic {
  readonly __compiled: unknown;
  /** Every `var` path it reads (after rooting), for fact-usage checks. */
  readonly varPaths: readonly string[];
}

export interface CompileOptions {
  /** Allowed first segments of top-level `var` paths, e.g. `['facts', 'params', 'entry']`. */
  readonly roots: readonly string[];
}

/**
 * Checks `logic` and returns its compiled form, or the issues found (never both).
 * Throwing is left to the loader, which knows the file and line.
 */
export function compileLogic(
  logic: unknown,
  options: CompileOptions,
): { ok: true; logic: CompiledLogic } | { ok: false; issues: LogicIssue[] } {
  const issues: LogicIssue[] = [];
  const varPaths: string[] = [];
  let nodes = 0;

  type Ctx = { kind: 'top' } | { kind: 'scoped' } | { kind: 'reduce' };

  const walk = (node: unknown, path: (string | number)[], depth: number, ctx: Ctx): unknown => {
    if (++nodes > MAX_LOGIC_NODES) {
      if (nodes === MAX_LOGIC_NODES + 1) {
        issues.push({
          path,
          message: `condition has more than ${MAX_LOGIC_NODES} nodes`,
          expected: `at most ${MAX_LOGIC_NODES} nodes`,
        });
      }
      return null;
    }
    if (depth > MAX_LOGIC_DEPTH) {
      issues.push({
        path,
        message: `condition nests deeper than ${MAX_LOGIC_DEPTH}`,
        expected: `depth at most ${MAX_LOGIC_DEPTH}`,
      });
      return null;
    }
    if (node === null || typeof node === 'string' || typeof node === 'boolean') return node;
    if (typeof node === 'number') {
      if (!Number.isFinite(node))
        issues.push({ path, message: 'number is not finite', expected: 'a finite number' });
      return node;
    }
    if (Array.isArray(node)) return node.map((n, i) => walk(n, [...path, i], depth + 1, ctx));
    if (typeof node !== 'object') {
      issues.push({ path, message: `unexpected ${typeof node}`, expected: 'a json-logic expression' });
      return null;
    }
    const keys = Object.keys(node);
    if (keys.length !== 1) {
      issues.push({
        path,
        message: `object with ${keys.length} keys is not an operation`,
        expected: 'an object with exactly one key, the operator',
      });
      return null;
    }
    const op = keys[0] as string;
    if (!ALLOWED_OPERATORS.has(op)) {
      issues.push({
        path: [...path, op],
        message: `unknown operator "${op}"`,
        expected: `one of ${[...ALLOWED_OPERATORS].join(', ')}`,
      });
      return null;
    }
    const raw = (node as Record<string, unknown>)[op];
    const here = [...path, op];
    if (op === 'var') return { [`${PREFIX}var`]: compileVar(raw, here, ctx) };

    const args = Array.isArray(raw) ? raw : [raw];
    let out: unknown[];
    if (SCOPED.has(op) || op === 'reduce') {
      const inner: Ctx = op === 'reduce' ? { kind: 'reduce' } : { kind: 'scoped' };
      out = args.map((a, i) =>
        walk(a, Array.isArray(raw) ? [...here, i] : here, depth + 1, i === 1 ? inner : ctx),
      );
    } else {
      out = args.map((a, i) => walk(a, Array.isArray(raw) ? [...here, i] : here, depth + 1, ctx));
    }
    // Literal arguments are checked now, so that a typo is a load error and not a run-time one.
    if (op === 'regex_match' && typeof args[1] === 'string') {
      const problem = checkRegexPattern(args[1], typeof args[2] === 'string' ? args[2] : '');
      if (problem) issues.push({ path: [...here, 1], message: problem, expected: 'an RE2 pattern' });
    }
    if (
      op.startsWith('version_') &&
      typeof args[2] === 'string' &&
      !(VERSION_SCHEMES as readonly string[]).includes(args[2])
    ) {
      issues.push({
        path: [...here, 2],
        message: `unknown version scheme "${args[2]}"`,
        expected: VERSION_SCHEMES.join(', '),
      });
    }
    // Built-ins keep their name: json-logic-js special-cases if/and/or/map/... by name.
    const name = SDK_OPERATORS.includes(op) ? PREFIX + op : op;
    return { [name]: out };
  };

  const compileVar = (raw: unknown, path: (string | number)[], ctx: Ctx): unknown[] => {
    let p: unknown = raw;
    let dflt: unknown;
    let hasDefault = false;
    if (Array.isArray(raw)) {
      if (raw.length < 1 || raw.length > 2) {
        issues.push({
          path,
          message: `var takes 1 or 2 arguments, got ${raw.length}`,
          expected: '"path" or ["path", default]',
        });
        return [null];
      }
      p = raw[0];
      if (raw.length === 2) {
        hasDefault = true;
        dflt = raw[1];
        if (dflt !== null && typeof dflt === 'object' && !Array.isArray(dflt)) {
          issues.push({
            path: [...path, 1],
            message: 'var default is an operation',
            expected: 'a literal default value',
          });
        }
        if (Array.isArray(dflt) && dflt.some((d) => d !== null && typeof d === 'object')) {
          issues.push({
            path: [...path, 1],
            message: 'var default holds objects',
            expected: 'a literal default value',
          });
        }
      }
    }
    if (typeof p === 'number' && ctx.kind !== 'top' && Number.isInteger(p)) p = String(p);
    if (typeof p !== 'string') {
      issues.push({
        path,
        message: 'var path is not a literal string',
        expected: 'a literal dotted path such as "facts.linux.fstab.entries"',
      });
      return [null];
    }
    const segments = p === '' ? [] : p.split('.');
    for (const s of segments) {
      if (BANNED_SEGMENTS.has(s)) {
        issues.push({
          path,
          message: `var path "${p}" has the forbidden segment "${s}"`,
          expected: 'a path without __proto__, prototype or constructor',
        });
        return [null];
      }
      if (s === '') {
        issues.push({
          path,
          message: `var path "${p}" has an empty segment`,
          expected: 'a dotted path without empty segments',
        });
        return [null];
      }
    }
    if (ctx.kind === 'top') {
      const root = segments[0];
      if (root === undefined || !options.roots.includes(root)) {
        issues.push({
          path,
          message: `var path "${p}" is not rooted at ${options.roots.map((r) => `"${r}."`).join(', ')}`,
          expected: `a path starting with ${options.roots.join(', ')}`,
        });
        return [null];
      }
      varPaths.push(p);
    } else if (ctx.kind === 'reduce') {
      const root = segments[0];
      if (root !== 'current' && root !== 'accumulator') {
        issues.push({
          path,
          message: `var path "${p}" inside reduce is not rooted at "current" or "accumulator"`,
          expected: 'current.… or accumulator.…',
        });
        return [null];
      }
    }
    return hasDefault ? [p, dflt] : [p];
  };

  const compiled = walk(logic, [], 0, { kind: 'top' });
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    logic: Object.freeze({ __compiled: deepFreeze(compiled), varPaths: Object.freeze(varPaths) }),
  };
}

/** Evaluates a compiled condition over `data` (build it with `safeData`). Throws on operator misuse. */
export function evaluateLogic(logic: CompiledLogic, data: unknown): unknown {
  ensureOperators();
  return jsonLogic.apply(logic.__compiled as jsonLogic.RulesLogic, data as Record<string, unknown>);
}

/** json-logic truthiness: `[]` is false, everything else as JavaScript. */
export function truthy(value: unknown): boolean {
  return jsonLogic.truthy(value);
}

const splitCache = new Map<string, readonly string[]>();
/** Distinct paths are few (they are literals in rules); the bound only guards against misuse. */
const MAX_SPLIT_CACHE = 10_000;

function segmentsOf(path: string): readonly string[] {
  let segs = splitCache.get(path);
  if (!segs) {
    segs = path.split('.');
    if (splitCache.size < MAX_SPLIT_CACHE) splitCache.set(path, segs);
  }
  return segs;
}

/** Resolves a literal dotted path over own properties only; `undefined` when absent. */
export function getPath(data: unknown, path: string): unknown {
  if (path === '') return data;
  let cur: unknown = data;
  for (const seg of segmentsOf(path)) {
    if (cur === null || cur === undefined) return undefined;
    if (typeof cur === 'string') {
      if (seg === 'length') cur = cur.length;
      else return undefined;
      continue;
    }
    if (typeof cur !== 'object' || BANNED_SEGMENTS.has(seg) || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/**
 * A deep null-prototype copy of JSON-like data, frozen: `var` cannot reach a prototype and an
 * operator cannot mutate a fact. Functions and symbols are dropped; depth is capped.
 */
export function safeData(value: unknown, depth = 0): unknown {
  if (depth > 64)
    throw new FormatError('logic/data-too-deep', 'fact data nests deeper than 64 levels', {
      data: { expected: 64 },
    });
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint'
      ? undefined
      : value;
  }
  if (Array.isArray(value)) return Object.freeze(value.map((v) => safeData(v, depth + 1)));
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(value)) {
    const c = safeData(v, depth + 1);
    if (c !== undefined) out[k] = c;
  }
  return Object.freeze(out);
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Operators. Each receives evaluated arguments; `this` is the data (unused but by `var`).

function logicError(op: string, message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError(`logic/${op}`, `${op}: ${message}`, { data: { operator: op, ...data } });
}

function asScheme(op: string, s: unknown): VersionScheme {
  if (s === undefined || s === null) return 'generic';
  if (typeof s === 'string' && (VERSION_SCHEMES as readonly string[]).includes(s)) return s as VersionScheme;
  throw logicError(op, `unknown version scheme ${JSON.stringify(s)}`, { expected: VERSION_SCHEMES });
}

function asArray(op: string, v: unknown): readonly unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw logicError(op, `expected an array, got ${typeof v}`, { expected: 'array' });
  if (v.length > MAX_SET_SIZE) throw logicError(op, `array of ${v.length} elements exceeds ${MAX_SET_SIZE}`);
  return v;
}

/** Set membership by value for primitives (objects by JSON text, so facts' records compare too). */
function key(v: unknown): unknown {
  return v !== null && typeof v === 'object' ? `\u0000json:${JSON.stringify(v)}` : v;
}

const regexCache = new Map<string, RE2JS>();

function compileRegex(pattern: string, flags: string): RE2JS {
  const cacheKey = `${flags}/${pattern}`;
  const hit = regexCache.get(cacheKey);
  if (hit) return hit;
  let f = 0;
  for (const c of flags) {
    if (c === 'i') f |= RE2JS.CASE_INSENSITIVE;
    else if (c === 'm') f |= RE2JS.MULTILINE;
    else if (c === 's') f |= RE2JS.DOTALL;
    else throw logicError('regex_match', `unknown flag "${c}"`, { expected: 'i, m, s' });
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, f);
  } catch (err) {
    throw logicError('regex_match', `bad pattern ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
  if (regexCache.size >= MAX_REGEX_CACHE) regexCache.clear();
  regexCache.set(cacheKey, re);
  return re;
}

/** Checks a literal pattern at load time, so a bad regex is a load error, not a run-time one. */
export function checkRegexPattern(pattern: string, flags = ''): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH)
    return `pattern of ${pattern.length} characters exceeds ${MAX_REGEX_LENGTH}`;
  try {
    compileRegex(pattern, flags);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const cmp = (op: string) => (a: unknown, b: unknown, s?: unknown) => compareVersions(a, b, asScheme(op, s));

const OPERATORS: Record<string, (...args: unknown[]) => unknown> = {
  /** `[a, b, scheme?]` → -1 | 0 | 1. scheme: deb | rpm | kernel | semver | generic (default). */
  version_compare: (a, b, s) => cmp('version_compare')(a, b, s),
  version_lt: (a, b, s) => cmp('version_lt')(a, b, s) < 0,
  version_lte: (a, b, s) => cmp('version_lte')(a, b, s) <= 0,
  version_gt: (a, b, s) => cmp('version_gt')(a, b, s) > 0,
  version_gte: (a, b, s) => cmp('version_gte')(a, b, s) >= 0,
  version_eq: (a, b, s) => cmp('version_eq')(a, b, s) === 0,
  /** `[input, pattern, flags?]`: true when the RE2 pattern matches anywhere in input; false for non-strings. */
  regex_match: (input, pattern, flags) => {
    if (typeof pattern !== 'string') throw logicError('regex_match', 'pattern is not a string');
    if (pattern.length > MAX_REGEX_LENGTH)
      throw logicError('regex_match', `pattern exceeds ${MAX_REGEX_LENGTH} characters`);
    if (typeof input === 'number') input = String(input);
    if (typeof input !== 'string') return false;
    if (input.length > MAX_REGEX_INPUT)
      throw logicError('regex_match', `input of ${input.length} characters exceeds ${MAX_REGEX_INPUT}`);
    return compileRegex(pattern, typeof flags === 'string' ? flags : '')
      .matcher(input)
      .find();
  },
  /** `[a, b]`: every element of a is in b. */
  subset: (a, b) => {
    const sb = new Set(asArray('subset', b).map(key));
    return asArray('subset', a).every((x) => sb.has(key(x)));
  },
  /** `[a, b]`: some element of a is in b. */
  intersects: (a, b) => {
    const sb = new Set(asArray('intersects', b).map(key));
    return asArray('intersects', a).some((x) => sb.has(key(x)));
  },
  /** `[a, b]`: elements of a not in b, in a's order. */
  difference: (a, b) => {
    const sb = new Set(asArray('difference', b).map(key));
    return asArray('difference', a).filter((x) => !sb.has(key(x)));
  },
  /** `[a, b]`: elements of a also in b, in a's order. */
  intersection: (a, b) => {
    const sb = new Set(asArray('intersection', b).map(key));
    return asArray('intersection', a).filter((x) => sb.has(key(x)));
  },
  /** `[a]`: a without repeated elements, first occurrence kept. */
  unique: (a) => {
    const seen = new Set<unknown>();
    return asArray('unique', a).filter((x) => {
      const k = key(x);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  },
  starts_with: (s, p) => typeof s === 'string' && typeof p === 'string' && s.startsWith(p),
  ends_with: (s, p) => typeof s === 'string' && typeof p === 'string' && s.endsWith(p),
  lower: (s) => (typeof s === 'string' ? s.toLowerCase() : s),
  /** Length of a string or array; 0 for anything else (absent facts read as empty). */
  length: (v) => (typeof v === 'string' || Array.isArray(v) ? v.length : 0),
  /** Own-property `var` (see the module comment); same arguments as json-logic's `var`. */
  var(this: unknown, p: unknown, dflt?: unknown) {
    const notFound = dflt === undefined ? null : dflt;
    const v = getPath(this, typeof p === 'number' ? String(p) : typeof p === 'string' ? p : '');
    return v === undefined ? notFound : v;
  },
};

let registered = false;

/** Registers our operators under private names, once; called lazily so importing has no side effects. */
function ensureOperators(): void {
  if (registered) return;
  for (const [name, fn] of Object.entries(OPERATORS)) {
    jsonLogic.add_operation(PREFIX + name, fn as (...args: unknown[]) => unknown);
  }
  registered = true;
}
