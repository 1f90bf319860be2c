import type { GuestAccessV2, ImageLayoutV2 } from '@imagecheck/access';
import { InternalError, isImagecheckError, isInternalError, UsageError } from '@imagecheck/access';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { applyWaivers, ruleSettings } from '../config/apply.js';
import type { ResolvedConfig } from '../config/types.js';
import { BUILTIN_FACT_DEFINITIONS } from '../facts/builtin.js';
import { declaredFacts } from '../facts/declared/index.js';
import type { FactKey } from '../facts/define.js';
import type { CollectContext, Collector, FactDefinition, FactResult, Plugin } from '../facts/types.js';
import { assembleGuest, FilesystemOpener, findRoots } from '../guest/roots.js';
import type { AssembledGuest, GuestOs, OsProvider, OsRoot } from '../guest/types.js';
import { createReport, unopenedReport } from '../report/create.js';
import type { ImageTag, Report, ReportItem, ReportTool } from '../report/types.js';
import { SDK_VERSION } from '../rules/loader.js';
import { newAjv } from '../rules/schemas.js';
import type { LoadedPack } from '../rules/types.js';
import { evaluateRule, platformMismatch, rulePlatforms } from './evaluate.js';
import { type RuleSelection, selectRules } from './select.js';

export type ProgressStage = 'open' | 'layout' | 'guest' | 'facts' | 'rules' | 'done';

/** Progress of one check, for the dashboard and the CLI. Items finish in selection order. */
export type ProgressEvent =
  | { readonly type: 'stage'; readonly stage: ProgressStage }
  /** The OS roots found, once the layout is read: every one is checked, the primary first. */
  | { readonly type: 'roots'; readonly roots: readonly OsRoot[] }
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
  /** Reported as `report.tool`; default the SDK itself, for an application that names no tool. */
  readonly tool?: ReportTool;
}

export { BUILTIN_FACT_DEFINITIONS } from '../facts/builtin.js';

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
  const tool = options.tool ?? { name: '@imagecheck/sdk', version: SDK_VERSION };
  emit({ type: 'stage', stage: 'layout' });
  let image: OpenedImage;
  try {
    image = await openImageRoots(access, providers(options.plugins));
  } catch (err) {
    if (!isImagecheckError(err) || !err.userFacing) throw err;
    emit({ type: 'stage', stage: 'done' });
    return unopenedReport({ imagePath: access.imagePath, backend: access.backend, tool, error: err, now });
  }
  checkAbort();
  const { layout, roots } = image;
  const primaryRoot = roots.find((r) => r.primary);
  emit({ type: 'roots', roots });

  // Whether any rule is for some OSes only: then a root's guest.os decides which rules are about it.
  const platformBound = rules.some((r) => rulePlatforms(r) !== undefined);

  // Every root is checked; the primary first. An image without a root is checked once, so that
  // the items that need no guest (the layout, SystemImage) still decide.
  const targets: (OsRoot | undefined)[] =
    roots.length === 0 ? [undefined] : [...roots].sort((a, b) => Number(b.primary) - Number(a.primary));
  const items: ReportItem[] = [];
  const imageTags: ImageTag[] = [];
  for (const root of targets) {
    emit({ type: 'stage', stage: 'guest' });
    const { guest, guestError } = await image.guestOf(root);
    checkAbort();

    emit({ type: 'stage', stage: 'facts' });
    const collect = factSession({
      access,
      layout,
      roots,
      root,
      guest,
      guestError,
      registry,
      image,
      signal,
      emit,
    });
    const facts: Record<string, FactResult> = Object.create(null);
    // guest.os first: a rule for another OS than this root's is not about this root. It is left
    // out, not reported as skipped (a Windows image does not list every Linux item, and vice
    // versa), and the facts only it reads are never collected.
    if (root !== undefined && platformBound) facts['guest.os'] = await collect('guest.os');
    const rootRules =
      root === undefined ? rules : rules.filter((rule) => !notForThisRoot(rule, facts['guest.os']));
    // Facts: only those this root's rules read, plus guest.os when a rule names platforms.
    const needed = new Set<string>();
    for (const r of rootRules) {
      for (const f of r.facts) needed.add(f.id);
      if (rulePlatforms(r)) needed.add('guest.os');
    }
    await Promise.all(
      [...needed]
        .filter((id) => !(id in facts))
        .map(async (id) => {
          facts[id] = await collect(id);
        }),
    );
    checkAbort();

    emit({ type: 'stage', stage: 'rules' });
    for (const rule of rootRules) {
      checkAbort();
      emit({ type: 'item-start', name: rule.id });
      const settings = ruleSettings(rule, config);
      let item = evaluateRule(rule, facts, {
        ...(settings.params ? { params: settings.params } : {}),
        ...(settings.riskLevel ? { riskLevel: settings.riskLevel } : {}),
        ...(options.locale ? { locale: options.locale } : {}),
      });
      if (config?.waivers.length) item = applyWaivers(item, rule, config.waivers, now);
      if (root !== undefined && targets.length > 1) item = { ...item, root: root.id };
      items.push(item);
      const tag = rule.source.imageTag;
      if (
        root === primaryRoot &&
        tag &&
        item.value &&
        (item.status === 'pass' || item.status === 'info' || item.status === 'waived')
      ) {
        imageTags.push({ key: tag, value: item.value });
      }
      emit({ type: 'item-finish', item });
    }
  }
  emit({ type: 'stage', stage: 'done' });
  const report = createReport({
    image: {
      path: access.imagePath,
      format: layout.disk.format,
      virtualSize: layout.disk.virtualSize,
      ...(primaryRoot ? { os: primaryRoot.os } : {}),
    },
    backend: access.backend,
    tool,
    roots: roots.map(({ id, filesystem, os, primary }) => ({ id, filesystem, os, primary })),
    items,
    now,
  });
  // Tags describe an image that is ready; one that is not earns none.
  return report.summary.passed ? { ...report, tags: imageTags } : report;
}

