import { Lru } from '@imagecheck/binary';
import {
  classifyDeviceSpec,
  type DeviceSpecKind,
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  FormatError,
  type ImageLayoutV2,
  isUnresolvable,
  Nullable,
  resolveDeviceSpec,
  type Static,
  Type,
} from '@imagecheck/sdk';
import { fileEvidence, noGuest, pathExists, readOptional } from '../guest-files.js';
import { NETWORK_FSTYPES, PSEUDO_FSTYPES } from './fstypes.js';

/**
 * `linux.fstab`: every entry of the guest's `/etc/fstab` (fstab(5)), classified, and what it
 * resolves to among the filesystems, swap areas and partitions of the image's layout, the way
 * udev and mount(8) would on the booted instance. It stands on its own over `ctx.layout`; the
 * guest assembly's own mount results (`ctx.guest.mounts`) are added for comparison only.
 *
 * fstab(5): six whitespace-separated fields, `#` comments, blank lines ignored; spaces inside a
 * field are written `\040` (octal escapes). Fields 3-6 default to `auto`, `defaults`, 0, 0.
 */

export const FSTAB_PATH = '/etc/fstab';
export const CRYPTTAB_PATH = '/etc/crypttab';
/** Lines examined; a real fstab has tens. */
export const MAX_FSTAB_LINES = 10_000;
/** An fstab line longer than this is not an fstab line (the kernel's PATH_MAX is 4096). */
export const MAX_FSTAB_LINE_LENGTH = 16_384;

/** How the source is written: a device spec kind (the one classifier's), or why it is not on the disk. */
const SPEC_KINDS = [
  'uuid',
  'label',
  'partuuid',
  'partlabel',
  'device',
  'mapper',
  'lvm',
  'by-path',
  'by-id',
  'network',
  'pseudo',
  'bind',
  'path',
  'unknown',
] as const;
export type SpecKind = (typeof SPEC_KINDS)[number];
// Every kind the device-spec classifier gives for an fstab source must be in the list above.
const _specKindsCovered: Exclude<DeviceSpecKind, 'shorthand'> extends SpecKind ? true : never = true;

const fstabEntry = Type.Object({
  line: Type.Integer({ minimum: 1 }),
  excerpt: Type.String(),
  spec: Type.String(),
  kind: Type.Enum(SPEC_KINDS),
  class: Type.Enum(['filesystem', 'swap', 'pseudo', 'network', 'bind'], {
    description:
      'What the entry is for: a filesystem on the disk, swap, or one that is not on the disk at all.',
  }),
  mountpoint: Type.String(),
  fstype: Type.String(),
  // Immutable: the parsed lines are cached and shared between the checks that read them.
  options: Type.Immutable(Type.Array(Type.String())),
  noauto: Type.Boolean(),
  nofail: Type.Boolean(),
  bootCritical: Type.Boolean({
    description: 'Mounted at boot, and a failure stops the boot (no `noauto`, no `nofail`, on the disk).',
  }),
  resolved: Nullable(
    Type.Object({
      filesystem: Type.String(),
      type: Type.String(),
      uuid: Nullable(Type.String()),
      label: Nullable(Type.String()),
    }),
  ),
  typeMatches: Nullable(
    Type.Boolean({
      description: 'Declared type can mount the resolved one; null when unresolved or not checked.',
    }),
  ),
  verdict: Type.Enum(['ok', 'unresolved', 'wrongType', 'kernelName', 'hardwareName', 'notChecked'], {
    description:
      '`ok`: resolves to a filesystem (or swap area) of a compatible type; `unresolved`: nothing in the image matches the source; `wrongType`: it resolves, but the declared type cannot mount what is there; `kernelName`: a kernel device name (`/dev/sda1`), which changes with the disk bus; `hardwareName`: a `/dev/disk/by-id|by-path` name tied to the old hardware; `notChecked`: pseudo, network and bind entries, and dm-crypt targets from /etc/crypttab.',
  }),
  reason: Type.String({ description: 'How it resolved, or why it did not.' }),
  suggestedSpec: Nullable(
    Type.String({
      description: 'A stable source to write instead (`UUID=…`), for kernel and hardware names that resolve.',
    }),
  ),
  assembly: Nullable(
    Type.Object(
      { mounted: Type.Boolean(), reason: Nullable(Type.String()) },
      {
        description:
          'What the guest assembly did with this line: mounted, or its reason; null when it did not list it.',
      },
    ),
  ),
});

