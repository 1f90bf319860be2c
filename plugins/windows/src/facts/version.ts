import {
  type CollectContext,
  defineCollector,
  defineFact,
  type FactResult,
  type FactValue,
  Nullable,
  Type,
} from '@imagecheck/sdk';
import { numberOf, regEvidence, stringOf } from '../registry.js';
import { guarded, requireHive, windowsGuest } from './common.js';

export const versionFact = defineFact({
  id: 'windows.version',
  version: '1.0.0',
  description:
    'The Windows version as the SOFTWARE hive records it (HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion): ProductName, EditionID, InstallationType, DisplayVersion/ReleaseId, the major.minor version, CurrentBuildNumber and UBR, and `version` = major.minor.build.UBR.',
  schema: Type.Object({
    productName: Nullable(Type.String()),
    editionId: Nullable(Type.String()),
    installationType: Nullable(
      Type.String({
        description: '`Client`, `Server`, `Server Core`... (InstallationType; absent before Windows 7).',
      }),
    ),
    displayVersion: Nullable(
      Type.String({ description: 'DisplayVersion (20H2 and later) or else ReleaseId (1511..2009).' }),
    ),
    releaseId: Nullable(Type.String()),
    majorMinor: Nullable(
      Type.String({
        description: '`major.minor`: CurrentMajor/MinorVersionNumber when both exist, else CurrentVersion.',
      }),
    ),
    build: Nullable(
      Type.String({
        description:
          'CurrentBuildNumber (libguestfs: CurrentBuild meant something else on XP), else CurrentBuild.',
      }),
    ),
    ubr: Nullable(Type.Integer()),
    version: Nullable(
      Type.String({ description: '`major.minor.build[.UBR]`, null when major.minor or build is unknown.' }),
    ),
    key: Type.String(),
  }),
});

/** Value of `windows.version`: `SOFTWARE\Microsoft\Windows NT\CurrentVersion` as stored. */
export type WindowsVersion = FactValue<typeof versionFact>;

const CV = 'Microsoft\\Windows NT\\CurrentVersion';

async function collect(ctx: CollectContext): Promise<FactResult<WindowsVersion>> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  return guarded<WindowsVersion>(async () => {
    const h = await requireHive(w, 'SOFTWARE');
    if (!h.ok) return h.result;
    const key = h.hive.key(CV);
    if (key === null) return { status: 'unavailable', reason: `SOFTWARE\\${CV} is missing`, evidence: [] };
    const str = (n: string) => stringOf(key.value(n));
    const num = (n: string) => {
      const v = key.value(n);
      return v ? numberOf(v) : null;
    };
    const major = num('CurrentMajorVersionNumber');
    const minor = num('CurrentMinorVersionNumber');
    const majorMinor = major !== null && minor !== null ? `${major}.${minor}` : str('CurrentVersion');
    const build = str('CurrentBuildNumber') ?? str('CurrentBuild');
    const ubr = num('UBR');
    const releaseId = str('ReleaseId');
    const value: WindowsVersion = {
      productName: str('ProductName'),
      editionId: str('EditionID'),
      installationType: str('InstallationType'),
      displayVersion: str('DisplayVersion') ?? releaseId,
      releaseId,
      majorMinor,
      build,
      ubr,
      version:
        majorMinor !== null && build !== null
          ? `${majorMinor}.${build}${ubr === null ? '' : `.${ubr}`}`
          : null,
      key: `HKLM\\SOFTWARE\\${CV}`,
    };
    const evidence = [
      'ProductName',
      'EditionID',
      'InstallationType',
      'DisplayVersion',
      'ReleaseId',
      'CurrentBuildNumber',
      'UBR',
    ]
      .map((n) => [n, key.value(n)] as const)
      .filter(([, v]) => v !== null)
      .map(([n, v]) => regEvidence('SOFTWARE', CV, n, v));
    return { status: 'ok', value, evidence };
  });
}

export const versionCollector = defineCollector(versionFact, collect);
