import { AssertionError } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '@imagecheck/access';
import type { MemoryFiles } from '@imagecheck/access/testing';
import { evaluateRule } from '../engine/evaluate.js';
import { BUILTIN_FACT_DEFINITIONS, runCheck } from '../engine/run.js';
import { declaredFacts } from '../facts/declared/index.js';
import type { FactDefinition, FactResult, Plugin } from '../facts/types.js';
import type { ReportItem, RiskLevel } from '../report/types.js';
import { loadPack } from '../rules/loader.js';
import type { LoadedPack, LoadedRule } from '../rules/types.js';
import { factShapeProblems } from './fact-shapes.js';
import { createMemoryGuest } from './memory-guest.js';

/**
 * A table-driven tester for rule packs, in the manner of ESLint's RuleTester.
 *
 * ```ts
 * const ruleTester = new RuleTester({ pack: await loadPack('rules/linux') });
 * ruleTester.run('GUESTOS.Selinux', {
 *   valid: [{ name: 'permissive', facts: { 'linux.selinux': { present: true, mode: 'permissive' } } }],
 *   invalid: [{ name: 'enforcing', facts: {...}, status: 'fail', findings: [{ messageId: 'enforcing', line: 7 }] }],
 * });
 * ```
 *
 * Each case becomes one test of the test framework when `describe`/`it` are available (given in
 * the options, set on `RuleTester.describe`/`RuleTester.it`, or as globals); otherwise `run`
 * evaluates every case itself and rejects with the first failure. The table is checked before
 * anything runs: duplicate cases (same content or same name), invalid cases with no expectation,
 * and message ids the rule does not define all throw.
 */
export interface RuleTesterCase {
  /** Test title; defaults to a summary of the case. Names must be unique within a rule's table. */
  readonly name?: string;
  /** Fact id → value; each becomes an `ok` fact. */
  readonly facts?: Readonly<Record<string, unknown>>;
  /** Fact id → reason; each becomes an `unavailable` fact. */
  readonly unavailable?: Readonly<Record<string, string>>;
  readonly params?: Readonly<Record<string, unknown>>;
  readonly locale?: string;
  /**
   * A guest described inline instead of facts: files of the root filesystem (guest path → text or
   * bytes). The tester's `plugins` (and the pack's declared facts) collect the rule's facts from
   * it, exactly as a check would. Exclusive with `facts` / `unavailable`.
   */
  readonly files?: MemoryFiles;
}

export type ValidCase = RuleTesterCase;

export interface ExpectedFinding {
  readonly messageId: string;
  readonly assertion?: string;
  /** Line of the finding's first evidence. */
  readonly line?: number;
  readonly status?: 'fail' | 'warn';
}

export interface InvalidCase extends RuleTesterCase {
  readonly status?: 'fail' | 'warn' | 'error' | 'skipped' | 'info';
  /** The findings, in order. Given as `[]`, the item must have none. */
  readonly findings?: readonly ExpectedFinding[];
  readonly riskLevel?: RiskLevel;
  /** The item's message: equal to a string, or matching a RegExp. */
  readonly message?: string | RegExp;
}

export interface RuleTests {
  readonly valid?: readonly ValidCase[];
  readonly invalid?: readonly InvalidCase[];
}

type DescribeFn = (name: string, fn: () => void) => unknown;
type ItFn = (name: string, fn: () => unknown) => unknown;

export interface RuleTesterOptions {
  /** The pack, or its folder (loaded once, on first use). */
  readonly pack: LoadedPack | string;
  /**
   * Plugins that collect facts for cases given as `files`. Their fact schemas also check the
   * facts a case gives by hand: a case whose fact does not have the shape the plugin's collector
   * produces fails, naming the fact and where in the value it differs.
   */
  readonly plugins?: readonly Plugin[];
  readonly describe?: DescribeFn;
  readonly it?: ItFn;
}

