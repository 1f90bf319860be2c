import { createHash } from 'node:crypto';
import { FormatError, isImagecheckError, isInternalError, PackError } from '@imagecheck/access';
import type { Evidence, FactResult } from '../facts/types.js';
import type { GuestOs } from '../guest/types.js';
import { highestRisk } from '../report/risk.js';
import type { Finding, Repair, ReportItem, RiskLevel, Status } from '../report/types.js';
import {
  type CompiledAssertion,
  type CompiledRule,
  compiledFor,
  compileRule,
  rememberCompiled,
} from '../rules/compile.js';
import { evaluateLogic, getPath, safeData, truthy } from '../rules/logic.js';
import { powershellQuote, renderTemplate, shellQuote } from '../rules/template.js';
import type { LoadedRule, LocalizedText, RulePlatform } from '../rules/types.js';

/** Options of `evaluateRule`. */
export interface EvaluateOptions {
  /** Overrides of the rule's parameter defaults (validated against its paramsSchema). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Message locale (`zh-CN`); falls back to the language (`zh`), then `en`. */
  readonly locale?: string;
  /** A config override of the risk level: replaces the rule's and every assertion's. */
  readonly riskLevel?: RiskLevel;
}

/** Findings kept per item; the rest are counted in the message. */
export const MAX_FINDINGS = 1000;
/** Elements a `forEach` may iterate; more is a broken fact, reported as `error`. */
export const MAX_FOREACH_ELEMENTS = 100_000;

interface InternalFinding {
  readonly finding: Finding;
  readonly scope: unknown;
}

/**
 * Evaluates one rule over already collected facts. Pure and synchronous: no I/O.
 *
 * Order: platforms (skipped) → required facts (error) → params (error) → `when` (skipped) →
 * assertions. A fact absent from `facts` counts as unavailable. A condition that throws (a
 * malformed version, a non-array `forEach`) makes the item `error`, never a pass; a bug
 * (`isInternalError`: a TypeError, an `InternalError`) is thrown, not turned into an item.
 */
