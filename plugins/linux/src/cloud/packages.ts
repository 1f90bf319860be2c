import {
  defineCollector,
  defineFact,
  type FactResult,
  type FactValue,
  FormatError,
  Nullable,
  type Static,
  Type,
  UnsupportedError,
} from '@imagecheck/sdk';
import { fileEvidence, noGuest, pathExists, readOptional } from '../guest-files.js';

/**
 * `linux.packages`: installed packages from the dpkg status database.
 *
 * `/var/lib/dpkg/status` (deb-control(5), dpkg(1) "INFORMATION ABOUT PACKAGES") is a sequence of
 * RFC 822-style stanzas separated by blank lines; `Field: value`, continuation lines start with a
 * space or tab. A package is installed when its `Status` is `install ok installed` (the third word,
 * the package state, `installed`; `half-configured` and the others are partial installs).
 *
 * RPM databases (sqlite `rpmdb.sqlite`, Berkeley DB `Packages` of EL7/EL8, `ndb`) are not read
 * yet: on an RPM guest the fact is unavailable with `packages/rpm-unsupported`.
 */

export const DPKG_STATUS = '/var/lib/dpkg/status';
/** A Debian system with 3000 packages has a 3-4 MiB status file. */
export const MAX_DPKG_STATUS_BYTES = 64 * 1024 * 1024;
/** Stanzas read; Debian's whole archive has about 65 000 binary packages. */
export const MAX_DPKG_STANZAS = 200_000;

const installedPackage = Type.Object({
  name: Type.String(),
  version: Type.String(),
  architecture: Type.String(),
  line: Type.Integer({ minimum: 1 }),
});
export type InstalledPackage = Static<typeof installedPackage>;

/** Parses a dpkg status file into its installed packages. */
export function parseDpkgStatus(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  let fields = new Map<string, string>();
  let start = 1;
  let stanzas = 0;
  const flush = () => {
    if (fields.size === 0) return;
    if (++stanzas > MAX_DPKG_STANZAS) {
      throw new FormatError(
        'dpkg/too-many-stanzas',
        `${DPKG_STATUS} has more than ${MAX_DPKG_STANZAS} stanzas`,
        {
          data: { path: DPKG_STATUS, cap: MAX_DPKG_STANZAS },
        },
      );
    }
    const status = (fields.get('status') ?? '').split(/\s+/);
    const name = fields.get('package');
    if (name !== undefined && status[2] === 'installed') {
      out.push({
        name,
        version: fields.get('version') ?? '',
        architecture: fields.get('architecture') ?? '',
        line: start,
      });
    }
    fields = new Map();
  };
  let lineNo = 0;
  let last: string | undefined;
  for (const raw of text.split('\n')) {
    lineNo++;
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      flush();
      last = undefined;
      continue;
    }
    if (fields.size === 0 && last === undefined) start = lineNo;
    if (line.startsWith(' ') || line.startsWith('\t')) continue; // continuation of `last`: not needed here
    const colon = line.indexOf(':');
    if (colon <= 0) {
      throw new FormatError('dpkg/bad-line', `${DPKG_STATUS} line ${lineNo} is not a "Field: value" line`, {
        data: { path: DPKG_STATUS, line: lineNo, excerpt: line.slice(0, 80) },
      });
    }
    last = line.slice(0, colon).toLowerCase();
    fields.set(last, line.slice(colon + 1).trim());
  }
  flush();
  return out;
}

export const packagesFact = defineFact({
  id: 'linux.packages',
  version: '1.0.0',
  description:
    'Installed packages (name, version, architecture, line in the database) from the dpkg status file.',
  schema: Type.Object({
    manager: Type.Enum(['dpkg', 'none']),
    path: Nullable(Type.String()),
    count: Type.Integer({ minimum: 0 }),
    packages: Type.Array(installedPackage),
  }),
});

export type PackagesFact = FactValue<typeof packagesFact>;

const RPMDBS = [
  '/var/lib/rpm/rpmdb.sqlite',
  '/usr/lib/sysimage/rpm/rpmdb.sqlite',
  '/var/lib/rpm/Packages',
  '/var/lib/rpm/Packages.db',
  '/usr/lib/sysimage/rpm/Packages.db',
];

export const packagesCollector = defineCollector(
  packagesFact,
  async (ctx): Promise<FactResult<PackagesFact>> => {
    const g = ctx.guest;
    if (g === undefined) return noGuest('linux.packages');
    const text = await readOptional(g, DPKG_STATUS, MAX_DPKG_STATUS_BYTES);
    if (text !== undefined) {
      const packages = parseDpkgStatus(text);
      return {
        status: 'ok',
        value: { manager: 'dpkg', path: DPKG_STATUS, count: packages.length, packages },
        evidence: [fileEvidence(DPKG_STATUS, undefined, undefined, `${packages.length} packages installed`)],
      };
    }
    for (const db of RPMDBS) {
      if (await pathExists(g, db)) {
        throw new UnsupportedError('packages/rpm-unsupported', `the RPM database ${db} is not read yet`, {
          data: { path: db },
        });
      }
    }
    return { status: 'ok', value: { manager: 'none', path: null, count: 0, packages: [] }, evidence: [] };
  },
);
