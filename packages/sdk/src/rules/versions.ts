import { FormatError } from '@imagecheck/access';

/**
 * Version comparison for the json-logic operators `version_compare`, `version_lt`, ...
 *
 * Strings that are versions compare as versions, never as strings (`"10.0" < "9.0"` is true as
 * strings). Every function returns -1, 0 or 1.
 */
export type VersionScheme = 'deb' | 'rpm' | 'kernel' | 'semver' | 'generic';
export const VERSION_SCHEMES: readonly VersionScheme[] = ['deb', 'rpm', 'kernel', 'semver', 'generic'];

/** Longer strings are not versions; the cap keeps comparison cost trivially bounded. */
export const MAX_VERSION_LENGTH = 256;

export function compareVersions(a: unknown, b: unknown, scheme: VersionScheme = 'generic'): -1 | 0 | 1 {
  const x = versionString(a);
  const y = versionString(b);
  switch (scheme) {
    case 'deb':
      return compareDeb(x, y);
    case 'rpm':
      return compareRpm(x, y);
    case 'kernel':
      return compareKernel(x, y);
    case 'semver':
      return compareSemver(x, y);
    case 'generic':
      return rpmvercmp(x, y);
    default:
      throw new FormatError('version/unknown-scheme', `unknown version scheme ${JSON.stringify(scheme)}`, {
        data: { scheme, expected: VERSION_SCHEMES },
      });
  }
}

function versionString(v: unknown): string {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') {
    throw new FormatError(
      'version/not-a-string',
      `a version must be a string, got ${v === null ? 'null' : typeof v}`,
      {
        data: { actual: v === null ? 'null' : typeof v },
      },
    );
  }
  if (v.length > MAX_VERSION_LENGTH) {
    throw new FormatError(
      'version/too-long',
      `version string of ${v.length} characters exceeds ${MAX_VERSION_LENGTH}`,
      {
        data: { actual: v.length, expected: MAX_VERSION_LENGTH },
      },
    );
  }
  return v;
}

const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));

/** Compares two runs of decimal digits of any length without converting to numbers. */
function compareDigits(a: string, b: string): -1 | 0 | 1 {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return sign(x.length - y.length);
  return x === y ? 0 : x < y ? -1 : 1;
}

// ---------------------------------------------------------------------------------------------
// Debian: deb-version(7) and dpkg's lib/dpkg/version.c (verrevcmp). A version is
// [epoch:]upstream[-revision]; the epoch is the part before the first ':', the revision the part
// after the last '-'. Each part compares as alternating non-digit and digit runs: non-digit runs
// character by character where '~' sorts before everything (even the end), then letters, then
// other characters; digit runs numerically.

function debOrder(c: string | undefined): number {
  if (c === undefined) return 0;
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): -1 | 0 | 1 {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = debOrder(i < a.length ? a[i] : undefined);
      const bc = debOrder(j < b.length ? b[j] : undefined);
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    const si = i;
    const sj = j;
    while (isDigit(a[i])) i++;
    while (isDigit(b[j])) j++;
    firstDiff = compareDigits(a.slice(si, i), b.slice(sj, j));
    if (firstDiff !== 0) return sign(firstDiff);
  }
  return 0;
}

interface DebVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

function parseDeb(v: string): DebVersion {
  const s = v.trim();
  const colon = s.indexOf(':');
  let epoch = '0';
  let rest = s;
  if (colon >= 0) {
    epoch = s.slice(0, colon);
    rest = s.slice(colon + 1);
    if (!/^\d+$/.test(epoch)) {
      throw new FormatError(
        'version/bad-deb-epoch',
        `Debian version ${JSON.stringify(v)}: epoch is not a number`,
        {
          data: { version: v, expected: 'digits before the first colon' },
        },
      );
    }
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (upstream === '') {
    throw new FormatError(
      'version/bad-deb-upstream',
      `Debian version ${JSON.stringify(v)}: empty upstream version`,
      {
        data: { version: v },
      },
    );
  }
  return { epoch, upstream, revision };
}

export function compareDeb(a: string, b: string): -1 | 0 | 1 {
  const x = parseDeb(a);
  const y = parseDeb(b);
  return (
    compareDigits(x.epoch, y.epoch) || verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision)
  );
}