export function evaluateRule(
  rule: LoadedRule,
  facts: Readonly<Record<string, FactResult>>,
  options: EvaluateOptions = {},
): ReportItem {
  const started = performance.now();
  const compiled = compiledOf(rule);
  const locale = options.locale ?? 'en';
  const baseRisk = options.riskLevel ?? rule.riskLevel;
  const item = (fields: {
    status: Status;
    message: string;
    evidence?: readonly Evidence[];
    value?: string;
    riskLevel?: RiskLevel;
    findings?: Finding[];
    repair?: Repair;
  }): ReportItem => ({
    name: rule.id,
    title: rule.title,
    pack: rule.pack,
    status: fields.status,
    riskLevel: fields.riskLevel ?? baseRisk,
    value: fields.value ?? '',
    message: fields.message,
    evidence: fields.evidence ?? [],
    ...(fields.findings ? { findings: fields.findings } : {}),
    ...(fields.repair ? { repair: fields.repair } : {}),
    ...(rule.tags.length > 0 ? { tags: rule.tags } : {}),
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
  });
  const read = (id: string): FactResult | undefined => (Object.hasOwn(facts, id) ? facts[id] : undefined);

  // 1. Platforms, against guest.os when it is known.
  const platforms = compiled.platforms;
  if (platforms) {
    const os = read('guest.os');
    if (os?.status === 'ok' && os.value !== null && typeof os.value === 'object') {
      const reason = platformMismatch(platforms, os.value as GuestOs);
      if (reason)
        return item({ status: 'skipped', message: `Not applicable: ${reason}.`, evidence: os.evidence });
    }
  }

  // 2. Facts: a required fact that could not be read makes the item error.
  const missing: string[] = [];
  const missingEvidence: Evidence[] = [];
  const factsObj: Record<string, unknown> = Object.create(null);
  const usedEvidence: Evidence[] = [];
  for (const ref of rule.facts) {
    const r = read(ref.id);
    if (r?.status === 'ok') {
      setNested(factsObj, ref.id, safeFactValue(r));
      usedEvidence.push(...r.evidence);
    } else if (ref.required) {
      missing.push(`${ref.id} (${r ? `${r.code ? `${r.code}: ` : ''}${r.reason}` : 'not collected'})`);
      if (r) missingEvidence.push(...r.evidence);
    }
  }
  Object.freeze(factsObj);

  // 3. Params: defaults, then overrides, validated.
  let params: Record<string, unknown> = {
    ...structuredClone(rule.params as Record<string, unknown>),
    ...structuredClone((options.params ?? {}) as Record<string, unknown>),
  };
  if (compiled.validateParams && !compiled.validateParams(params)) {
    const e = compiled.validateParams.errors?.[0];
    return item({
      status: 'error',
      message: `Invalid params for ${rule.id}: ${e ? `${e.instancePath || '/'} ${e.message}` : 'rejected by paramsSchema'}.`,
    });
  }
  params = safeData(params) as Record<string, unknown>;
  const scope = Object.freeze(Object.assign(Object.create(null), { facts: factsObj, params })) as Record<
    string,
    unknown
  >;
  const value = rule.source.value ? renderTemplate(rule.source.value, scope).trim() : '';

  if (missing.length > 0) {
    // The value template reads the missing facts: rendering it would show their empty shell.
    return item({
      status: 'error',
      value: '',
      message: `Could not be checked: required fact${missing.length > 1 ? 's' : ''} unavailable: ${missing.join('; ')}.`,
      evidence: dedupe(missingEvidence),
    });
  }

  try {
    // 4. `when`.
    if (compiled.when && !truthy(evaluateLogic(compiled.when, scope))) {
      return item({
        status: 'skipped',
        value,
        message: 'Not applicable: the applicability condition is false.',
        evidence: dedupe(usedEvidence),
      });
    }
    // 5. Assertions.
    const found: InternalFinding[] = [];
    let dropped = 0;
    for (const a of compiled.assertions) {
      for (const f of runAssertion(rule, a, scope, locale, options.riskLevel)) {
        if (found.length < MAX_FINDINGS) found.push(f);
        else dropped++;
      }
    }
    const findings = found.map((f) => f.finding);
    const fails = findings.filter((f) => f.status === 'fail');
    const warns = findings.filter((f) => f.status === 'warn');
    const deciding = fails.length > 0 ? fails : warns;
    if (deciding.length === 0) {
      return item({
        status: rule.kind === 'info' ? 'info' : 'pass',
        value,
        message: passMessage(rule, scope, locale, value),
        evidence: dedupe(usedEvidence),
        findings: [],
      });
    }
    const risk = options.riskLevel ?? highestRisk(deciding.map((f) => f.riskLevel));
    const first = deciding[0] as Finding;
    const more = deciding.length - 1 + dropped;
    const repair = buildRepair(rule, compiled, scope, found, locale);
    return item({
      status: fails.length > 0 ? 'fail' : 'warn',
      riskLevel: risk,
      value,
      message: more > 0 ? `${first.message} (and ${more} more)` : first.message,
      evidence: dedupe(findings.flatMap((f) => f.evidence)),
      findings,
      ...(repair ? { repair } : {}),
    });
  } catch (err) {
    // A fact the rule cannot read (a malformed version, a non-array forEach) is this item's error;
    // a bug in the engine or an operator is not, and ends the check.
    if (isInternalError(err)) throw err;
    const code = isImagecheckError(err) ? `${err.code}: ` : '';
    return item({
      status: 'error',
      value,
      message: `Could not be checked: ${code}${(err as Error).message}`,
      evidence: dedupe(usedEvidence),
    });
  }
}

/** The platforms a rule applies to (its own, else its pack's), or undefined for any. */
export function rulePlatforms(rule: LoadedRule): readonly RulePlatform[] | undefined {
  return compiledOf(rule).platforms;
}

function compiledOf(rule: LoadedRule): CompiledRule {
  const hit = compiledFor(rule);
  if (hit) return hit;
  // A LoadedRule built by hand (or copied) has no compiled form yet: compile it from its source.
  const r = compileRule(rule.source);
  if (!r.ok) {
    const i = r.issues[0];
    throw new PackError(
      i?.code ?? 'pack/invalid-rule',
      `${rule.file}: rule ${rule.id}: ${i?.message ?? 'invalid'}`,
      {
        data: { file: rule.file, field: i ? `/${i.path.join('/')}` : '', expected: i?.expected },
      },
    );
  }
  rememberCompiled(rule, r.compiled);
  return r.compiled;
}

