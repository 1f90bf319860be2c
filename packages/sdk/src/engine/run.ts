import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import type { AssembledGuestV2, GuestAccessV2, ImageLayoutV2 } from '@imagecheck/access';
import { applyWaivers, ruleSettings } from '../config/apply.js';
import type { ResolvedConfig } from '../config/types.js';
import { isImagecheckError, UsageError } from '@imagecheck/access';
import { declaredFacts } from '../facts/declared/index.js';
import type { CollectContext, Collector, FactDefinition, FactResult, Plugin } from '../facts/types.js';
import { type ImageTag, REPORT_SCHEMA_VERSION, type Report, type ReportItem } from '../report/types.js';
import { newAjv } from '../rules/schemas.js';
import type { LoadedPack } from '../rules/types.js';
import { evaluateRule, rulePlatforms } from './evaluate.js';
import { type RuleSelection, selectRules } from './select.js';
import { summarize } from './summary.js';

export type ProgressStage = 'open' | 'layout' | 'guest' | 'facts' | 'rules' | 'done';

/** Progress of one check, for the dashboard and the CLI. Items finish in selection order. */
export type ProgressEvent =
  | { readonly type: 'stage'; readonly stage: ProgressStage }
  | { readonly type: 'fact-start'; readonly id: string }
  | { readonly type: 'fact-finish'; readonly id: string; readonly result: FactResult }
  | { readonly type: 'item-start'; readonly name: string }
  | { readonly type: 'item-finish'; readonly item: ReportItem };

export interface RunCheckOptions {
  readonly access: GuestAccessV2;
  readonly packs: readonly LoadedPack[];
  readonly plugins?: readonly Plugin[];
  readonly config?: ResolvedConfig;
  readonly select?: RuleSelection;
  readonly onProgress?: (e: ProgressEvent) => void;
  /** Clock for `generatedAt` and waiver expiry; default now. */
  readonly now?: Date;
  readonly signal?: AbortSignal;
  /** Message locale; default `en`. */
  readonly locale?: string;
  /** Reported as `report.tool`. */
  readonly tool?: { readonly name: string; readonly version: string };
}

/** Facts the engine provides itself. `guest.os` is a fallback: a plugin's definition replaces it. */
export const BUILTIN_FACT_DEFINITIONS: readonly FactDefinition[] = [
  {
    id: 'disk.layout',
    version: '1.0.0',
    description:
      'The image layout as the access backend read it (ImageLayoutV2): disk, partitions, volumes, filesystems, OS roots.',
    schema: { type: 'object', required: ['disk', 'volumes', 'filesystems', 'roots', 'warnings'] },
  },
  {
    id: 'guest.os',
    version: '1.0.0',
    description:
      'The guest operating system for rule applicability: {os, family, distribution, version, architecture}; the built-in fallback knows only `os`, from the primary OS root.',
    schema: {
      type: 'object',
      properties: {
        os: { type: 'string' },
        family: { type: 'string' },
        distribution: { type: 'string' },
        version: { type: 'string' },
        architecture: { type: 'string' },
      },
    },
  },
];

/** A fact depending on itself (through other facts) would wait forever; the chain is capped too. */
const MAX_FACT_CHAIN = 32;

/**
 * Runs a check: opens the layout and the guest, collects only the facts the selected rules need
 * (each collector at most once), evaluates the rules, applies config and waivers.
 *
 * An image that cannot be inspected gives a report with `error` and no items. A guest that cannot
 * be assembled leaves `guest` undefined; the facts that need it become unavailable with the reason,
 * so their rules are `error`. Aborting (`signal`) rejects with the signal's reason.
 */