/** Whether `guest.os` says the rule's platforms exclude this root. */
function notForThisRoot(rule: LoadedPack['rules'][number], os: FactResult | undefined): boolean {
  const platforms = rulePlatforms(rule);
  if (!platforms || os?.status !== 'ok' || os.value === null || typeof os.value !== 'object') return false;
  return platformMismatch(platforms, os.value as GuestOs) !== undefined;
}

function providers(plugins: readonly Plugin[] | undefined): OsProvider[] {
  return (plugins ?? []).flatMap((p) => p.osProviders ?? []);
}

/** An inspected image: its layout (with the warnings root finding added), its roots, and their guests. */
interface OpenedImage {
  readonly layout: ImageLayoutV2;
  readonly roots: readonly OsRoot[];
  readonly providers: readonly OsProvider[];
  guestOf(
    root: OsRoot | undefined,
  ): Promise<{ guest: AssembledGuest | undefined; guestError: string | undefined }>;
}

/**
 * Reads the layout and finds the OS roots with the plugins' providers. A user-facing error of
 * `inspect()` (an unreadable image) rejects; damage found while looking for roots becomes a layout
 * warning. Assembling a root's guest is deferred until a check asks for it; its failure is kept as
 * the reason the guest's facts are unavailable.
 */
async function openImageRoots(
  access: GuestAccessV2,
  osProviders: readonly OsProvider[],
): Promise<OpenedImage> {
  const inspected = await access.inspect();
  const opener = new FilesystemOpener(access, inspected);
  const roots = await findRoots(inspected, osProviders, opener, access);
  const layout: ImageLayoutV2 =
    opener.warnings.length === 0
      ? inspected
      : { ...inspected, warnings: [...inspected.warnings, ...opener.warnings] };
  return {
    layout,
    roots,
    providers: osProviders,
    async guestOf(root) {
      if (root === undefined)
        return { guest: undefined, guestError: 'no operating system root was found in the image' };
      try {
        return { guest: await assembleGuest(inspected, root, osProviders, opener), guestError: undefined };
      } catch (err) {
        if (!isImagecheckError(err) || !err.userFacing) throw err;
        return { guest: undefined, guestError: `${err.code}: ${err.message}` };
      }
    },
  };
}

export interface CollectFactsOptions {
  readonly access: GuestAccessV2;
  readonly plugins?: readonly Plugin[];
  readonly packs?: readonly LoadedPack[];
  /** Facts to collect; default every fact the plugins and packs define, but `disk.layout`. */
  readonly ids?: readonly string[];
  /** The root whose facts to collect (`OsRoot.id`); default the primary one. */
  readonly root?: string;
  readonly onProgress?: (e: ProgressEvent) => void;
  readonly signal?: AbortSignal;
}

