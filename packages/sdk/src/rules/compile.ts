import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { RiskLevel } from '../report/types.js';
import { type CompiledLogic, compileLogic, type LogicIssue } from './logic.js';
import { newAjv } from './schemas.js';
import { checkTemplate, templatePaths } from './template.js';
import type { LoadedRule, RuleAssertion, RuleFactRef, RulePlatform, RuleSource } from './types.js';

/** The engine's view of a rule: conditions compiled, params validator ready. Built by `compileRule`. */
export interface CompiledAssertion {
  readonly source: RuleAssertion;
  readonly as: string;
  readonly forEach?: CompiledLogic;
  readonly where?: CompiledLogic;
  readonly expect: CompiledLogic;
  readonly riskLevel?: RiskLevel;
  readonly onFail: 'fail' | 'warn';
}

export interface CompiledRule {
  /** The rule's `applicability.platforms`, else its pack's `platforms`. */
  readonly platforms?: readonly RulePlatform[];
  readonly when?: CompiledLogic;
  readonly assertions: readonly CompiledAssertion[];
  readonly skipIf?: CompiledLogic;
  /** The fix script text (inline, or read from the pack at load time). */
  readonly fixScript?: string;
  readonly validateParams?: ValidateFunction;
}

/** A problem found while compiling, located by its path in the rule file. */
export interface RuleIssue {
  /** Stable error code: `pack/invalid-logic`, `pack/unknown-message`, `pack/undeclared-fact`, ... */
  readonly code: string;
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly expected: string;
}

let sharedParamsAjv: ReturnType<typeof newAjv> | undefined;

/** One lenient ajv for every rule's paramsSchema: compiling a fresh instance per rule costs ~10 ms each. */
function paramsAjv(): ReturnType<typeof newAjv> {
  sharedParamsAjv ??= newAjv({ strict: false, useDefaults: true });
  return sharedParamsAjv;
}

/**
 * Compiled params validators by schema text: loading a pack again (the dashboard, watch modes,
 * tests) must not recompile ajv code (~30 ms a schema). Bounded by the number of distinct schemas.
 */
const paramsValidators = new Map<string, ValidateFunction>();
const MAX_CACHED_PARAMS_SCHEMAS = 4096;

const compiledRules = new WeakMap<object, CompiledRule>();

export function rememberCompiled(rule: LoadedRule, compiled: CompiledRule): void {
  compiledRules.set(rule, compiled);
}

export function compiledFor(rule: LoadedRule): CompiledRule | undefined {
  return compiledRules.get(rule);
}

/** `facts: [a, {id: b, required: false}]` → `[{id: a, required: true}, {id: b, required: false}]`. */
export function factRefs(source: RuleSource): RuleFactRef[] {
  return source.facts.map((f) =>
    typeof f === 'string' ? { id: f, required: true } : { id: f.id, required: f.required ?? true },
  );
}

/** True when `path` (`facts.linux.fstab.entries`) reads one of `factIds`. */
export function pathReadsDeclaredFact(path: string, factIds: readonly string[]): boolean {
  const rest = path.slice('facts.'.length);
  return factIds.some((f) => rest === f || rest.startsWith(`${f}.`));
}

/**
 * Checks everything the schema cannot: conditions (operators, `var` paths, fact usage), templates,
 * message references, and compiles the params schema. Returns the compiled rule and the params
 * defaults, or the issues.
 */