export type FstabEntry = Static<typeof fstabEntry>;
export type EntryClass = FstabEntry['class'];
export type EntryVerdict = FstabEntry['verdict'];

export const fstabFact = defineFact({
  id: 'linux.fstab',
  version: '1.0.0',
  description:
    'Every /etc/fstab entry: source kind, mount point, type, options, noauto/nofail, and what it resolves to among the filesystems and swap areas of the image (id, actual type, whether the declared type mounts it), with a verdict per entry.',
  schema: Type.Object({
    present: Type.Boolean(),
    path: Type.String(),
    entries: Type.Array(fstabEntry),
    problemCount: Type.Integer({
      minimum: 0,
      description: 'Entries whose verdict is not `ok`/`notChecked`, for messages.',
    }),
    bootCriticalCount: Type.Integer({ minimum: 0 }),
    notCheckedCount: Type.Integer({
      minimum: 0,
      description: 'Pseudo, network, bind and dm-crypt entries, which are not on the disk to check.',
    }),
  }),
});

export type FstabFact = FactValue<typeof fstabFact>;

/**
 * Declared type → the on-disk types it mounts. The kernel's ext4 driver mounts ext2 and ext3
 * (CONFIG_EXT4_USE_FOR_EXT2), but `ext3` cannot mount a filesystem with ext4-only features and
 * `ext2` cannot mount one with a journal, so only the upward direction is compatible.
 */
const COMPATIBLE: Readonly<Record<string, readonly string[]>> = {
  ext4: ['ext4', 'ext3', 'ext2'],
  ext3: ['ext3', 'ext2'],
  ext2: ['ext2'],
  xfs: ['xfs'],
  btrfs: ['btrfs'],
  vfat: ['vfat'],
  msdos: ['vfat'],
  fat: ['vfat'],
  exfat: ['exfat'],
  ntfs: ['ntfs'],
  ntfs3: ['ntfs'],
  'ntfs-3g': ['ntfs'],
  swap: ['swap'],
  iso9660: ['iso9660'],
  udf: ['iso9660'],
};

function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export interface ParsedLine {
  readonly line: number;
  readonly excerpt: string;
  readonly spec: string;
  readonly mountpoint: string;
  readonly fstype: string;
  readonly options: readonly string[];
}

/** Bytes of /etc/fstab read at most; a real one is a few hundred. */
export const MAX_FSTAB_BYTES = 1 << 20;

/**
 * fstab texts parsed recently: root finding, guest assembly and the fstab fact all read the same
 * file in one check, and parse it once. Keyed by content, so it cannot serve a stale parse.
 */
const parsedFstabs = new Lru<string, readonly ParsedLine[]>(8);

/** `parseFstab`, memoised by content; the result is shared, so callers must not modify it. */
export function parseFstabOnce(text: string): readonly ParsedLine[] {
  let parsed = parsedFstabs.get(text);
  if (parsed === undefined) {
    parsed = parseFstab(text);
    parsedFstabs.set(text, parsed);
  }
  return parsed;
}

/**
 * The one fstab(5) parser: assembly, root finding and the Fstab check use it. Throws
 * `FormatError` past the caps (a hostile file, not a real fstab).
 */