export async function runCheck(options: RunCheckOptions): Promise<Report> {
  const { access, packs, config, signal } = options;
  const now = options.now ?? new Date();
  const emit = (e: ProgressEvent): void => options.onProgress?.(e);
  const checkAbort = (): void => {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  };

  // Selection and the fact registry come first: a usage or pack error must not wait for the image.
  const rules = selectRules(packs, options.select ?? {}, config);
  const registry = buildRegistry(options.plugins ?? [], packs);

  emit({ type: 'stage', stage: 'open' });
  checkAbort();
  const base = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    backend: access.backend,
    generatedAt: now.toISOString(),
    ...(options.tool ? { tool: options.tool } : {}),
  };
  emit({ type: 'stage', stage: 'layout' });
  let layout: ImageLayoutV2;
  try {
    layout = await access.inspect();
  } catch (err) {
    emit({ type: 'stage', stage: 'done' });
    return {
      ...base,
      image: { path: access.imagePath },
      items: [],
      summary: summarize([]),
      tags: [],
      error: {
        code: isImagecheckError(err) ? err.code : 'engine/inspect-failed',
        message: (err as Error).message,
      },
    };
  }
  checkAbort();

  emit({ type: 'stage', stage: 'guest' });
  const { guest, guestError } = await openGuest(access, layout);
  checkAbort();

  // Facts: only those the selected rules read, plus guest.os when a rule names platforms.
  emit({ type: 'stage', stage: 'facts' });
  const needed = new Set<string>();
  for (const r of rules) {
    for (const f of r.facts) needed.add(f.id);
    if (rulePlatforms(r)) needed.add('guest.os');
  }
  const primaryRoot = layout.roots.find((r) => r.primary) ?? layout.roots[0];
  const collect = factSession({ access, layout, guest, guestError, registry, signal, emit });

  const facts: Record<string, FactResult> = Object.create(null);
  await Promise.all(
    [...needed].map(async (id) => {
      facts[id] = await collect(id);
    }),
  );
  checkAbort();

  emit({ type: 'stage', stage: 'rules' });
  const items: ReportItem[] = [];
  const imageTags: ImageTag[] = [];
  for (const rule of rules) {
    checkAbort();
    emit({ type: 'item-start', name: rule.id });
    const settings = ruleSettings(rule, config);
    let item = evaluateRule(rule, facts, {
      ...(settings.params ? { params: settings.params } : {}),
      ...(settings.riskLevel ? { riskLevel: settings.riskLevel } : {}),
      ...(options.locale ? { locale: options.locale } : {}),
    });
    if (config?.waivers.length) item = applyWaivers(item, rule, config.waivers, now);
    items.push(item);
    const tag = rule.source.imageTag;
    if (tag && item.value && (item.status === 'pass' || item.status === 'info' || item.status === 'waived')) {
      imageTags.push({ key: tag, value: item.value });
    }
    emit({ type: 'item-finish', item });
  }
  const summary = summarize(items);
  emit({ type: 'stage', stage: 'done' });
  return {
    ...base,
    image: {
      path: access.imagePath,
      format: layout.disk.format,
      virtualSize: layout.disk.virtualSize,
      ...(primaryRoot ? { os: primaryRoot.os } : {}),
    },
    items,
    summary,
    tags: summary.passed ? imageTags : [],
  };
}

export interface CollectFactsOptions {
  readonly access: GuestAccessV2;
  readonly plugins?: readonly Plugin[];
  readonly packs?: readonly LoadedPack[];
  /** Facts to collect; default every fact the plugins and packs define, but `disk.layout`. */
  readonly ids?: readonly string[];
  readonly onProgress?: (e: ProgressEvent) => void;
  readonly signal?: AbortSignal;
}

export interface CollectedFacts {
  readonly layout: ImageLayoutV2;
  /** The assembled guest, when the image has an OS root that could be assembled. */
  readonly guest: AssembledGuestV2 | undefined;
  readonly facts: Record<string, FactResult>;
}

/**
 * Collects facts without evaluating rules: what `imagecheck facts` prints. Same collectors, same
 * once-per-check memoisation and schema validation as `runCheck`.
 */
