import type { CollectContext, Collector, FactDefinition, FactResult } from '@imagecheck/sdk';
import { regEvidence, stringOf } from '../registry.js';
import { guarded, requireControlSet, windowsGuest } from './common.js';
import type { WindowsKernel } from './kernel.js';

/** Value of `windows.architecture`. */
export interface WindowsArchitecture {
  /** PROCESSOR_ARCHITECTURE as stored (`AMD64`, `x86`, `ARM64`), null when absent. */
  readonly registry: string | null;
  /** The same in imagecheck's names (`x86_64`, `i386`, `arm64`), null when absent or unknown. */
  readonly registryArchitecture: string | null;
  /** ntoskrnl.exe's PE machine (`x86_64`, `i386`, `arm64`), null when the kernel is absent. */
  readonly kernelArchitecture: string | null;
  /** The kernel's when known (it is what runs), else the registry's. */
  readonly architecture: string | null;
}

export const architectureFact: FactDefinition = {
  id: 'windows.architecture',
  version: '1.0.0',
  description:
    "The guest's processor architecture from two places: PROCESSOR_ARCHITECTURE in CurrentControlSet\\Control\\Session Manager\\Environment, and the PE machine field of System32\\ntoskrnl.exe; `architecture` is the kernel's when known.",
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['registry', 'registryArchitecture', 'kernelArchitecture', 'architecture'],
    properties: {
      registry: { type: ['string', 'null'] },
      registryArchitecture: { type: ['string', 'null'] },
      kernelArchitecture: { type: ['string', 'null'] },
      architecture: { type: ['string', 'null'] },
    },
  },
};

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
    const kernel = await ctx.fact<WindowsKernel>('windows.kernel');
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

export const architectureCollector: Collector<WindowsArchitecture> = {
  fact: 'windows.architecture',
  collect,
};
