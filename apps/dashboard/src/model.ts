import type {
  FactResult,
  LoadedRule,
  ProgressEvent,
  ProgressStage,
  Report,
  ReportItem,
  RiskLevel,
} from '@imagecheck/sdk';

/**
 * The dashboard's state of one image's check, built only from what the SDK reports: the header
 * the runner reads first, then `runCheck`'s progress events, then the report. Pure functions, so
 * the live view can be tested event by event without a terminal.
 */

/** An item the check will produce, known before it runs (from the selected rules). */
export interface PlannedItem {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly riskLevel: RiskLevel;
  /** The facts the rule reads: it is "in flight" while they are being collected. */
  readonly facts: readonly string[];
  /** The OSes the rule is for (`linux`, `windows`); absent: every OS. */
  readonly platforms?: readonly string[];
}

/** What the runner knows of the image before the facts: from the access backend's `inspect()`. */
export interface ImageHeader {
  readonly format?: string;
  readonly virtualSize?: number;
  readonly backend?: string;
  readonly os?: string;
}

export type ImagePhase = 'waiting' | 'running' | 'done' | 'failed';

export interface ImageState {
  readonly path: string;
  readonly phase: ImagePhase;
  readonly header: ImageHeader;
  readonly stage: ProgressStage | undefined;
  /** Facts started and finished, by id. */
  readonly factsStarted: readonly string[];
  readonly factsFinished: Readonly<Record<string, FactResult['status']>>;
  /** Detected guest: distribution and version (from `guest.os`), kernel (from the kernel item). */
  readonly guest: { readonly os?: string; readonly kernel?: string };
  /** Finished items in the engine's order; they never change once here. */
  readonly items: readonly ReportItem[];
  readonly report: Report | undefined;
  /** The OS of each root the providers found (the `roots` event); undefined until then. */
  readonly rootOses?: readonly string[];
  /** Why the image could not be checked at all (open or inspect failed). */
  readonly error: { readonly code: string; readonly message: string } | undefined;
}

/** The stages shown in the progress panel, with the words a person reads. */
export const STAGES: readonly { readonly stage: ProgressStage; readonly label: string }[] = [
  { stage: 'open', label: 'open' },
  { stage: 'layout', label: 'partitions' },
  { stage: 'guest', label: 'filesystems' },
  { stage: 'facts', label: 'facts' },
  { stage: 'rules', label: 'rules' },
];

const STAGE_INDEX: Readonly<Record<ProgressStage, number>> = {
  open: 0,
  layout: 1,
  guest: 2,
  facts: 3,
  rules: 4,
  done: 5,
};

export function stageIndex(stage: ProgressStage | undefined): number {
  return stage === undefined ? -1 : STAGE_INDEX[stage];
}

/** Items named after these carry the kernel version and OS in their value (CHECKS.md). */
const KERNEL_ITEM = 'GUESTOS.KernelVersion';
const OS_VERSION_ITEM = 'GUESTOS.OSVersion';

export function initialImage(path: string): ImageState {
  return {
    path,
    phase: 'waiting',
    header: {},
    stage: undefined,
    factsStarted: [],
    factsFinished: {},
    guest: {},
    items: [],
    report: undefined,
    error: undefined,
  };
}

export function startImage(s: ImageState): ImageState {
  return { ...s, phase: 'running' };
}

export function withHeader(s: ImageState, header: ImageHeader): ImageState {
  return { ...s, header: { ...s.header, ...header } };
}

/** Folds one progress event into the state. Unknown event types are ignored (newer SDKs). */
export function applyEvent(s: ImageState, e: ProgressEvent): ImageState {
  switch (e.type) {
    case 'stage':
      return { ...s, stage: e.stage };
    case 'fact-start':
      return s.factsStarted.includes(e.id) ? s : { ...s, factsStarted: [...s.factsStarted, e.id] };
    case 'fact-finish': {
      const next = { ...s, factsFinished: { ...s.factsFinished, [e.id]: e.result.status } };
      if (e.id === 'guest.os' && e.result.status === 'ok') {
        const os = describeGuestOs(e.result.value);
        if (os !== undefined) return { ...next, guest: { ...next.guest, os } };
      }
      return next;
    }
    case 'roots': {
      const next = { ...s, rootOses: e.roots.map((r) => r.os) };
      const primary = e.roots.find((r) => r.primary);
      return primary === undefined || primary.os === 'unknown' ? next : withHeader(next, { os: primary.os });
    }
    case 'item-start':
      return s;
    case 'item-finish':
      return { ...s, items: [...s.items, e.item], guest: guestFromItem(s.guest, e.item) };
    default:
      return s;
  }
}