/** Statuses a fixture file name may carry (`<name>.<status>.json`); `notapplicable` means skipped. */
const FIXTURE_STATUSES = ['pass', 'fail', 'warn', 'error', 'skipped', 'info', 'notapplicable'] as const;
/** Fixture files are small JSON documents. */
const MAX_FIXTURE_BYTES = 1 << 20;

export class RuleTester {
  /** Set these to use a test framework without globals (vitest without `globals: true`). */
  static describe: DescribeFn | undefined;
  static it: ItFn | undefined;

  readonly #options: RuleTesterOptions;
  #pack: Promise<LoadedPack> | undefined;

  constructor(options: RuleTesterOptions) {
    this.#options = options;
  }

  #loadPack(): Promise<LoadedPack> {
    const p = this.#options.pack;
    this.#pack ??= typeof p === 'string' ? loadPack(p) : Promise.resolve(p);
    return this.#pack;
  }

  #framework(): { describe: DescribeFn; it: ItFn } | undefined {
    const g = globalThis as { describe?: unknown; it?: unknown };
    const describe =
      this.#options.describe ??
      RuleTester.describe ??
      (typeof g.describe === 'function' ? (g.describe as DescribeFn) : undefined);
    const it = this.#options.it ?? RuleTester.it ?? (typeof g.it === 'function' ? (g.it as ItFn) : undefined);
    return describe && it ? { describe, it } : undefined;
  }

  /** Registers (or, without a framework, runs) the cases of one rule. */
  run(ruleId: string, tests: RuleTests): Promise<void> {
    const valid = tests.valid ?? [];
    const invalid = tests.invalid ?? [];
    checkTable(ruleId, valid, invalid);
    const titled = (c: RuleTesterCase, i: number, kind: string): string =>
      c.name ?? `${kind} #${i + 1} ${JSON.stringify(c.facts ?? {}).slice(0, 60)}`;
    const jobs: { kind: 'valid' | 'invalid'; title: string; fn: () => Promise<void> }[] = [
      ...valid.map((c, i) => ({
        kind: 'valid' as const,
        title: titled(c, i, 'valid'),
        fn: () => this.#runCase(ruleId, c, undefined),
      })),
      ...invalid.map((c, i) => ({
        kind: 'invalid' as const,
        title: titled(c, i, 'invalid'),
        fn: () => this.#runCase(ruleId, c, c),
      })),
    ];
    const fw = this.#framework();
    if (fw) {
      fw.describe(ruleId, () => {
        for (const kind of ['valid', 'invalid'] as const) {
          const mine = jobs.filter((j) => j.kind === kind);
          if (mine.length === 0) continue;
          fw.describe(kind, () => {
            for (const j of mine) fw.it(j.title, j.fn);
          });
        }
      });
      return Promise.resolve();
    }
    return (async () => {
      for (const j of jobs) {
        try {
          await j.fn();
        } catch (err) {
          if (err instanceof Error) err.message = `${ruleId} › ${j.kind} › ${j.title}: ${err.message}`;
          throw err;
        }
      }
    })();
  }

  /**
   * Runs the per-case fixture files of a pack: `<dir>/<RuleId>/<name>.<status>.json` (default
   * `<pack>/tests`), each `{ description?, facts?, unavailable?, params?, locale?, expect?: {
   * status?, riskLevel?, findings?, message? } }`. `pass` and `info` files are valid cases.
   */
  runFixtureDir(dir?: string): Promise<void> {
    const root =
      dir ??
      (typeof this.#options.pack === 'string'
        ? join(this.#options.pack, 'tests')
        : join(this.#options.pack.dir, 'tests'));
    if (!existsSync(root))
      throw new UsageError('rule-tester/no-fixtures', `no fixture folder ${root}`, { data: { path: root } });
    const runs: Promise<void>[] = [];
    for (const ruleId of readdirSync(root).sort()) {
      const ruleDir = join(root, ruleId);
      if (!statSync(ruleDir).isDirectory()) continue;
      const valid: ValidCase[] = [];
      const invalid: InvalidCase[] = [];
      for (const file of readdirSync(ruleDir).sort()) {
        const m = /^(.+)\.([a-z]+)\.json$/.exec(file);
        if (!m) continue;
        const fileStatus = m[2] as (typeof FIXTURE_STATUSES)[number];
        if (!FIXTURE_STATUSES.includes(fileStatus)) {
          throw new UsageError(
            'rule-tester/bad-fixture-name',
            `${join(ruleDir, file)}: status "${fileStatus}" is not one of ${FIXTURE_STATUSES.join(', ')}`,
            {
              data: { file: join(ruleDir, file), expected: FIXTURE_STATUSES },
            },
          );
        }
        const c = readFixture(
          join(ruleDir, file),
          m[1] as string,
          fileStatus === 'notapplicable' ? 'skipped' : fileStatus,
        );
        if (
          c.status === 'pass' ||
          (c.status === 'info' && c.findings === undefined && c.message === undefined)
        ) {
          const { status: _s, findings: _f, riskLevel: _r, message: _m, ...rest } = c;
          valid.push(rest);
        } else invalid.push(c as InvalidCase);
      }
      runs.push(this.run(ruleId, { valid, invalid }));
    }
    return Promise.all(runs).then(() => undefined);
  }

  async #runCase(ruleId: string, c: RuleTesterCase, expected: InvalidCase | undefined): Promise<void> {
    const pack = await this.#loadPack();
    const rule = pack.rules.find((r) => r.id === ruleId);
    if (!rule) {
      throw new UsageError('rule-tester/unknown-rule', `pack ${pack.namespace} has no rule "${ruleId}"`, {
        data: { rule: ruleId, known: pack.rules.map((r) => r.id) },
      });
    }
    for (const f of expected?.findings ?? []) {
      if (!Object.hasOwn(rule.messages, f.messageId)) {
        throw new UsageError(
          'rule-tester/unknown-message',
          `rule ${ruleId} has no message "${f.messageId}" (it has: ${Object.keys(rule.messages).join(', ')})`,
          {
            data: { rule: ruleId, messageId: f.messageId },
          },
        );
      }
      if (f.assertion !== undefined && !(rule.source.assertions ?? []).some((a) => a.id === f.assertion)) {
        throw new UsageError(
          'rule-tester/unknown-assertion',
          `rule ${ruleId} has no assertion "${f.assertion}"`,
          { data: { rule: ruleId, assertion: f.assertion } },
        );
      }
    }
    if (c.facts) this.#checkFactShapes(pack, c.facts);
    const item = c.files ? await this.#checkGuest(pack, rule, c) : evaluateCase(rule, c);
    if (!expected) {
      const want = rule.kind === 'info' ? 'info' : 'pass';
      if (item.status !== want)
        fail(`expected status ${want}, got ${item.status}: ${item.message}`, item, want, item.status);
      return;
    }
    if (expected.status !== undefined && item.status !== expected.status) {
      fail(
        `expected status ${expected.status}, got ${item.status}: ${item.message}`,
        item,
        expected.status,
        item.status,
      );
    }
    if (expected.riskLevel !== undefined && item.riskLevel !== expected.riskLevel) {
      fail(
        `expected risk level ${expected.riskLevel}, got ${item.riskLevel}`,
        item,
        expected.riskLevel,
        item.riskLevel,
      );
    }
    if (expected.message !== undefined) {
      const ok =
        typeof expected.message === 'string'
          ? item.message === expected.message
          : expected.message.test(item.message);
      if (!ok)
        fail(
          `message ${JSON.stringify(item.message)} does not match ${String(expected.message)}`,
          item,
          expected.message,
          item.message,
        );
    }
    if (expected.findings !== undefined) {
      const actual = (item.findings ?? []).map((f) => ({
        messageId: f.messageId,
        assertion: f.assertion,
        line: f.evidence[0]?.line,
        status: f.status,
      }));
      const projected = actual.map((a, i) => {
        const e = expected.findings?.[i];
        return {
          messageId: a.messageId,
          ...(e?.assertion !== undefined ? { assertion: a.assertion } : {}),
          ...(e?.line !== undefined ? { line: a.line } : {}),
          ...(e?.status !== undefined ? { status: a.status } : {}),
        };
      });
      const want = expected.findings.map((e) => ({ ...e }));
      if (stableStringify(projected) !== stableStringify(want)) {
        fail(
          `findings differ: expected ${JSON.stringify(want)}, got ${JSON.stringify(actual)}`,
          item,
          want,
          projected,
        );
      }
    }
  }

  #definitions: Map<string, { def: FactDefinition; from: string }> | undefined;

  /** Every fact schema the tester knows: the engine's own, the plugins', the pack's declared facts. */
  #factDefinitions(pack: LoadedPack): Map<string, { def: FactDefinition; from: string }> {
    if (this.#definitions) return this.#definitions;
    const defs = new Map<string, { def: FactDefinition; from: string }>();
    for (const def of BUILTIN_FACT_DEFINITIONS) defs.set(def.id, { def, from: 'the engine' });
    for (const p of this.#options.plugins ?? [])
      for (const def of p.facts) defs.set(def.id, { def, from: `plugin ${p.name}` });
    if (pack.declaredFacts.length > 0)
      for (const def of declaredFacts(pack.namespace, pack.declaredFacts).definitions)
        defs.set(def.id, { def, from: `pack ${pack.name}` });
    this.#definitions = defs;
    return defs;
  }

  /** Fails when a hand-written fact does not match the schema of the fact it stands for. */
  #checkFactShapes(pack: LoadedPack, facts: Readonly<Record<string, unknown>>): void {
    const defs = this.#factDefinitions(pack);
    for (const [id, value] of Object.entries(facts)) {
      const known = defs.get(id);
      if (!known) continue;
      const problems = factShapeProblems(known.def, value);
      if (problems.length === 0) continue;
      throw new AssertionError({
        message: `fact ${id} given by the case does not match its schema (from ${known.from}):\n${problems.map((p) => `  ${p}`).join('\n')}`,
        actual: value,
        expected: known.def.schema,
      });
    }
  }

  async #checkGuest(pack: LoadedPack, rule: LoadedRule, c: RuleTesterCase): Promise<ReportItem> {
    if (c.facts || c.unavailable) {
      throw new UsageError(
        'rule-tester/files-and-facts',
        `${rule.id}: a case gives either files or facts, not both`,
        { data: { rule: rule.id } },
      );
    }
    const access = createMemoryGuest({ filesystems: [{ type: 'ext4', mount: '/', files: c.files ?? {} }] });
    const report = await runCheck({
      access,
      packs: [pack],
      plugins: this.#options.plugins ?? [],
      select: { only: [`${pack.namespace}/${rule.id}`] },
      config: {
        rules: c.params ? [[`${pack.namespace}/${rule.id}`, { params: c.params }]] : [],
        waivers: [],
        packs: [],
      },
      ...(c.locale ? { locale: c.locale } : {}),
    });
    const item = report.items[0];
    if (!item)
      throw new UsageError('rule-tester/no-item', `${rule.id}: the check produced no item`, {
        data: { rule: rule.id },
      });
    return item;
  }
}

