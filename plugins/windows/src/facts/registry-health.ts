import type { CollectContext, Collector, Evidence, FactDefinition, FactResult } from '@imagecheck/sdk';
import { driveLetters } from '../provider/mounted-devices.js';
import { currentControlSet, guestHive, HIVE_NAMES } from '../registry.js';
import { fileEvidence, guarded, windowsGuest } from './common.js';

/** One hive as the reader found it. */
export interface HiveState {
  readonly name: string;
  readonly path: string;
  readonly present: boolean;
  /** It opened: base block and hive bins parse. */
  readonly parsed: boolean;
  /** The reader's error code and message when it did not. */
  readonly error: string | null;
  /** Sequence numbers differ or the base block checksum is wrong. */
  readonly dirty: boolean;
  readonly dirtyReasons: readonly string[];
  /** The logs beside it replayed the missing writes in memory. */
  readonly recovered: boolean;
  /** Dirty and not recovered: values read may be stale. */
  readonly mayBeStale: boolean;
  readonly logs: readonly string[];
}

/** Value of `windows.registry`. */
export interface WindowsRegistry {
  readonly hives: readonly HiveState[];
  /** Names of the hives that are absent, do not parse, or are dirty without usable logs. */
  readonly damaged: readonly string[];
  readonly controlSet: {
    readonly current: number | null;
    readonly name: string | null;
    readonly exists: boolean;
  };
  /** `\DosDevices\X:` of SYSTEM\MountedDevices, matched to this image's partitions. */
  readonly driveLetters: readonly {
    readonly letter: string;
    readonly form: string;
    readonly partition: number | null;
    readonly filesystem: string | null;
  }[];
}

export const registryFact: FactDefinition = {
  id: 'windows.registry',
  version: '1.0.0',
  description:
    'The state of the five system hives (SYSTEM, SOFTWARE, SAM, SECURITY, DEFAULT in System32\\config): present, parsed (base block checksum, hive bins), dirty (sequence numbers differ or bad checksum), recovered from their .LOG1/.LOG2; CurrentControlSet as SYSTEM\\Select\\Current names it; and the drive letters of SYSTEM\\MountedDevices matched to this image.',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['hives', 'damaged', 'controlSet', 'driveLetters'],
    properties: {
      hives: {
        type: 'array',
        items: {
          type: 'object',
          required: [
            'name',
            'path',
            'present',
            'parsed',
            'error',
            'dirty',
            'dirtyReasons',
            'recovered',
            'mayBeStale',
            'logs',
          ],
          properties: {
            name: { type: 'string' },
            path: { type: 'string' },
            present: { type: 'boolean' },
            parsed: { type: 'boolean' },
            error: { type: ['string', 'null'] },
            dirty: { type: 'boolean' },
            dirtyReasons: { type: 'array', items: { type: 'string' } },
            recovered: { type: 'boolean' },
            mayBeStale: { type: 'boolean' },
            logs: { type: 'array', items: { type: 'string' } },
          },
        },
      },
      damaged: { type: 'array', items: { type: 'string' } },
      controlSet: {
        type: 'object',
        required: ['current', 'name', 'exists'],
        properties: {
          current: { type: ['integer', 'null'] },
          name: { type: ['string', 'null'] },
          exists: { type: 'boolean' },
        },
      },
      driveLetters: {
        type: 'array',
        items: {
          type: 'object',
          required: ['letter', 'form', 'partition', 'filesystem'],
          properties: {
            letter: { type: 'string' },
            form: { enum: ['mbr', 'gpt', 'unknown'] },
            partition: { type: ['integer', 'null'] },
            filesystem: { type: ['string', 'null'] },
          },
        },
      },
    },
  },
};

async function collect(ctx: CollectContext): Promise<FactResult<WindowsRegistry>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsRegistry>(async () => {
    const hives: HiveState[] = [];
    const evidence: Evidence[] = [];
    for (const name of HIVE_NAMES) {
      const l = await guestHive(w.tree, w.systemRoot, name);
      const info = l.hive?.info;
      const state: HiveState = {
        name,
        path: l.path,
        present: !l.absent,
        parsed: l.hive !== null,
        error: l.error ? `${l.error.code}: ${l.error.message}` : null,
        dirty: info?.dirty ?? false,
        dirtyReasons: info?.dirtyReasons ?? [],
        recovered: info?.recovered ?? false,
        mayBeStale: info?.mayBeStale ?? false,
        logs: l.logs,
      };
      hives.push(state);
      const note = !state.present
        ? 'absent'
        : !state.parsed
          ? `does not parse: ${state.error}`
          : state.mayBeStale
            ? `dirty (${state.dirtyReasons.join(', ')}), not recovered`
            : state.recovered
              ? 'dirty, recovered from its logs'
              : 'clean';
      evidence.push(fileEvidence(l.path, note));
    }
    const damaged = hives.filter((h) => !h.parsed || h.mayBeStale).map((h) => h.name);
    const system = (await guestHive(w.tree, w.systemRoot, 'SYSTEM')).hive;
    const ccs = system ? currentControlSet(system) : null;
    const letters = system ? driveLetters(system, ctx.layout) : [];
    return {
      status: 'ok',
      value: {
        hives,
        damaged,
        controlSet: { current: ccs?.current ?? null, name: ccs?.name ?? null, exists: ccs?.key != null },
        driveLetters: letters.map((l) => ({
          letter: l.letter,
          form: l.identity.form,
          partition: l.partition,
          filesystem: l.filesystem,
        })),
      },
      evidence,
    };
  });
}

export const registryCollector: Collector<WindowsRegistry> = { fact: 'windows.registry', collect };