export function parseFstab(text: string): ParsedLine[] {
  const lines = text.split('\n');
  if (lines.length > MAX_FSTAB_LINES) {
    throw new FormatError('fstab/too-many-lines', `/etc/fstab has ${lines.length} lines`, {
      data: { path: FSTAB_PATH, lines: lines.length, cap: MAX_FSTAB_LINES },
    });
  }
  const out: ParsedLine[] = [];
  lines.forEach((raw, i) => {
    if (raw.length > MAX_FSTAB_LINE_LENGTH) {
      throw new FormatError('fstab/line-too-long', `/etc/fstab line ${i + 1} is ${raw.length} characters`, {
        data: { path: FSTAB_PATH, line: i + 1, length: raw.length, cap: MAX_FSTAB_LINE_LENGTH },
      });
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    if (fields.length < 2) return;
    const [spec = '', mountpoint = '', fstype = 'auto', options = 'defaults'] = fields;
    out.push({
      line: i + 1,
      excerpt: line,
      spec: unescapeOctal(spec),
      mountpoint: unescapeOctal(mountpoint),
      fstype,
      options: options.split(',').filter((o) => o !== ''),
    });
  });
  return out;
}

/** Names of dm-crypt targets in /etc/crypttab (crypttab(5): first field). */
export function parseCrypttabNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const raw of text.split('\n', MAX_FSTAB_LINES)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = line.split(/\s+/)[0];
    if (name !== undefined) names.add(name);
  }
  return names;
}

function classify(p: ParsedLine): { kind: SpecKind; cls: EntryClass } {
  const spec = p.spec;
  const opts = p.options;
  if (opts.includes('bind') || opts.includes('rbind') || p.fstype === 'bind')
    return { kind: 'bind', cls: 'bind' };
  if (NETWORK_FSTYPES.has(p.fstype) || /^[^/=]+:\//.test(spec) || spec.startsWith('//')) {
    return { kind: 'network', cls: 'network' };
  }
  if (PSEUDO_FSTYPES.has(p.fstype) || (!spec.startsWith('/') && !spec.includes('='))) {
    return { kind: 'pseudo', cls: 'pseudo' };
  }
  const cls: EntryClass = p.fstype === 'swap' ? 'swap' : 'filesystem';
  const kind = classifyDeviceSpec(spec);
  if (kind !== 'unknown' && kind !== 'shorthand') return { kind, cls };
  // A swap file (or a loop-mounted image file) lives in the guest's own tree.
  if (spec.startsWith('/')) return { kind: 'path', cls };
  return { kind: 'unknown', cls };
}

function typeMatches(declared: string, actual: string): boolean {
  if (declared === 'auto') return true;
  const list = COMPATIBLE[declared];
  return list === undefined ? declared === actual : list.includes(actual);
}

