import {
  type CollectContext,
  defineCollector,
  defineFact,
  type FactResult,
  type FactValue,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { regEvidence, stringOf } from '../registry.js';
import { guarded, requireControlSet, windowsGuest } from './common.js';
import { kernelFact } from './kernel.js';

export const architectureFact = defineFact({
  id: 'windows.architecture',
  version: '1.0.0',
  description:
    "The guest's processor architecture from two places: PROCESSOR_ARCHITECTURE in CurrentControlSet\\Control\\Session Manager\\Environment, and the PE machine field of System32\\ntoskrnl.exe; `architecture` is the kernel's when known.",
  schema: Type.Object({
    registry: Nullable(
      Type.String({
        description: 'PROCESSOR_ARCHITECTURE as stored (`AMD64`, `x86`, `ARM64`), null when absent.',
      }),
    ),
    registryArchitecture: Nullable(
      Type.String({
        description:
          "The same in imagecheck's names (`x86_64`, `i386`, `arm64`), null when absent or unknown.",
      }),
    ),
    kernelArchitecture: Nullable(
      Type.String({
        description: "ntoskrnl.exe's PE machine (`x86_64`, `i386`, `arm64`), null when the kernel is absent.",
      }),
    ),
    architecture: Nullable(
      Type.String({ description: "The kernel's when known (it is what runs), else the registry's." }),
    ),
  }),
});

/** Value of `windows.architecture`. */
export type WindowsArchitecture = FactValue<typeof architectureFact>;

/** PROCESSOR_ARCHITECTURE values Windows writes, in imagecheck's (and the PE reader's) names. */
const REGISTRY_ARCH: Record<string, string> = {
  AMD64: 'x86_64',
  X86: 'i386',
  ARM64: 'arm64',
  IA64: 'ia64',
  ARM: 'armnt',
};

async function collect(ctx: CollectContext): Promise<FactResult<WindowsArchitecture>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsArchitecture>(async () => {
    const s = await requireControlSet(w);
    if (!s.ok) return s.result;
    const keyPath = `${s.ccs.name}\\Control\\Session Manager\\Environment`;
    const v = s.hive.key(keyPath)?.value('PROCESSOR_ARCHITECTURE') ?? null;
    const registry = stringOf(v);
    const kernel = await ctx.fact(kernelFact);
    const kernelArchitecture = kernel.status === 'ok' ? kernel.value.machine : null;
    const registryArchitecture = registry === null ? null : (REGISTRY_ARCH[registry.toUpperCase()] ?? null);
    return {
      status: 'ok',
      value: {
        registry,
        registryArchitecture,
        kernelArchitecture,
        architecture: kernelArchitecture ?? registryArchitecture,
      },
      evidence: [
        regEvidence('SYSTEM', keyPath, 'PROCESSOR_ARCHITECTURE', v, v === null ? 'absent' : undefined),
        ...(kernel.status === 'ok' ? kernel.evidence : []),
      ],
    };
  });
}

export const architectureCollector = defineCollector(architectureFact, collect);
