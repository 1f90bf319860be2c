import type { CollectContext, Collector, FactDefinition, FactResult } from '@imagecheck/sdk';
import { fileEvidence, fileExists, guarded, windowsGuest } from './common.js';
import { readPeFacts } from './pe-file.js';

/** Value of `windows.kernel`: `System32\ntoskrnl.exe` as its PE headers and version resource say. */
export interface WindowsKernel {
  readonly path: string;
  readonly present: boolean;
  /** COFF machine (`x86_64`, `i386`, `arm64`), null when absent. */
  readonly machine: string | null;
  readonly subsystem: string | null;
  /** VS_FIXEDFILEINFO file version `a.b.c.d`, null when it has no version resource. */
  readonly fileVersion: string | null;
  readonly productVersion: string | null;
}

export const kernelFact: FactDefinition = {
  id: 'windows.kernel',
  version: '1.0.0',
  description:
    'The Windows kernel, %SystemRoot%\\System32\\ntoskrnl.exe: whether it exists, its PE machine and subsystem, and the file and product versions of its version resource (VS_FIXEDFILEINFO).',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['path', 'present', 'machine', 'subsystem', 'fileVersion', 'productVersion'],
    properties: {
      path: { type: 'string' },
      present: { type: 'boolean' },
      machine: { type: ['string', 'null'] },
      subsystem: { type: ['string', 'null'] },
      fileVersion: { type: ['string', 'null'] },
      productVersion: { type: ['string', 'null'] },
    },
  },
};

async function collect(ctx: CollectContext): Promise<FactResult<WindowsKernel>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsKernel>(async () => {
    const path = `${w.systemRoot}/System32/ntoskrnl.exe`;
    if (!(await fileExists(w.tree, path))) {
      return {
        status: 'ok',
        value: {
          path,
          present: false,
          machine: null,
          subsystem: null,
          fileVersion: null,
          productVersion: null,
        },
        evidence: [fileEvidence(path, 'absent')],
      };
    }
    const { image: _image, ...pe } = await readPeFacts(w.tree, path);
    return {
      status: 'ok',
      value: { path, present: true, ...pe },
      evidence: [
        fileEvidence(path, `PE ${pe.machine ?? 'unknown machine'}, file version ${pe.fileVersion ?? 'none'}`),
      ],
    };
  });
}

export const kernelCollector: Collector<WindowsKernel> = { fact: 'windows.kernel', collect };