/** Builds the fact's entries from parsed lines over a layout. */
export function analyseFstab(
  parsed: readonly ParsedLine[],
  layout: ImageLayoutV2,
  crypt: Set<string>,
  mounts: readonly { line?: number; filesystem?: string; reason?: string }[] = [],
  existingPaths: ReadonlySet<string> = new Set(),
): FstabEntry[] {
  return parsed.map((p) => {
    const { kind, cls } = classify(p);
    const noauto = p.options.includes('noauto');
    const nofail = p.options.includes('nofail');
    const onDisk = cls === 'filesystem' || cls === 'swap';
    const bootCritical = onDisk && !noauto && !nofail;
    const m = mounts.find((x) => x.line === p.line);
    const assembly =
      m === undefined ? null : { mounted: m.filesystem !== undefined, reason: m.reason ?? null };
    const base = {
      line: p.line,
      excerpt: p.excerpt,
      spec: p.spec,
      kind,
      class: cls,
      mountpoint: p.mountpoint,
      fstype: p.fstype,
      options: p.options,
      noauto,
      nofail,
      bootCritical,
      assembly,
    };
    if (!onDisk) {
      const why =
        cls === 'bind'
          ? 'a bind mount of a directory'
          : cls === 'network'
            ? `a network filesystem (${p.fstype})`
            : `a pseudo filesystem (${p.fstype})`;
      return {
        ...base,
        resolved: null,
        typeMatches: null,
        verdict: 'notChecked',
        reason: `${why}: not on the disk`,
        suggestedSpec: null,
      };
    }
    if (kind === 'path') {
      // A swap file (or a loop-mounted image file) lives in the guest's own tree.
      const there = existingPaths.has(p.spec);
      return {
        ...base,
        resolved: null,
        typeMatches: null,
        verdict: there ? 'ok' : 'unresolved',
        reason: there ? `${p.spec} is a file in the guest` : `${p.spec} does not exist in the guest`,
        suggestedSpec: null,
      };
    }
    const r = resolveDeviceSpec(layout, p.spec, { cryptTargets: crypt });
    if (r.crypt) {
      return {
        ...base,
        resolved: null,
        typeMatches: null,
        verdict: 'notChecked',
        reason: r.reason,
        suggestedSpec: null,
      };
    }
    // by-id names of device-mapper devices (dm-name-, dm-uuid-) are as stable as /dev/mapper.
    const hardware = kind === 'by-path' || (kind === 'by-id' && !/\/by-id\/dm-(?:name|uuid)-/.test(p.spec));
    if (r.filesystem === undefined) {
      const verdict: EntryVerdict = hardware ? 'hardwareName' : 'unresolved';
      return { ...base, resolved: null, typeMatches: null, verdict, reason: r.reason, suggestedSpec: null };
    }
    const fs = r.filesystem;
    const declared = cls === 'swap' ? 'swap' : p.fstype;
    const matches = typeMatches(declared, fs.type);
    const stable = fs.uuid !== undefined ? `UUID=${fs.uuid}` : null;
    const verdict: EntryVerdict = !matches
      ? 'wrongType'
      : kind === 'device'
        ? 'kernelName'
        : hardware
          ? 'hardwareName'
          : 'ok';
    return {
      ...base,
      resolved: { filesystem: fs.id, type: fs.type, uuid: fs.uuid ?? null, label: fs.label ?? null },
      typeMatches: matches,
      verdict,
      reason: matches ? r.reason : `${r.reason}, which holds ${fs.type}, not ${p.fstype}`,
      suggestedSpec: verdict === 'kernelName' || verdict === 'hardwareName' ? stable : null,
    };
  });
}

export const fstabCollector = defineCollector(fstabFact, async (ctx): Promise<FactResult<FstabFact>> => {
  const guest = ctx.guest;
  if (guest === undefined) return noGuest('linux.fstab');
  // A looping /etc/fstab link leads to no file: reported as no fstab (the root is then mounted
  // from the kernel command line alone), not as damage.
  const text = await readOptional(guest, FSTAB_PATH).catch((err: unknown) => {
    if (isUnresolvable(err)) return undefined;
    throw err;
  });
  if (text === undefined) {
    return {
      status: 'ok',
      value: {
        present: false,
        path: FSTAB_PATH,
        entries: [],
        problemCount: 0,
        bootCriticalCount: 0,
        notCheckedCount: 0,
      },
      evidence: [
        fileEvidence(
          FSTAB_PATH,
          undefined,
          undefined,
          'absent: the root is mounted from the kernel command line',
        ),
      ],
    };
  }
  const crypttab = await readOptional(guest, CRYPTTAB_PATH);
  const crypt = crypttab === undefined ? new Set<string>() : parseCrypttabNames(crypttab);
  const parsed = parseFstabOnce(text);
  const existing = new Set<string>();
  for (const p of parsed) {
    if (p.spec.startsWith('/') && !p.spec.startsWith('/dev/') && (await pathExists(guest, p.spec)))
      existing.add(p.spec);
  }
  const entries = analyseFstab(parsed, ctx.layout, crypt, guest.mounts, existing);
  const evidence: Evidence[] = [fileEvidence(FSTAB_PATH)];
  for (const e of entries) {
    if (e.verdict !== 'ok' && e.verdict !== 'notChecked')
      evidence.push(fileEvidence(FSTAB_PATH, e.line, e.excerpt, e.reason));
  }
  return {
    status: 'ok',
    value: {
      present: true,
      path: FSTAB_PATH,
      entries,
      problemCount: entries.filter((e) => e.verdict !== 'ok' && e.verdict !== 'notChecked').length,
      bootCriticalCount: entries.filter((e) => e.bootCritical).length,
      notCheckedCount: entries.filter((e) => e.verdict === 'notChecked').length,
    },
    evidence,
  };
});