// ---------------------------------------------------------------------------------------------
// RPM: rpmio/rpmvercmp.c (rpm >= 4.15, with '^'). Both strings are split into alphanumeric
// segments; other characters only separate. '~' sorts before anything (even the end), '^' sorts
// after the end but before any other segment. Numeric segments compare numerically and are newer
// than alphabetic ones; when one string runs out, the longer one is newer.

const isAlnum = (c: string | undefined): boolean => isDigit(c) || isAlpha(c);

export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const si = i;
    const sj = j;
    const numeric = isDigit(a[i]);
    if (numeric) {
      while (isDigit(a[i])) i++;
      while (isDigit(b[j])) j++;
    } else {
      while (isAlpha(a[i])) i++;
      while (isAlpha(b[j])) j++;
    }
    // A numeric segment is newer than an alphabetic one.
    if (j === sj) return numeric ? 1 : -1;
    const sa = a.slice(si, i);
    const sb = b.slice(sj, j);
    const rc = numeric ? compareDigits(sa, sb) : sa === sb ? 0 : sa < sb ? -1 : 1;
    if (rc !== 0) return rc;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

/** `[epoch:]version[-release]`, as rpm's rpmVersionCompare: epoch (default 0), version, release. */
export function compareRpm(a: string, b: string): -1 | 0 | 1 {
  const split = (v: string): [string, string, string] => {
    const m = /^(?:(\d+):)?(.*?)(?:-([^-]*))?$/.exec(v.trim());
    return [m?.[1] ?? '0', m?.[2] ?? v, m?.[3] ?? ''];
  };
  const [ea, va, ra] = split(a);
  const [eb, vb, rb] = split(b);
  return compareDigits(ea, eb) || rpmvercmp(va, vb) || rpmvercmp(ra, rb);
}

// ---------------------------------------------------------------------------------------------
// Linux kernel release strings (`uname -r`): `5.10.0-28-amd64`, `4.18.0-513.el8.x86_64`,
// `6.8.0-45-generic`, `6.1.0-rc3`. The numeric `major.minor.patch` compares first (missing parts
// are 0); the rest (after '-' or '+') compares with rpmvercmp, except that a leading `rcN` is a
// release candidate and sorts before the release itself.

export function compareKernel(a: string, b: string): -1 | 0 | 1 {
  const split = (v: string): [string[], string] => {
    const m = /^(\d+(?:\.\d+){0,3})(.*)$/.exec(v.trim());
    if (!m) {
      throw new FormatError(
        'version/bad-kernel',
        `kernel version ${JSON.stringify(v)} does not start with a number`,
        {
          data: { version: v, expected: 'major.minor[.patch][-extra]' },
        },
      );
    }
    const rest = (m[2] ?? '').replace(/^[-+.]/, '');
    return [(m[1] ?? '0').split('.'), rest.replace(/^rc(?=\d)/, '~rc')];
  };
  const [na, ra] = split(a);
  const [nb, rb] = split(b);
  for (let k = 0; k < 4; k++) {
    const rc = compareDigits(na[k] ?? '0', nb[k] ?? '0');
    if (rc !== 0) return rc;
  }
  return rpmvercmp(ra, rb);
}

// ---------------------------------------------------------------------------------------------
// Semantic Versioning 2.0.0 (semver.org), section 11; an optional leading 'v' is accepted.