export async function collectFacts(options: CollectFactsOptions): Promise<CollectedFacts> {
  const { access, signal } = options;
  const emit = (e: ProgressEvent): void => options.onProgress?.(e);
  const registry = buildRegistry(options.plugins ?? [], options.packs ?? []);
  const layout = await access.inspect();
  const { guest, guestError } = await openGuest(access, layout);
  const collect = factSession({ access, layout, guest, guestError, registry, signal, emit });
  const ids = options.ids ?? [...registry.definitions.keys()].filter((id) => id !== 'disk.layout').sort();
  const facts: Record<string, FactResult> = Object.create(null);
  for (const id of ids) facts[id] = await collect(id);
  return { layout, guest, facts };
}

/** Assembles the guest of the primary root; a failure is kept as the reason guest facts are unavailable. */
async function openGuest(
  access: GuestAccessV2,
  layout: ImageLayoutV2,
): Promise<{ guest: AssembledGuestV2 | undefined; guestError: string | undefined }> {
  if (layout.roots.length === 0)
    return { guest: undefined, guestError: 'no operating system root was found in the image' };
  try {
    return { guest: await access.openRoot(), guestError: undefined };
  } catch (err) {
    return {
      guest: undefined,
      guestError: `${isImagecheckError(err) ? `${err.code}: ` : ''}${(err as Error).message}`,
    };
  }
}

interface FactSessionOptions {
  readonly access: GuestAccessV2;
  readonly layout: ImageLayoutV2;
  readonly guest: AssembledGuestV2 | undefined;
  readonly guestError: string | undefined;
  readonly registry: Registry;
  readonly signal?: AbortSignal | undefined;
  readonly emit: (e: ProgressEvent) => void;
}

/**
 * One check's facts: `collect(id)` runs each collector at most once (memoised), gives collectors
 * the other facts on demand, catches cycles, and validates values against their schemas.
 */
function factSession(options: FactSessionOptions): (id: string) => Promise<FactResult> {
  const { access, layout, guest, guestError, registry, signal, emit } = options;
  const memo = new Map<string, Promise<FactResult>>();
  const primaryRoot = layout.roots.find((r) => r.primary) ?? layout.roots[0];

  const builtin: Record<string, Collector> = {
    'disk.layout': {
      fact: 'disk.layout',
      collect: async () => ({
        status: 'ok',
        value: layout,
        evidence: [{ kind: 'image', path: access.imagePath }],
      }),
    },
    'guest.os': {
      fact: 'guest.os',
      collect: async () =>
        primaryRoot && primaryRoot.os !== 'unknown'
          ? {
              status: 'ok',
              value: { os: primaryRoot.os },
              evidence: [
                {
                  kind: 'filesystem',
                  filesystem: primaryRoot.filesystem,
                  note: primaryRoot.evidence.join(', '),
                },
              ],
            }
          : { status: 'unavailable', reason: 'no operating system root was recognised', evidence: [] },
    },
  };

  const collect = (id: string, chain: readonly string[]): Promise<FactResult> => {
    if (chain.includes(id)) {
      return Promise.resolve({
        status: 'unavailable',
        reason: `fact ${id} depends on itself (${[...chain, id].join(' → ')})`,
        code: 'engine/fact-cycle',
        evidence: [],
      });
    }
    if (chain.length >= MAX_FACT_CHAIN) {
      return Promise.resolve({
        status: 'unavailable',
        reason: `fact dependency chain longer than ${MAX_FACT_CHAIN}`,
        code: 'engine/fact-chain',
        evidence: [],
      });
    }
    const hit = memo.get(id);
    if (hit) return hit;
    const p = (async (): Promise<FactResult> => {
      const collector = registry.collectors.get(id) ?? builtin[id];
      if (!collector) {
        return {
          status: 'unavailable',
          reason: `no plugin provides the fact ${id}`,
          code: 'engine/unknown-fact',
          evidence: [],
        };
      }
      emit({ type: 'fact-start', id });
      const ctx: CollectContext = {
        access,
        layout,
        guest,
        fact: <T>(other: string) => collect(other, [...chain, id]) as Promise<FactResult<T>>,
        ...(signal ? { signal } : {}),
      };
      let result: FactResult;
      try {
        result = await collector.collect(ctx);
        if (result.status === 'ok') {
          const def = registry.definitions.get(id);
          const problem = def ? validateFact(def, result.value) : undefined;
          if (problem)
            result = {
              status: 'unavailable',
              reason: `the value does not match the fact's schema: ${problem}`,
              code: 'engine/fact-schema',
              evidence: result.evidence,
            };
        }
      } catch (err) {
        if (signal?.aborted) throw err;
        result = {
          status: 'unavailable',
          reason: (err as Error)?.message ?? String(err),
          ...(isImagecheckError(err) ? { code: err.code } : {}),
          evidence: [],
        };
      }
      if (result.status === 'unavailable' && guest === undefined && guestError && id !== 'disk.layout') {
        result = { ...result, reason: `${result.reason} (guest not available: ${guestError})` };
      }
      emit({ type: 'fact-finish', id, result });
      return result;
    })();
    memo.set(id, p);
    return p;
  };

  return (id) => collect(id, []);
}

