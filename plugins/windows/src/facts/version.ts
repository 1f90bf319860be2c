import type { CollectContext, Collector, FactDefinition, FactResult } from '@imagecheck/sdk';
import { numberOf, regEvidence, stringOf } from '../registry.js';
import { guarded, requireHive, windowsGuest } from './common.js';

/** Value of `windows.version`: `SOFTWARE\Microsoft\Windows NT\CurrentVersion` as stored. */
export interface WindowsVersion {
  readonly productName: string | null;
  readonly editionId: string | null;
  /** `Client`, `Server`, `Server Core`... (InstallationType; absent before Windows 7). */
  readonly installationType: string | null;
  /** DisplayVersion (20H2 and later) or else ReleaseId (1511..2009). */
  readonly displayVersion: string | null;
  readonly releaseId: string | null;
  /** `major.minor`: CurrentMajor/MinorVersionNumber when both exist, else CurrentVersion. */
  readonly majorMinor: string | null;
  /** CurrentBuildNumber (libguestfs: CurrentBuild meant something else on XP), else CurrentBuild. */
  readonly build: string | null;
  readonly ubr: number | null;
  /** `major.minor.build[.UBR]`, null when major.minor or build is unknown. */
  readonly version: string | null;
  readonly key: string;
}

export const versionFact: FactDefinition = {
  id: 'windows.version',
  version: '1.0.0',
  description:
    'The Windows version as the SOFTWARE hive records it (HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion): ProductName, EditionID, InstallationType, DisplayVersion/ReleaseId, the major.minor version, CurrentBuildNumber and UBR, and `version` = major.minor.build.UBR.',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: [
      'productName',
      'editionId',
      'installationType',
      'displayVersion',
      'releaseId',
      'majorMinor',
      'build',
      'ubr',
      'version',
      'key',
    ],
    properties: {
      productName: { type: ['string', 'null'] },
      editionId: { type: ['string', 'null'] },
      installationType: { type: ['string', 'null'] },
      displayVersion: { type: ['string', 'null'] },
      releaseId: { type: ['string', 'null'] },
      majorMinor: { type: ['string', 'null'] },
      build: { type: ['string', 'null'] },
      ubr: { type: ['integer', 'null'] },
      version: { type: ['string', 'null'] },
      key: { type: 'string' },
    },
  },
};

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

export const versionCollector: Collector<WindowsVersion> = { fact: 'windows.version', collect };