function runAssertion(
  rule: LoadedRule,
  a: CompiledAssertion,
  scope: Record<string, unknown>,
  locale: string,
  riskOverride?: RiskLevel,
): InternalFinding[] {
  const out: InternalFinding[] = [];
  const make = (s: unknown, element: unknown): InternalFinding => ({
    finding: makeFinding(rule, a, s, locale, element, riskOverride),
    scope: s,
  });
  if (!a.forEach) {
    if (!truthy(evaluateLogic(a.expect, scope))) out.push(make(scope, undefined));
    return out;
  }
  const list = evaluateLogic(a.forEach, scope);
  if (list === null || list === undefined) return out;
  if (!Array.isArray(list)) {
    throw new FormatError(
      'rule/foreach-not-array',
      `assertion ${a.source.id}: forEach gave ${typeof list}, not an array`,
      { data: { assertion: a.source.id, actual: typeof list, expected: 'array' } },
    );
  }
  if (list.length > MAX_FOREACH_ELEMENTS) {
    throw new FormatError(
      'rule/foreach-too-large',
      `assertion ${a.source.id}: forEach gave ${list.length} elements, more than ${MAX_FOREACH_ELEMENTS}`,
      { data: { assertion: a.source.id, actual: list.length, expected: MAX_FOREACH_ELEMENTS } },
    );
  }
  for (const element of list) {
    // A fresh null-prototype scope per element; its values are the frozen copies already made.
    const s = { __proto__: null, facts: scope.facts, params: scope.params, [a.as]: element };
    if (a.where && !truthy(evaluateLogic(a.where, s))) continue;
    if (!truthy(evaluateLogic(a.expect, s))) out.push(make(s, element));
  }
  return out;
}