interface Registry {
  readonly definitions: Map<string, FactDefinition>;
  readonly collectors: Map<string, Collector>;
}

/** Plugins' and packs' facts; a fact id provided twice is a usage error (which one would win?). */
export function buildRegistry(plugins: readonly Plugin[], packs: readonly LoadedPack[]): Registry {
  const definitions = new Map<string, FactDefinition>();
  const collectors = new Map<string, Collector>();
  const owner = new Map<string, string>();
  const add = (from: string, defs: readonly FactDefinition[], cols: readonly Collector[]): void => {
    for (const d of defs) {
      if (owner.has(d.id)) {
        throw new UsageError(
          'engine/duplicate-fact',
          `fact ${d.id} is provided by both ${owner.get(d.id)} and ${from}`,
          { data: { fact: d.id } },
        );
      }
      owner.set(d.id, from);
      definitions.set(d.id, d);
    }
    for (const c of cols) {
      if (collectors.has(c.fact)) {
        throw new UsageError('engine/duplicate-collector', `two collectors for fact ${c.fact} (in ${from})`, {
          data: { fact: c.fact },
        });
      }
      collectors.set(c.fact, c);
    }
  };
  for (const p of plugins) add(`plugin ${p.name}`, p.facts, p.collectors);
  for (const pack of packs) {
    if (pack.declaredFacts.length === 0) continue;
    const d = declaredFacts(pack.namespace, pack.declaredFacts);
    add(`pack ${pack.name}`, d.definitions, d.collectors);
  }
  for (const b of BUILTIN_FACT_DEFINITIONS) if (!definitions.has(b.id)) definitions.set(b.id, b);
  return { definitions, collectors };
}

const factValidators = new WeakMap<object, ValidateFunction | Error>();
let factAjv: Ajv2020 | undefined;

/** Checks a collected value against its definition's schema; returns the problem in words, or undefined. */
function validateFact(def: FactDefinition, value: unknown): string | undefined {
  let v = factValidators.get(def.schema);
  if (!v) {
    // Fact schemas come with plugin code, not from packs: trusted, and one error is enough.
    factAjv ??= newAjv({ strict: false, firstErrorOnly: true, trustedSchemas: true });
    try {
      v = factAjv.compile(def.schema as Record<string, unknown>);
    } catch (err) {
      v = err as Error;
    }
    factValidators.set(def.schema, v);
  }
  if (v instanceof Error) return `the fact's schema does not compile: ${v.message}`;
  if (v(value)) return undefined;
  const e = v.errors?.[0];
  return `${e?.instancePath || '/'} ${e?.message ?? 'invalid'}`;
}