/** Evaluates one case as the engine would, with the case's facts as the only facts. */
export function evaluateCase(rule: LoadedRule, c: RuleTesterCase): ReportItem {
  const facts: Record<string, FactResult> = {};
  for (const [id, value] of Object.entries(c.facts ?? {})) facts[id] = { status: 'ok', value, evidence: [] };
  for (const [id, reason] of Object.entries(c.unavailable ?? {}))
    facts[id] = { status: 'unavailable', reason, evidence: [] };
  return evaluateRule(rule, facts, {
    ...(c.params ? { params: c.params } : {}),
    ...(c.locale ? { locale: c.locale } : {}),
  });
}

function fail(message: string, item: ReportItem, expected: unknown, actual: unknown): never {
  const err = new AssertionError({
    message: `${message}\nitem: ${JSON.stringify(item, null, 2)}`,
    expected,
    actual,
  });
  throw err;
}

function checkTable(ruleId: string, valid: readonly ValidCase[], invalid: readonly InvalidCase[]): void {
  const seenContent = new Map<string, string>();
  const seenNames = new Set<string>();
  const all = [...valid.map((c) => ['valid', c] as const), ...invalid.map((c) => ['invalid', c] as const)];
  all.forEach(([kind, c], i) => {
    const label = c.name ?? `${kind} case #${i + 1}`;
    const { name: _n, ...content } = c as InvalidCase;
    const key = `${kind}:${stableStringify(content)}`;
    const prev = seenContent.get(key);
    if (prev !== undefined) {
      throw new UsageError('rule-tester/duplicate-case', `${ruleId}: ${label} duplicates ${prev}`, {
        data: { rule: ruleId, case: label },
      });
    }
    seenContent.set(key, label);
    if (c.name !== undefined) {
      if (seenNames.has(c.name))
        throw new UsageError('rule-tester/duplicate-name', `${ruleId}: two cases are named "${c.name}"`, {
          data: { rule: ruleId, case: c.name },
        });
      seenNames.add(c.name);
    }
    if (kind === 'invalid') {
      const inv = c as InvalidCase;
      if (inv.status === undefined && inv.findings === undefined) {
        throw new UsageError(
          'rule-tester/no-expectation',
          `${ruleId}: invalid ${label} expects nothing; give "status" or "findings"`,
          { data: { rule: ruleId, case: label } },
        );
      }
    }
  });
}