function makeFinding(
  rule: LoadedRule,
  a: CompiledAssertion,
  scope: unknown,
  locale: string,
  element: unknown,
  riskOverride?: RiskLevel,
): Finding {
  const src = a.source;
  const message = renderMessage(rule.messages[src.message], scope, locale) ?? src.message;
  const evidence: Evidence[] = [];
  if (src.location) {
    const path = renderTemplate(src.location.path, scope);
    const lineText = src.location.line === undefined ? '' : renderTemplate(src.location.line, scope).trim();
    const line = /^\d+$/.test(lineText) ? Number(lineText) : undefined;
    evidence.push({ kind: 'file', path, ...(line !== undefined && line > 0 ? { line } : {}) });
  }
  const values: Record<string, unknown> = {};
  for (const p of src.evidence ?? []) {
    const v = getPath(scope, p);
    values[p] = v === undefined ? null : JSON.parse(JSON.stringify(v));
  }
  const parts = src.fingerprint
    ? src.fingerprint.map((t) => renderTemplate(t, scope))
    : [
        evidence[0]?.path ?? '',
        JSON.stringify(values),
        src.evidence?.length ? '' : JSON.stringify(element ?? null),
      ];
  const fingerprint = createHash('sha256')
    .update([`${rule.pack}/${rule.id}`, src.id, ...parts].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
  return {
    assertion: src.id,
    status: a.onFail,
    riskLevel: riskOverride ?? a.riskLevel ?? rule.riskLevel,
    messageId: src.message,
    message,
    evidence,
    ...(src.evidence ? { values } : {}),
    fingerprint,
  };
}

/** Picks the text for `locale`: exact, then its language, then `en`. */
export function localize(text: LocalizedText | undefined, locale: string): string | undefined {
  if (text === undefined) return undefined;
  if (typeof text === 'string') return text;
  const lang = locale.split('-')[0] ?? locale;
  return (
    (Object.hasOwn(text, locale) ? text[locale] : undefined) ??
    (Object.hasOwn(text, lang) ? text[lang] : undefined) ??
    text.en
  );
}

function renderMessage(text: LocalizedText | undefined, scope: unknown, locale: string): string | undefined {
  const t = localize(text, locale);
  return t === undefined ? undefined : renderTemplate(t, scope).trim();
}

function passMessage(rule: LoadedRule, scope: unknown, locale: string, value: string): string {
  const id = rule.source.passMessage ?? (Object.hasOwn(rule.messages, 'pass') ? 'pass' : undefined);
  const text = id === undefined ? undefined : renderMessage(rule.messages[id], scope, locale);
  if (text) return text;
  return rule.kind === 'info' && value ? value : rule.title;
}

function buildRepair(
  rule: LoadedRule,
  compiled: CompiledRule,
  scope: unknown,
  found: readonly InternalFinding[],
  locale: string,
): Repair | undefined {
  const rem = rule.source.remediation;
  if (!rem) return undefined;
  const text = localize(rem.text, locale) ?? '';
  const fix = rem.fix;
  if (!fix || compiled.fixScript === undefined) return { text };
  const quote = fix.language === 'powershell' ? powershellQuote : shellQuote;
  let content: string;
  if (fix.scope === 'perRule') {
    content = renderTemplate(compiled.fixScript, scope, quote);
  } else {
    const blocks: string[] = [];
    for (const f of found) {
      if (compiled.skipIf && truthy(evaluateLogic(compiled.skipIf, f.scope))) continue;
      const body = renderTemplate(compiled.fixScript, f.scope, quote).replace(/\n$/, '');
      const where = f.finding.evidence[0];
      const header = `# ${f.finding.assertion}${where?.path ? ` ${where.path}${where.line ? `:${where.line}` : ''}` : ''}`;
      // Each finding's script runs on its own, so `set -e` or variables in one cannot leak into the next.
      blocks.push(fix.language === 'powershell' ? `${header}\n& {\n${body}\n}` : `${header}\n(\n${body}\n)`);
    }
    if (blocks.length === 0) return { text };
    content = `${blocks.join('\n')}\n`;
  }
  return { text, script: { language: fix.language, content, ...(fix.runIn ? { runIn: fix.runIn } : {}) } };
}

/** Why none of `platforms` matches `os`, or undefined when one does. Unknown guest attributes do not exclude. */
export function platformMismatch(platforms: readonly RulePlatform[], os: GuestOs): string | undefined {
  const reasons: string[] = [];
  for (const p of platforms) {
    const why =
      os.os !== undefined && p.os !== os.os
        ? `guest is ${os.os}, rule is for ${p.os}`
        : p.families && os.family !== undefined && !p.families.includes(os.family)
          ? `family ${os.family} is not one of ${p.families.join(', ')}`
          : p.distributions && os.distribution !== undefined && !p.distributions.includes(os.distribution)
            ? `distribution ${os.distribution} is not one of ${p.distributions.join(', ')}`
            : p.architectures && os.architecture !== undefined && !p.architectures.includes(os.architecture)
              ? `architecture ${os.architecture} is not one of ${p.architectures.join(', ')}`
              : undefined;
    if (!why) return undefined;
    reasons.push(why);
  }
  return reasons.join('; ');
}

const safeCopies = new WeakMap<object, unknown>();

/** The null-prototype frozen copy of a fact's value, made once per FactResult (rules share facts). */
function safeFactValue(r: FactResult): unknown {
  const hit = safeCopies.get(r);
  if (hit !== undefined || safeCopies.has(r)) return hit;
  const copy = safeData(r.status === 'ok' ? r.value : undefined);
  safeCopies.set(r, copy);
  return copy;
}

function setNested(target: Record<string, unknown>, id: string, value: unknown): void {
  const segs = id.split('.');
  let cur = target;
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i] as string;
    let next = cur[s];
    if (next === undefined) {
      next = Object.create(null);
      cur[s] = next;
    }
    if (next === null || typeof next !== 'object' || Object.isFrozen(next)) return;
    cur = next as Record<string, unknown>;
  }
  cur[segs[segs.length - 1] as string] = value;
}

function dedupe(evidence: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return evidence.filter((e) => {
    const k = JSON.stringify(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
