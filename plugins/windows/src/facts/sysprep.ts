import {
  type CollectContext,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  isAbsent,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { numberOf, regEvidence, stringOf } from '../registry.js';
import { fileEvidence, guarded, requireHive, windowsGuest } from './common.js';

export const sysprepFact = defineFact({
  id: 'windows.sysprep',
  version: '1.0.0',
  description:
    'Where sysprep and Windows Setup left the image: SYSTEM\\Setup\\Status\\SysprepStatus (GeneralizationState, CleanupState), SYSTEM\\Setup (SystemSetupInProgress, OOBEInProgress, SetupType), SOFTWARE ...\\Setup\\State ImageState, and the error lines of System32\\Sysprep\\Panther\\setuperr.log.',
  schema: Type.Object({
    generalizationState: Nullable(
      Type.Integer({
        description:
          'SYSTEM\\Setup\\Status\\SysprepStatus GeneralizationState (not documented by Microsoft).',
      }),
    ),
    cleanupState: Nullable(
      Type.Integer({ description: 'SYSTEM\\Setup\\Status\\SysprepStatus CleanupState.' }),
    ),
    systemSetupInProgress: Nullable(Type.Integer({ description: 'SYSTEM\\Setup SystemSetupInProgress.' })),
    oobeInProgress: Nullable(Type.Integer({ description: 'SYSTEM\\Setup OOBEInProgress.' })),
    setupType: Nullable(Type.Integer({ description: 'SYSTEM\\Setup SetupType.' })),
    imageState: Nullable(
      Type.String({ description: 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\State ImageState.' }),
    ),
    setupErrors: Type.Object(
      {
        path: Type.String(),
        present: Type.Boolean(),
        errors: Type.Array(Type.String()),
      },
      {
        description: 'System32\\Sysprep\\Panther\\setuperr.log: its lines that report an error (at most 20).',
      },
    ),
  }),
});

/** Value of `windows.sysprep`. */
export type WindowsSysprep = FactValue<typeof sysprepFact>;

const MAX_LOG_BYTES = 4 * 1024 * 1024;
const MAX_ERRORS = 20;

async function collect(ctx: CollectContext): Promise<FactResult<WindowsSysprep>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsSysprep>(async () => {
    const sys = await requireHive(w, 'SYSTEM');
    if (!sys.ok) return sys.result;
    const evidence: Evidence[] = [];
    const num = (key: string, name: string) => {
      const v = sys.hive.key(key)?.value(name) ?? null;
      if (v) evidence.push(regEvidence('SYSTEM', key, name, v));
      return v ? numberOf(v) : null;
    };
    const soft = await requireHive(w, 'SOFTWARE');
    const stateKey = 'Microsoft\\Windows\\CurrentVersion\\Setup\\State';
    const iv = soft.ok ? (soft.hive.key(stateKey)?.value('ImageState') ?? null) : null;
    if (iv) evidence.push(regEvidence('SOFTWARE', stateKey, 'ImageState', iv));
    const path = `${w.systemRoot}/System32/Sysprep/Panther/setuperr.log`;
    let present = false;
    let errors: string[] = [];
    try {
      const st = await w.tree.stat(path);
      if (st.type === 'file') {
        present = true;
        const bytes = await w.tree.readFile(path, { length: MAX_LOG_BYTES, maxBytes: MAX_LOG_BYTES });
        // Setup logs are UTF-8/ANSI; some tools write UTF-16LE with a BOM.
        const text =
          bytes[0] === 0xff && bytes[1] === 0xfe
            ? new TextDecoder('utf-16le').decode(bytes)
            : new TextDecoder().decode(bytes);
        errors = text
          .split(/\r?\n/)
          .filter((l) => /^\S+ \S+, Error\b/.test(l))
          .slice(0, MAX_ERRORS)
          .map((l) => l.replace(/\s+/g, ' ').trim());
        evidence.push(fileEvidence(path, `${errors.length} error line(s)`));
      }
    } catch (err) {
      if (!isAbsent(err)) throw err;
    }
    return {
      status: 'ok',
      value: {
        generalizationState: num('Setup\\Status\\SysprepStatus', 'GeneralizationState'),
        cleanupState: num('Setup\\Status\\SysprepStatus', 'CleanupState'),
        systemSetupInProgress: num('Setup', 'SystemSetupInProgress'),
        oobeInProgress: num('Setup', 'OOBEInProgress'),
        setupType: num('Setup', 'SetupType'),
        imageState: stringOf(iv),
        setupErrors: { path, present, errors },
      },
      evidence,
    };
  });
}

export const sysprepCollector = defineCollector(sysprepFact, collect);
