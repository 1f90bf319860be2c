import {
  type CollectContext,
  defineCollector,
  defineFact,
  type FactResult,
  type FactValue,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { fileEvidence, fileExists, guarded, windowsGuest } from './common.js';
import { readPeFacts } from './pe-file.js';

export const kernelFact = defineFact({
  id: 'windows.kernel',
  version: '1.0.0',
  description:
    'The Windows kernel, %SystemRoot%\\System32\\ntoskrnl.exe: whether it exists, its PE machine and subsystem, and the file and product versions of its version resource (VS_FIXEDFILEINFO).',
  schema: Type.Object({
    path: Type.String(),
    present: Type.Boolean(),
    machine: Nullable(
      Type.String({ description: 'COFF machine (`x86_64`, `i386`, `arm64`), null when absent.' }),
    ),
    subsystem: Nullable(Type.String()),
    fileVersion: Nullable(
      Type.String({
        description: 'VS_FIXEDFILEINFO file version `a.b.c.d`, null when it has no version resource.',
      }),
    ),
    productVersion: Nullable(Type.String()),
  }),
});

/** Value of `windows.kernel`: `System32\ntoskrnl.exe` as its PE headers and version resource say. */
export type WindowsKernel = FactValue<typeof kernelFact>;

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

export const kernelCollector = defineCollector(kernelFact, collect);
