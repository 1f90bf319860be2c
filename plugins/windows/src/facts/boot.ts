import {
  type CollectContext,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  type GuestTreeV2,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { fileEvidence, fileExists, guarded, NO_GUEST, unavailable } from './common.js';
import { bootPartitions } from './system-partitions.js';

const firmwareNote = Nullable(
  Type.String({ description: 'Why the partition could not be looked at, or is missing.' }),
);

export const bootFact = defineFact({
  id: 'windows.boot',
  version: '1.0.0',
  description:
    'How firmware would boot this Windows image: BIOS (the active MBR partition holding bootmgr and Boot\\BCD) and UEFI (an EFI system partition holding EFI\\Microsoft\\Boot\\bootmgfw.efi and BCD, and the EFI\\Boot fallback loader); `mode` is bios, uefi, both or none.',
  schema: Type.Object({
    mode: Type.Enum(['bios', 'uefi', 'both', 'none'], {
      description:
        '`bios` when the active partition holds bootmgr, `uefi` when an ESP holds bootmgfw.efi, `both`, or `none`.',
    }),
    bios: Type.Object({
      partition: Nullable(
        Type.Integer({ description: 'The active MBR partition, null on GPT or when none is active.' }),
      ),
      filesystem: Nullable(Type.String()),
      bootmgr: Type.Boolean(),
      bcd: Type.Boolean(),
      note: firmwareNote,
    }),
    uefi: Type.Object({
      partition: Nullable(Type.Integer({ description: 'The first ESP, null when there is none.' })),
      filesystem: Nullable(Type.String()),
      bootmgfw: Type.Boolean({ description: '`EFI\\Microsoft\\Boot\\bootmgfw.efi`.' }),
      bcd: Type.Boolean({ description: '`EFI\\Microsoft\\Boot\\BCD`.' }),
      fallback: Type.Boolean({
        description: 'The removable-media fallback `EFI\\Boot\\bootx64.efi` (or bootia32/bootaa64).',
      }),
      note: firmwareNote,
    }),
  }),
});

/** Value of `windows.boot`: what firmware finds to boot Windows with. */
export type WindowsBoot = FactValue<typeof bootFact>;

async function collect(ctx: CollectContext): Promise<FactResult<WindowsBoot>> {
  // The boot partitions are looked at for a Windows root only: on another OS's root they are that OS's business.
  if (ctx.root?.os !== 'windows')
    return unavailable(ctx.root ? `the root ${ctx.root.id} is ${ctx.root.os}, not Windows` : NO_GUEST);
  return guarded<WindowsBoot>(async () => {
    const parts = await bootPartitions(ctx);
    const evidence: Evidence[] = [];
    const sys = parts.find((p) => p.firmware === 'bios');
    const esp = parts.find((p) => p.firmware === 'uefi');
    const has = async (t: GuestTreeV2 | null, path: string, fs: string | null) => {
      if (t === null) return false;
      const ok = await fileExists(t, path);
      evidence.push(fileEvidence(path, ok ? 'present' : 'absent', fs ?? undefined));
      return ok;
    };
    const bootmgr = sys ? await has(sys.tree, '/bootmgr', sys.filesystem) : false;
    const biosBcd = sys ? await has(sys.tree, '/Boot/BCD', sys.filesystem) : false;
    const bootmgfw = esp ? await has(esp.tree, '/EFI/Microsoft/Boot/bootmgfw.efi', esp.filesystem) : false;
    const uefiBcd = esp ? await has(esp.tree, '/EFI/Microsoft/Boot/BCD', esp.filesystem) : false;
    let fallback = false;
    if (esp?.tree) {
      for (const f of ['bootx64.efi', 'bootia32.efi', 'bootaa64.efi']) {
        if (await fileExists(esp.tree, `/EFI/Boot/${f}`)) fallback = true;
      }
    }
    const mode = bootmgr && bootmgfw ? 'both' : bootmgr ? 'bios' : bootmgfw ? 'uefi' : 'none';
    if (!sys && !esp) {
      evidence.push({ kind: 'image', note: 'no active MBR partition and no EFI system partition' });
    }
    return {
      status: 'ok',
      value: {
        mode,
        bios: {
          partition: sys?.partition.number ?? null,
          filesystem: sys?.filesystem ?? null,
          bootmgr,
          bcd: biosBcd,
          note: sys
            ? sys.reason
            : ctx.layout.disk.partitionTable === 'mbr'
              ? 'no active partition'
              : 'not an MBR disk',
        },
        uefi: {
          partition: esp?.partition.number ?? null,
          filesystem: esp?.filesystem ?? null,
          bootmgfw,
          bcd: uefiBcd,
          fallback,
          note: esp ? esp.reason : 'no EFI system partition',
        },
      },
      evidence,
    };
  });
}

export const bootCollector = defineCollector(bootFact, collect);