const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export function compareSemver(a: string, b: string): -1 | 0 | 1 {
  const parse = (v: string): RegExpExecArray => {
    const m = SEMVER.exec(v.trim());
    if (!m) {
      throw new FormatError('version/bad-semver', `${JSON.stringify(v)} is not a semantic version`, {
        data: { version: v, expected: 'MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]' },
      });
    }
    return m;
  };
  const x = parse(a);
  const y = parse(b);
  for (let k = 1; k <= 3; k++) {
    const rc = compareDigits(x[k] ?? '0', y[k] ?? '0');
    if (rc !== 0) return rc;
  }
  const pa = x[4];
  const pb = y[4];
  if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
  const ia = pa.split('.');
  const ib = pb.split('.');
  for (let k = 0; k < Math.max(ia.length, ib.length); k++) {
    const sa = ia[k];
    const sb = ib[k];
    if (sa === undefined) return -1;
    if (sb === undefined) return 1;
    const na = /^\d+$/.test(sa);
    const nb = /^\d+$/.test(sb);
    if (na && nb) {
      const rc = compareDigits(sa, sb);
      if (rc !== 0) return rc;
    } else if (na !== nb) {
      return na ? -1 : 1;
    } else if (sa !== sb) {
      return sa < sb ? -1 : 1;
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// npm-style semver ranges, enough for `engine.sdk` in a pack manifest: alternatives separated by
// `||`, each a space-separated set of comparators (`>=1.2.0 <2`), or `^1.2.3`, `~1.2`, `1.x`, `*`.
// Partial versions fill with 0 for comparison; `^` and `~` follow node-semver's definitions.

/** Whether `version` (semver) satisfies `range`; throws FormatError on a malformed range. */
export function satisfiesSemverRange(version: string, range: string): boolean {
  const alternatives = range.split('||').map((a) => a.trim());
  return alternatives.some((alt) =>
    comparatorsOf(alt, range).every(([op, v]) => test(compareSemver(version, v), op)),
  );
}

type Op = '<' | '<=' | '>' | '>=' | '=';

function test(c: number, op: Op): boolean {
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    default:
      return c === 0;
  }
}

function comparatorsOf(alt: string, range: string): [Op, string][] {
  if (alt === '' || alt === '*' || alt === 'x') return [];
  const out: [Op, string][] = [];
  for (const token of alt.split(/\s+/)) {
    const m = /^(\^|~|>=|<=|>|<|=)?v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(-[0-9A-Za-z.-]+)?$/.exec(
      token,
    );
    if (!m) {
      throw new FormatError('version/bad-range', `${JSON.stringify(range)} is not a semver range`, {
        data: { range, expected: 'e.g. ^1.2.0, ~1.2, >=1.0.0 <2, 1.x' },
      });
    }
    const op = m[1] ?? '';
    const wild = (s: string | undefined) => s === undefined || /^[xX*]$/.test(s);
    const major = Number(m[2]);
    if (wild(m[2])) continue;
    const minor = wild(m[3]) ? undefined : Number(m[3]);
    const patch = wild(m[4]) ? undefined : Number(m[4]);
    const pre = m[5] ?? '';
    const v = (a: number, b = 0, c = 0, p = '') => `${a}.${b}.${c}${p}`;
    if (op === '^') {
      out.push(['>=', v(major, minor, patch, pre)]);
      if (major > 0 || minor === undefined) out.push(['<', v(major + 1)]);
      else if (minor > 0 || patch === undefined) out.push(['<', v(0, minor + 1)]);
      else out.push(['<', v(0, 0, patch + 1)]);
    } else if (op === '~') {
      out.push(['>=', v(major, minor, patch, pre)]);
      out.push(['<', minor === undefined ? v(major + 1) : v(major, minor + 1)]);
    } else if (op === '' || op === '=') {
      if (minor === undefined) out.push(['>=', v(major)], ['<', v(major + 1)]);
      else if (patch === undefined) out.push(['>=', v(major, minor)], ['<', v(major, minor + 1)]);
      else out.push(['=', v(major, minor, patch, pre)]);
    } else {
      out.push([op as Op, v(major, minor, patch, pre)]);
    }
  }
  return out;
}
