import {
  type CollectContext,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  Type,
} from '@imagecheck/sdk';
import { fileEvidence, NO_GUEST, parseShellAssignments, readOptional, splitLines } from '../guest-files.js';

const FAMILIES = ['debian', 'rhel', 'suse', 'alpine', 'arch', 'gentoo', 'unknown'] as const;

export const osReleaseFact = defineFact({
  id: 'linux.osRelease',
  version: '1.0.0',
  description:
    'Distribution identity from /etc/os-release (then /usr/lib/os-release), falling back to /etc/redhat-release, /etc/centos-release, /etc/SuSE-release, /etc/debian_version, /etc/lsb-release, /etc/alpine-release, /etc/arch-release, /etc/gentoo-release; with Debian point release and CentOS release, and the family.',
  schema: Type.Object({
    id: Type.String({
      description:
        'os-release `ID` (lower case): `debian`, `ubuntu`, `centos`, `rhel`, `rocky`, `alinux`, `sles`, `opensuse-leap`, `alpine`.',
    }),
    idLike: Type.Array(Type.String()),
    name: Type.String(),
    prettyName: Type.String(),
    versionId: Type.String(),
    version: Type.String(),
    versionCodename: Type.String(),
    release: Type.String({
      description:
        "The most precise release known: Debian's point release (`12.5`), CentOS's (`7.9.2009`), else `versionId`.",
    }),
    major: Type.String({ description: "Major version (`12`, `7`, `15`), `''` for rolling releases." }),
    family: Type.Enum(FAMILIES, {
      description:
        'Distribution families the rules reason about (kernel thresholds, defaults of each stack).',
    }),
    source: Type.String({
      description: 'The file the identity came from and its line (of `ID=` when from os-release).',
    }),
    line: Type.Optional(Type.Integer()),
  }),
});

/** Value of `linux.osRelease`. */
export type OsRelease = FactValue<typeof osReleaseFact>;
/** Distribution families the rules reason about (kernel thresholds, defaults of each stack). */
export type Family = OsRelease['family'];

const FAMILY_OF: Record<string, Family> = {
  debian: 'debian',
  ubuntu: 'debian',
  rhel: 'rhel',
  fedora: 'rhel',
  centos: 'rhel',
  rocky: 'rhel',
  almalinux: 'rhel',
  ol: 'rhel',
  alinux: 'rhel',
  anolis: 'rhel',
  amzn: 'rhel',
  opencloudos: 'rhel',
  suse: 'suse',
  sles: 'suse',
  sles_sap: 'suse',
  opensuse: 'suse',
  'opensuse-leap': 'suse',
  'opensuse-tumbleweed': 'suse',
  alpine: 'alpine',
  arch: 'arch',
  gentoo: 'gentoo',
};

export function familyOf(id: string, idLike: readonly string[]): Family {
  for (const x of [id, ...idLike]) {
    const f = FAMILY_OF[x];
    if (f) return f;
  }
  return 'unknown';
}

function majorOf(v: string): string {
  return /^(\d+)/.exec(v)?.[1] ?? '';
}

/** `Name release 7.9.2009 (Core)`, the format of /etc/redhat-release and its siblings. */
function parseReleaseLine(text: string): { name: string; version: string } | undefined {
  const first = splitLines(text)[0]?.trim() ?? '';
  const m = /^(.*?)\s+release\s+([0-9][0-9.]*)/i.exec(first);
  return m ? { name: m[1] as string, version: m[2] as string } : undefined;
}

function idFromName(name: string): string {
  const n = name.toLowerCase();
  if (n.startsWith('centos')) return 'centos';
  if (n.startsWith('red hat')) return 'rhel';
  if (n.startsWith('rocky')) return 'rocky';
  if (n.startsWith('almalinux')) return 'almalinux';
  if (n.startsWith('fedora')) return 'fedora';
  if (n.startsWith('oracle')) return 'ol';
  if (n.startsWith('alibaba cloud linux') || n.startsWith('aliyun linux')) return 'alinux';
  if (n.includes('suse linux enterprise')) return 'sles';
  if (n.includes('opensuse')) return 'opensuse';
  return n.split(/\s+/)[0] ?? 'unknown';
}