export interface CollectedFacts {
  readonly layout: ImageLayoutV2;
  /** Every OS root found. */
  readonly roots: readonly OsRoot[];
  /** The assembled guest of the chosen root, when it could be assembled. */
  readonly guest: AssembledGuest | undefined;
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
  const image = await openImageRoots(access, providers(options.plugins));
  const { layout, roots } = image;
  const root =
    options.root === undefined ? roots.find((r) => r.primary) : roots.find((r) => r.id === options.root);
  if (options.root !== undefined && root === undefined) {
    throw new UsageError('engine/unknown-root', `no OS root ${options.root} in ${access.imagePath}`, {
      data: { root: options.root, known: roots.map((r) => r.id) },
    });
  }
  const { guest, guestError } = await image.guestOf(root);
  const collect = factSession({
    access,
    layout,
    roots,
    root,
    guest,
    guestError,
    registry,
    image,
    signal,
    emit,
  });
  const ids = options.ids ?? [...registry.definitions.keys()].filter((id) => id !== 'disk.layout').sort();
  const facts: Record<string, FactResult> = Object.create(null);
  for (const id of ids) facts[id] = await collect(id);
  return { layout, roots, guest, facts };
}

export interface InspectedGuest {
  readonly layout: ImageLayoutV2;
  readonly roots: readonly OsRoot[];
  /** The chosen root (the primary one unless `root` was given); absent when the image has none. */
  readonly root: OsRoot | undefined;
  /** Its assembled guest; absent when there is no root or it could not be assembled (`guestError` says why). */
  readonly guest: AssembledGuest | undefined;
  readonly guestError: string | undefined;
}

/**
 * Reads the layout, finds the OS roots with the plugins' providers and assembles one root's
 * guest, as `runCheck` does: for `imagecheck ls`/`cat`, and for tests that need the guest a
 * check would see. `root` picks a root by id (`UsageError` when there is none such).
 */
export async function inspectGuest(
  access: GuestAccessV2,
  options: { readonly plugins?: readonly Plugin[]; readonly root?: string } = {},
): Promise<InspectedGuest> {
  const image = await openImageRoots(access, providers(options.plugins));
  const { layout, roots } = image;
  const root =
    options.root === undefined ? roots.find((r) => r.primary) : roots.find((r) => r.id === options.root);
  if (options.root !== undefined && root === undefined) {
    throw new UsageError('engine/unknown-root', `no OS root ${options.root} in ${access.imagePath}`, {
      data: { root: options.root, known: roots.map((r) => r.id) },
    });
  }
  const { guest, guestError } = await image.guestOf(root);
  return { layout, roots, root, guest, guestError };
}

interface FactSessionOptions {
  readonly access: GuestAccessV2;
  readonly layout: ImageLayoutV2;
  readonly roots: readonly OsRoot[];
  readonly root: OsRoot | undefined;
  readonly image: OpenedImage;
  readonly guest: AssembledGuest | undefined;
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
  const { access, layout, roots, root, image, guest, guestError, registry, signal, emit } = options;
  const memo = new Map<string, Promise<FactResult>>();

  const builtin: Record<string, Collector> = {
    'disk.layout': {
      fact: 'disk.layout',
      collect: async () => ({
        status: 'ok',
        value: { ...layout, roots },
        evidence: [{ kind: 'image', path: access.imagePath }],
      }),
    },
    'guest.os': {
      fact: 'guest.os',
      collect: async (ctx) => {
        if (root === undefined || root.os === 'unknown') {
          return { status: 'unavailable', reason: 'no operating system root was recognised', evidence: [] };
        }
        const provider = image.providers.find((p) => p.os === root.os);
        if (provider?.describe !== undefined) return provider.describe(ctx);
        return {
          status: 'ok',
          value: { os: root.os },
          evidence: [{ kind: 'filesystem', filesystem: root.filesystem, note: root.evidence.join(', ') }],
        };
      },
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
      const collector = builtin[id] ?? registry.collectors.get(id);
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
        roots,
        root,
        guest,
        fact: <T>(other: FactKey<T> | string) =>
          collect(typeof other === 'string' ? other : other.id, [...chain, id]) as Promise<FactResult<T>>,
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
        // A bug (a TypeError, reader misuse) is not a finding about the image: it ends the check.
        if (isInternalError(err)) throw asCollectorBug(id, err);
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

/**
 * A collector's bug, kept as it is when it is already one of ours (it names its code); anything
 * else (a TypeError) is wrapped so the report names the fact, with the original as `cause`.
 */
function asCollectorBug(id: string, err: unknown): unknown {
  if (isImagecheckError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError('engine/collector-bug', `the collector of ${id} threw: ${message}`, {
    data: { fact: id },
    cause: err,
  });
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
  const handlers = plugins.flatMap((p) => p.declaredSources ?? []);
  for (const pack of packs) {
    if (pack.declaredFacts.length === 0) continue;
    const d = declaredFacts(pack.namespace, pack.declaredFacts, handlers);
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
