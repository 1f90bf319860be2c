import {
  type CollectContext,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  Nullable,
  type Static,
  Type,
} from '@imagecheck/sdk';
import { driveLetters } from '../provider/mounted-devices.js';
import { currentControlSet, guestHive, HIVE_NAMES } from '../registry.js';
import { fileEvidence, guarded, windowsGuest } from './common.js';

const hiveState = Type.Object({
  name: Type.String(),
  path: Type.String(),
  present: Type.Boolean(),
  parsed: Type.Boolean({ description: 'It opened: base block and hive bins parse.' }),
  error: Nullable(Type.String({ description: "The reader's error code and message when it did not." })),
  dirty: Type.Boolean({ description: 'Sequence numbers differ or the base block checksum is wrong.' }),
  dirtyReasons: Type.Array(Type.Enum(['sequence-mismatch', 'bad-checksum'])),
  recovered: Type.Boolean({ description: 'The logs beside it replayed the missing writes in memory.' }),
  mayBeStale: Type.Boolean({ description: 'Dirty and not recovered: values read may be stale.' }),
  logs: Type.Array(Type.String()),
});

/** One hive as the reader found it. */
export type HiveState = Static<typeof hiveState>;

export const registryFact = defineFact({
  id: 'windows.registry',
  version: '1.0.0',
  description:
    'The state of the five system hives (SYSTEM, SOFTWARE, SAM, SECURITY, DEFAULT in System32\\config): present, parsed (base block checksum, hive bins), dirty (sequence numbers differ or bad checksum), recovered from their .LOG1/.LOG2; CurrentControlSet as SYSTEM\\Select\\Current names it; and the drive letters of SYSTEM\\MountedDevices matched to this image.',
  schema: Type.Object({
    hives: Type.Array(hiveState),
    damaged: Type.Array(Type.String(), {
      description: 'Names of the hives that are absent, do not parse, or are dirty without usable logs.',
    }),
    controlSet: Type.Object({
      current: Nullable(Type.Integer()),
      name: Nullable(Type.String()),
      exists: Type.Boolean(),
    }),
    driveLetters: Type.Array(
      Type.Object({
        letter: Type.String({ pattern: '^[A-Z]$', description: 'The drive letter, upper case.' }),
        form: Type.Enum(['mbr', 'gpt', 'unknown']),
        partition: Nullable(Type.Integer()),
        filesystem: Nullable(Type.String()),
      }),
      { description: "`\\DosDevices\\X:` of SYSTEM\\MountedDevices, matched to this image's partitions." },
    ),
  }),
});

/** Value of `windows.registry`. */
export type WindowsRegistry = FactValue<typeof registryFact>;

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
        logs: [...l.logs],
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

export const registryCollector = defineCollector(registryFact, collect);