function make(fields: Partial<OsRelease> & { id: string; source: string }): OsRelease {
  const idLike = fields.idLike ?? [];
  const versionId = fields.versionId ?? '';
  const release = fields.release ?? versionId;
  return {
    id: fields.id,
    idLike,
    name: fields.name ?? fields.id,
    prettyName: fields.prettyName ?? [fields.name ?? fields.id, release].filter(Boolean).join(' '),
    versionId,
    version: fields.version ?? versionId,
    versionCodename: fields.versionCodename ?? '',
    release,
    major: majorOf(release || versionId),
    family: familyOf(fields.id, idLike),
    source: fields.source,
    ...(fields.line === undefined ? {} : { line: fields.line }),
  };
}

async function collectOsRelease(ctx: CollectContext): Promise<FactResult<OsRelease>> {
  const g = ctx.guest;
  if (!g) return { status: 'unavailable', reason: NO_GUEST, evidence: [] };
  const evidence: Evidence[] = [];
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    const text = await readOptional(g, path);
    if (text === undefined) continue;
    const kv = parseShellAssignments(text);
    const get = (k: string): string | undefined => kv.findLast((e) => e.key === k)?.value;
    const id = (get('ID') ?? 'linux').toLowerCase();
    const idLine = kv.findLast((e) => e.key === 'ID')?.line;
    evidence.push(fileEvidence(path, idLine, `ID=${id}`));
    let release = get('VERSION_ID') ?? '';
    // Debian's os-release carries only the major version; the point release is in debian_version.
    if (id === 'debian') {
      const dv = (await readOptional(g, '/etc/debian_version'))?.trim();
      if (dv && /^\d+(\.\d+)*$/.test(dv)) {
        release = dv;
        evidence.push(fileEvidence('/etc/debian_version', 1, dv, 'Debian point release'));
      }
    }
    if (id === 'centos') {
      const cr = await readOptional(g, '/etc/centos-release');
      const p = cr ? parseReleaseLine(cr) : undefined;
      if (p?.version.startsWith(release)) {
        release = p.version;
        evidence.push(fileEvidence('/etc/centos-release', 1, cr?.trim(), 'CentOS release'));
      }
    }
    const versionId = get('VERSION_ID') ?? '';
    return {
      status: 'ok',
      value: make({
        id,
        idLike: (get('ID_LIKE') ?? '').toLowerCase().split(/\s+/).filter(Boolean),
        name: get('NAME') ?? id,
        prettyName: get('PRETTY_NAME') ?? [get('NAME') ?? id, release].filter(Boolean).join(' '),
        versionId,
        version: get('VERSION') ?? versionId,
        versionCodename: get('VERSION_CODENAME') ?? '',
        release,
        source: path,
        ...(idLine === undefined ? {} : { line: idLine }),
      }),
      evidence,
    };
  }
  // Pre-systemd releases: one distribution file each.
  for (const path of ['/etc/centos-release', '/etc/redhat-release']) {
    const text = await readOptional(g, path);
    const p = text ? parseReleaseLine(text) : undefined;
    if (!p) continue;
    const id = idFromName(p.name);
    return {
      status: 'ok',
      value: make({
        id,
        idLike: id === 'rhel' ? [] : ['rhel'],
        name: p.name,
        prettyName: splitLines(text as string)[0]?.trim() as string,
        versionId: p.version
          .split('.')
          .slice(0, id === 'centos' ? 1 : 2)
          .join('.'),
        release: p.version,
        source: path,
        line: 1,
      }),
      evidence: [fileEvidence(path, 1, text)],
    };
  }
  const suse = await readOptional(g, '/etc/SuSE-release');
  if (suse !== undefined) {
    const lines = splitLines(suse);
    const name = (lines[0] ?? 'SUSE').replace(/\s*\(.*\)\s*$/, '').trim();
    const kv = Object.fromEntries(
      lines
        .slice(1)
        .map((l) => l.split('=').map((s) => s.trim()))
        .filter((x) => x.length === 2),
    );
    const version = kv.VERSION ?? '';
    const versionId = kv.PATCHLEVEL && kv.PATCHLEVEL !== '0' ? `${version}.${kv.PATCHLEVEL}` : version;
    return {
      status: 'ok',
      value: make({
        id: idFromName(name),
        idLike: ['suse'],
        name,
        prettyName: lines[0]?.trim() ?? name,
        versionId,
        source: '/etc/SuSE-release',
        line: 1,
      }),
      evidence: [fileEvidence('/etc/SuSE-release', 1, lines[0])],
    };
  }
  const lsb = await readOptional(g, '/etc/lsb-release');
  if (lsb !== undefined) {
    const kv = parseShellAssignments(lsb);
    const get = (k: string): string | undefined => kv.findLast((e) => e.key === k)?.value;
    const id = (get('DISTRIB_ID') ?? '').toLowerCase();
    if (id) {
      const line = kv.findLast((e) => e.key === 'DISTRIB_ID')?.line;
      return {
        status: 'ok',
        value: make({
          id,
          name: get('DISTRIB_ID') as string,
          prettyName: get('DISTRIB_DESCRIPTION') ?? id,
          versionId: get('DISTRIB_RELEASE') ?? '',
          versionCodename: get('DISTRIB_CODENAME') ?? '',
          source: '/etc/lsb-release',
          ...(line ? { line } : {}),
        }),
        evidence: [fileEvidence('/etc/lsb-release', line)],
      };
    }
  }
  const dv = (await readOptional(g, '/etc/debian_version'))?.trim();
  if (dv !== undefined) {
    const numeric = /^\d+(\.\d+)*$/.test(dv);
    return {
      status: 'ok',
      value: make({
        id: 'debian',
        name: 'Debian GNU/Linux',
        versionId: numeric ? majorOf(dv) : '',
        release: numeric ? dv : '',
        versionCodename: numeric ? '' : dv,
        source: '/etc/debian_version',
        line: 1,
      }),
      evidence: [fileEvidence('/etc/debian_version', 1, dv)],
    };
  }
  const alpine = (await readOptional(g, '/etc/alpine-release'))?.trim();
  if (alpine !== undefined) {
    return {
      status: 'ok',
      value: make({
        id: 'alpine',
        name: 'Alpine Linux',
        versionId: alpine,
        source: '/etc/alpine-release',
        line: 1,
      }),
      evidence: [fileEvidence('/etc/alpine-release', 1, alpine)],
    };
  }
  if ((await readOptional(g, '/etc/arch-release')) !== undefined) {
    return {
      status: 'ok',
      value: make({ id: 'arch', name: 'Arch Linux', source: '/etc/arch-release' }),
      evidence: [fileEvidence('/etc/arch-release')],
    };
  }
  const gentoo = await readOptional(g, '/etc/gentoo-release');
  if (gentoo !== undefined) {
    const p = parseReleaseLine(gentoo);
    return {
      status: 'ok',
      value: make({
        id: 'gentoo',
        name: 'Gentoo',
        prettyName: splitLines(gentoo)[0]?.trim() ?? 'Gentoo',
        versionId: p?.version ?? '',
        source: '/etc/gentoo-release',
        line: 1,
      }),
      evidence: [fileEvidence('/etc/gentoo-release', 1, gentoo)],
    };
  }
  return {
    status: 'unavailable',
    reason:
      'no distribution release file: /etc/os-release, /usr/lib/os-release and the older release files are all absent',
    code: 'linux/no-os-release',
    evidence: [],
  };
}

export const osReleaseCollector = defineCollector(osReleaseFact, collectOsRelease);
