import { RegType, regTypeName } from '@imagecheck/formats';
import {
  type CollectContext,
  defineCollector,
  defineFact,
  type FactResult,
  type FactValue,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { numberOf, regEvidence } from '../registry.js';
import { guarded, requireControlSet, windowsGuest } from './common.js';

export const rtcFact = defineFact({
  id: 'windows.rtc',
  version: '1.0.0',
  description:
    'How Windows reads the hardware clock: CurrentControlSet\\Control\\TimeZoneInformation\\RealTimeIsUniversal. A DWORD (or, on 64-bit Windows, QWORD) 1 means UTC; absent, 0 or REG_NONE means local time.',
  schema: Type.Object({
    present: Type.Boolean(),
    type: Nullable(
      Type.String({
        description: 'The registry type name (`REG_DWORD`, `REG_QWORD`, `REG_NONE`...), null when absent.',
      }),
    ),
    value: Nullable(Type.Integer({ description: 'The number stored, null when absent or not a number.' })),
    mode: Type.Enum(['UTC', 'LOCAL'], {
      description:
        '`UTC` when the value is a DWORD or QWORD 1, else `LOCAL` (virt-v2v convert_windows.ml reads it so).',
    }),
    key: Type.String(),
  }),
});

/** Value of `windows.rtc`: `RealTimeIsUniversal` as stored, and how Windows reads the clock with it. */
export type WindowsRtc = FactValue<typeof rtcFact>;

async function collect(ctx: CollectContext): Promise<FactResult<WindowsRtc>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsRtc>(async () => {
    const s = await requireControlSet(w);
    if (!s.ok) return s.result;
    const keyPath = `${s.ccs.name}\\Control\\TimeZoneInformation`;
    const v = s.hive.key(keyPath)?.value('RealTimeIsUniversal') ?? null;
    const n = v ? numberOf(v) : null;
    const utc = v !== null && (v.type === RegType.REG_DWORD || v.type === RegType.REG_QWORD) && n === 1;
    return {
      status: 'ok',
      value: {
        present: v !== null,
        type: v ? regTypeName(v.type) : null,
        value: n,
        mode: utc ? 'UTC' : 'LOCAL',
        key: `HKLM\\SYSTEM\\${keyPath}`,
      },
      evidence: [
        regEvidence(
          'SYSTEM',
          keyPath,
          'RealTimeIsUniversal',
          v,
          v === null ? 'absent: local time' : undefined,
        ),
      ],
    };
  });
}

export const rtcCollector = defineCollector(rtcFact, collect);