export function compileRule(
  source: RuleSource,
  fixFileText?: string,
  packPlatforms?: readonly RulePlatform[],
):
  | { ok: true; compiled: CompiledRule; params: Record<string, unknown> }
  | { ok: false; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  const facts = factRefs(source);
  const factIds = facts.map((f) => f.id);
  const messages = source.messages ?? {};
  const asNames = (source.assertions ?? []).map((a) => a.as ?? 'item');

  const seenFacts = new Set<string>();
  facts.forEach((f, i) => {
    if (seenFacts.has(f.id))
      issues.push({
        code: 'pack/duplicate-fact',
        path: ['facts', i],
        message: `fact "${f.id}" is listed twice`,
        expected: 'each fact once',
      });
    seenFacts.add(f.id);
  });

  const logic = (value: unknown, path: (string | number)[], roots: string[]): CompiledLogic | undefined => {
    const r = compileLogic(value, { roots });
    if (!r.ok) {
      for (const i of r.issues as LogicIssue[])
        issues.push({
          code: 'pack/invalid-logic',
          path: [...path, ...i.path],
          message: i.message,
          expected: i.expected,
        });
      return undefined;
    }
    for (const p of r.logic.varPaths) {
      if (p.startsWith('facts.') && !pathReadsDeclaredFact(p, factIds)) {
        issues.push({
          code: 'pack/undeclared-fact',
          path,
          message: `var "${p}" reads a fact the rule does not declare`,
          expected: `a path under one of: ${factIds.join(', ')}`,
        });
      } else if (p === 'facts') {
        issues.push({
          code: 'pack/undeclared-fact',
          path,
          message: 'var "facts" reads every fact',
          expected: 'a path under a declared fact',
        });
      }
    }
    return r.logic;
  };

  const template = (t: string | undefined, path: (string | number)[], roots: string[]): void => {
    if (t === undefined) return;
    for (const m of checkTemplate(t, roots))
      issues.push({
        code: 'pack/invalid-template',
        path,
        message: m,
        expected: `placeholders rooted at ${roots.join(', ')}`,
      });
    for (const p of templatePaths(t)) {
      if (p.startsWith('facts.') && !pathReadsDeclaredFact(p, factIds)) {
        issues.push({
          code: 'pack/undeclared-fact',
          path,
          message: `placeholder "{{${p}}}" reads a fact the rule does not declare`,
          expected: `one of: ${factIds.join(', ')}`,
        });
      }
    }
  };

  const base = ['facts', 'params'];
  const when =
    source.applicability?.when === undefined
      ? undefined
      : logic(source.applicability.when, ['applicability', 'when'], base);
  template(source.value, ['value'], base);

  const messageRef = (id: string | undefined, path: (string | number)[]): void => {
    if (id !== undefined && !Object.hasOwn(messages, id)) {
      issues.push({
        code: 'pack/unknown-message',
        path,
        message: `message "${id}" is not defined in messages`,
        expected: `one of: ${Object.keys(messages).join(', ') || '(none)'}`,
      });
    }
  };
  messageRef(source.passMessage, ['passMessage']);

  const assertionIds = new Set<string>();
  const assertions: CompiledAssertion[] = [];
  (source.assertions ?? []).forEach((a, i) => {
    const at = ['assertions', i];
    if (assertionIds.has(a.id))
      issues.push({
        code: 'pack/duplicate-assertion',
        path: [...at, 'id'],
        message: `assertion id "${a.id}" is used twice`,
        expected: 'unique assertion ids',
      });
    assertionIds.add(a.id);
    const as = a.as ?? 'item';
    const inner = a.forEach === undefined ? base : [...base, as];
    const forEach = a.forEach === undefined ? undefined : logic(a.forEach, [...at, 'forEach'], base);
    const where = a.where === undefined ? undefined : logic(a.where, [...at, 'where'], inner);
    const expect = logic(a.expect, [...at, 'expect'], inner);
    messageRef(a.message, [...at, 'message']);
    template(a.location?.path, [...at, 'location', 'path'], inner);
    template(a.location?.line, [...at, 'location', 'line'], inner);
    (a.fingerprint ?? []).forEach((f, k) => {
      template(f, [...at, 'fingerprint', k], inner);
    });
    (a.evidence ?? []).forEach((e, k) => {
      template(`{{${e}}}`, [...at, 'evidence', k], inner);
    });
    if (expect) {
      assertions.push({
        source: a,
        as,
        expect,
        onFail: a.onFail ?? 'fail',
        ...(forEach ? { forEach } : {}),
        ...(where ? { where } : {}),
        ...(a.riskLevel ? { riskLevel: a.riskLevel } : {}),
      });
    }
  });

  const allRoots = [...base, ...new Set(asNames)];
  for (const [id, text] of Object.entries(messages)) {
    const texts = typeof text === 'string' ? [text] : Object.values(text);
    for (const t of texts) template(t, ['messages', id], allRoots);
  }

  const fix = source.remediation?.fix;
  const perFindingRoots = fix?.scope === 'perFinding' ? allRoots : base;
  const skipIf =
    fix?.skipIf === undefined
      ? undefined
      : logic(fix.skipIf, ['remediation', 'fix', 'skipIf'], perFindingRoots);
  const fixScript = fix?.inline ?? fixFileText;
  if (fixScript !== undefined)
    template(
      fixScript,
      ['remediation', 'fix', fix?.inline !== undefined ? 'inline' : 'file'],
      perFindingRoots,
    );

  let validateParams: ValidateFunction | undefined;
  let params: Record<string, unknown> = {};
  if (source.paramsSchema) {
    try {
      const key = JSON.stringify(source.paramsSchema);
      validateParams = paramsValidators.get(key) ?? paramsAjv().compile(source.paramsSchema);
      if (paramsValidators.size < MAX_CACHED_PARAMS_SCHEMAS) paramsValidators.set(key, validateParams);
      const defaults: Record<string, unknown> = {};
      if (!validateParams(defaults)) {
        issues.push({
          code: 'pack/invalid-params-schema',
          path: ['paramsSchema'],
          message: 'the defaults do not satisfy paramsSchema',
          expected: 'defaults for every required parameter',
        });
      }
      params = defaults;
    } catch (err) {
      issues.push({
        code: 'pack/invalid-params-schema',
        path: ['paramsSchema'],
        message: `paramsSchema does not compile: ${(err as Error).message}`,
        expected: 'a valid JSON Schema',
      });
    }
  }
  if (source.kind !== 'info' && (source.assertions ?? []).length === 0) {
    issues.push({
      code: 'pack/invalid-rule',
      path: ['assertions'],
      message: 'a check rule has no assertions',
      expected: 'at least one assertion',
    });
  }

  if (issues.length > 0) return { ok: false, issues };
  const platforms =
    source.applicability?.platforms ??
    (packPlatforms && packPlatforms.length > 0 ? packPlatforms : undefined);
  return {
    ok: true,
    params,
    compiled: {
      assertions,
      ...(platforms ? { platforms } : {}),
      ...(when ? { when } : {}),
      ...(skipIf ? { skipIf } : {}),
      ...(fixScript !== undefined ? { fixScript } : {}),
      ...(validateParams ? { validateParams } : {}),
    },
  };
}