/** The final report replaces what the events built: it is the answer. */
export function finishImage(s: ImageState, report: Report): ImageState {
  let guest = s.guest;
  for (const item of report.items) guest = guestFromItem(guest, item);
  return {
    ...s,
    phase: report.error ? 'failed' : 'done',
    stage: 'done',
    report,
    items: report.items,
    error: report.error,
    guest:
      guest.os === undefined && report.image.os !== undefined ? { ...guest, os: report.image.os } : guest,
    header: {
      ...s.header,
      ...(report.image.format !== undefined ? { format: report.image.format } : {}),
      ...(report.image.virtualSize !== undefined ? { virtualSize: report.image.virtualSize } : {}),
      backend: report.backend,
    },
  };
}

export function failImage(s: ImageState, error: { code: string; message: string }): ImageState {
  return { ...s, phase: 'failed', stage: 'done', error };
}

function guestFromItem(guest: ImageState['guest'], item: ReportItem): ImageState['guest'] {
  const value = item.value.trim();
  if (value === '' || item.status === 'error' || item.status === 'skipped') return guest;
  if (item.name === KERNEL_ITEM) return { ...guest, kernel: value };
  if (item.name === OS_VERSION_ITEM) return { ...guest, os: value };
  return guest;
}

/** `{os: 'linux', distribution: 'debian', version: '12'}` → `debian 12`; only `os` → `linux`. */
function describeGuestOs(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const str = (k: string): string | undefined =>
    typeof v[k] === 'string' && v[k] !== '' ? (v[k] as string) : undefined;
  const name = [str('distribution') ?? str('family') ?? str('os'), str('version')].filter(Boolean).join(' ');
  return name === '' ? undefined : name;
}

/** The planned items still to finish, each with whether its facts are being collected. */
/**
 * The planned items that are about this image: once its roots are known, a rule for another OS
 * than any root's is left out, as the engine leaves it out of the report (a Linux image shows no
 * Windows row, and vice versa). An image without a root keeps every item.
 */
export function planFor(s: ImageState, plan: readonly PlannedItem[]): readonly PlannedItem[] {
  const oses = s.rootOses;
  if (oses === undefined || oses.length === 0) return plan;
  return plan.filter((p) => p.platforms === undefined || p.platforms.some((os) => oses.includes(os)));
}

export function inFlight(
  s: ImageState,
  plan: readonly PlannedItem[],
): { readonly item: PlannedItem; readonly factsDone: number }[] {
  const finished = new Set(s.items.map((i) => i.name));
  return planFor(s, plan)
    .filter((p) => !finished.has(p.name))
    .map((item) => ({ item, factsDone: item.facts.filter((f) => s.factsFinished[f] !== undefined).length }));
}

/**
 * How far the check is, 0..1: the stages before facts weigh a little, facts and items the rest,
 * because that is where the time goes on a real image.
 */
export function progressFraction(s: ImageState, allPlanned: readonly PlannedItem[]): number {
  if (s.phase === 'done' || s.phase === 'failed') return 1;
  const plan = planFor(s, allPlanned);
  const idx = stageIndex(s.stage);
  if (idx < 0) return 0;
  const early = Math.min(idx, 3) * 0.05;
  // Only the planned facts count: facts they read in turn (guest.os reads linux.osRelease) start
  // later and would move the bar back if they grew the total.
  const neededFacts = new Set(plan.flatMap((p) => p.facts));
  const factsTotal = Math.max(neededFacts.size, 1);
  const factsDone = Object.keys(s.factsFinished).filter((id) => neededFacts.has(id)).length;
  const facts = idx >= 4 ? 1 : idx === 3 ? Math.min(factsDone / factsTotal, 1) : 0;
  const items = plan.length === 0 ? (idx >= 4 ? 1 : 0) : Math.min(s.items.length / plan.length, 1);
  return Math.min(0.15 + 0.55 * facts + 0.3 * items, 0.99) * (idx >= 3 ? 1 : 0) + (idx < 3 ? early : 0);
}

/** The planned items of the rules a check will run, in the engine's order. */
export function planFromRules(rules: readonly LoadedRule[]): PlannedItem[] {
  return rules.map((r) => ({
    name: r.id,
    title: r.title,
    description: r.description,
    riskLevel: r.riskLevel,
    facts: r.facts.map((f) => f.id),
    ...(r.source.applicability?.platforms
      ? { platforms: r.source.applicability.platforms.map((p) => p.os) }
      : {}),
  }));
}