function stableStringify(v: unknown): string {
  if (v instanceof RegExp) return String(v);
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

type FixtureStatus = Exclude<(typeof FIXTURE_STATUSES)[number], 'notapplicable'>;

function readFixture(
  file: string,
  name: string,
  status: FixtureStatus,
): Omit<InvalidCase, 'status'> & { status: FixtureStatus } {
  const size = statSync(file).size;
  if (size > MAX_FIXTURE_BYTES)
    throw new UsageError(
      'rule-tester/fixture-too-large',
      `${file}: ${size} bytes exceeds ${MAX_FIXTURE_BYTES}`,
      { data: { file } },
    );
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError('rule-tester/bad-fixture', `${file}: ${(err as Error).message}`, { data: { file } });
  }
  const expect = (doc.expect ?? {}) as {
    status?: string;
    riskLevel?: RiskLevel;
    findings?: ExpectedFinding[];
    message?: string;
  };
  const expectStatus = expect.status === 'notApplicable' ? 'skipped' : expect.status;
  if (expectStatus !== undefined && expectStatus !== status) {
    throw new UsageError(
      'rule-tester/bad-fixture',
      `${file}: file name says ${status}, expect.status says ${expect.status}`,
      { data: { file } },
    );
  }
  return {
    name,
    status,
    ...(doc.facts ? { facts: doc.facts as Record<string, unknown> } : {}),
    ...(doc.unavailable ? { unavailable: doc.unavailable as Record<string, string> } : {}),
    ...(doc.params ? { params: doc.params as Record<string, unknown> } : {}),
    ...(typeof doc.locale === 'string' ? { locale: doc.locale } : {}),
    ...(expect.riskLevel ? { riskLevel: expect.riskLevel } : {}),
    ...(expect.findings && (status === 'fail' || status === 'warn' || expect.findings.length > 0)
      ? { findings: expect.findings }
      : {}),
    ...(expect.message ? { message: expect.message } : {}),
  };
}
