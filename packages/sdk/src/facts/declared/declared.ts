import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestStatV2, GuestTreeV2 } from '@imagecheck/access';
import {
  isImagecheckError,
  isInternalError,
  isUnresolvable,
  PackError,
  UnsupportedError,
} from '@imagecheck/access';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import picomatch from 'picomatch';
import { bestError, describeError, newAjv, schemasDir } from '../../rules/schemas.js';
import { globGuest } from '../glob.js';
import type { CollectContext, Collector, Evidence, FactDefinition, FactResult } from '../types.js';
import {
  type IniEntry,
  type KeyValueEntry,
  type KeyValueOptions,
  type LineRecord,
  parseIni,
  parseJson,
  parseKeyValue,
  parseLines,
  parseOsRelease,
  parseYaml,
} from './parsers.js';

/**
 * Pack-declared generic facts ("packs without code").
 *
 * A pack lists declarations under `facts.declare` in its manifest (schema:
 * `schemas/declared-fact.schema.json`); `declaredFacts(namespace, declarations)` turns them into
 * fact definitions (with the JSON Schema of each value) and collectors. Values, by source:
 *
 * `file` — every file reached by `path` / `paths` / `glob`, read in the order given (each glob's
 * matches sorted, duplicates dropped). Common to every parser:
 *   `{ present: boolean, files: [{ path, present, size? }] }` where `present` is "at least one file
 *   was read" and a literal path that does not exist is listed with `present: false`.
 * Then, per `parse`:
 *   - `lines`:     `lines: [{ text, path, line }]` (trimmed; blank and comment lines dropped)
 *   - `keyvalue`:  `entries: [{ key, value, path, line, block? }]`, `values: { key: last value }`,
 *                  `firstValues: { key: first value }` (sshd reads first-wins, sysctl last-wins),
 *                  and `firstEntries` / `lastEntries: { key: entry }` so a rule can point at the
 *                  line that decides; entries inside a `block` are in `entries` only
 *   - `osrelease`: as `keyvalue`, values unquoted per os-release(5)
 *   - `ini`:       `entries: [{ section, key, value, path, line }]`, `sections: { name: { key: last value } }`
 *                  (keys before the first header are in section `""`)
 *   - `yaml`, `json`: `documents: [{ path, data }]`, `data`: the first file's document, or null
 *   - `text`:      `texts: [{ path, text }]`, `text`: the first file's text, or null
 * A missing file is an `ok` fact with `present: false`; a file that cannot be read or parsed
 * (too big, damaged, malformed) makes the fact `unavailable` with the reason.
 *
 * `stat` — `{ present: boolean, entries: [{ path, exists, type, mode, modeOctal, permissions,
 * uid, gid, size, target?, ownerReadable..., worldReadable, worldWritable }] }`: json-logic has no
 * bit operators, so the permission bits come as booleans and an `ls`-style string too.
 *
 * `registry` — one key of a Windows hive, collected by the plugin that reads the guest's registry
 * (it hands the engine a `DeclaredSourceHandler` for `registry`; the SDK reads no hive itself):
 *   `{ present, hive, hivePresent, key, keyPresent }` where `hive` is the guest path of the hive
 *   file, `key` the path read (`HKLM\SYSTEM\ControlSet001\...`, CurrentControlSet resolved) and
 *   `present` is "the key exists, and so does the named value when one is named"; then
 *   - `value: X`:      `value: { name, type, data } | null`
 *   - `values: true`:  `values: [{ name, type, data }]` and `data: { name: data }`
 *   - `subkeys: true`: `subkeys: [name]`
 *   where `type` is `REG_SZ`, `REG_DWORD`... and `data` a string (REG_SZ, REG_EXPAND_SZ, REG_LINK),
 *   a number (REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_QWORD up to 2^53-1, larger ones as decimal
 *   text), a list of strings (REG_MULTI_SZ) or lower-case hex (anything else). With none of
 *   `value`, `values`, `subkeys`: the key's values. A missing hive, key or value is an `ok` fact with
 *   `present: false`, as a missing file is; a hive that does not open makes the fact `unavailable`,
 *   and one left dirty that no log recovered is read, its evidence saying the values may be stale.
 *   Without a handler (no Windows plugin loaded) the fact is `unavailable`, code
 *   `declared/registry-unavailable`.
 */

/** Version of the value shapes above; bump the major when a shape changes incompatibly. */
export const DECLARED_FACT_VERSION = '1.0.0';
/** Default and largest `maxBytes` of a declared file. */
export const DEFAULT_DECLARED_MAX_BYTES = 1024 * 1024;
/** Files (or stat paths) one declared fact may reach, globs included. */
export const MAX_DECLARED_FILES = 256;
/** Declarations in one pack (the pack schema's `maxItems`). */
export const MAX_DECLARATIONS = 256;

export type DeclaredParser = 'lines' | 'keyvalue' | 'ini' | 'yaml' | 'json' | 'osrelease' | 'text';

interface PathSelector {
  readonly path?: string;
  readonly paths?: readonly string[];
  readonly glob?: string;
}

export interface DeclaredFileSource extends PathSelector {
  readonly parse: DeclaredParser;
  readonly separator?: string | readonly string[];
  readonly comment?: string | readonly string[];
  readonly keyCase?: 'preserve' | 'lower' | 'upper';
  readonly unquote?: boolean;
  readonly block?: string;
  readonly maxBytes?: number;
}

export interface DeclaredStatSource extends PathSelector {
  readonly follow?: boolean;
}

export interface DeclaredRegistrySource {
  readonly key: string;
  /** Guest path of a hive file that is not a machine hive (a user's NTUSER.DAT); `key` is inside it. */
  readonly hive?: string;
  readonly value?: string;
  readonly values?: true;
  readonly subkeys?: true;
}

/** Sources whose facts a plugin collects, so the SDK stays free of OS formats. */
export type PluginDeclaredSource = 'registry';

/**
 * A plugin's collector for one declared-fact source (`Plugin.declaredSources`). `collect` returns the
 * value shape documented above for its source; the engine validates it against the fact's schema.
 */
export interface DeclaredSourceHandler {
  readonly source: PluginDeclaredSource;
  collect(fact: string, source: DeclaredRegistrySource, ctx: CollectContext): Promise<FactResult>;
}

/** Machine hives a `registry` declaration may name after `HKLM\`. */
export const MACHINE_HIVES = ['SYSTEM', 'SOFTWARE', 'SAM', 'SECURITY', 'DEFAULT'] as const;

/** One entry of a pack's `facts.declare`, as validated by `declared-fact.schema.json`. */
export interface FactDeclaration {
  readonly id: string;
  readonly description: string;
  readonly file?: DeclaredFileSource;
  readonly stat?: DeclaredStatSource;
  readonly registry?: DeclaredRegistrySource;
}

const NAMESPACE = /^[a-z][a-z0-9]*$/;

let validator: ValidateFunction | undefined;
function validateDeclaration(): ValidateFunction {
  if (validator === undefined) {
    const schema = JSON.parse(
      readFileSync(join(schemasDir(), 'declared-fact.schema.json'), 'utf8'),
    ) as object;
    validator = newAjv({ strict: true }).compile(schema);
  }
  return validator;
}

/** Parser options that make sense per parser; others are refused, so a typo'd intent is loud. */
const PARSER_OPTIONS: Record<DeclaredParser, readonly string[]> = {
  lines: ['comment'],
  keyvalue: ['separator', 'comment', 'keyCase', 'unquote', 'block'],
  ini: ['separator', 'comment', 'keyCase', 'unquote'],
  osrelease: [],
  yaml: [],
  json: [],
  text: [],
};
const ALL_PARSER_OPTIONS = ['separator', 'comment', 'keyCase', 'unquote', 'block'];

function packError(
  namespace: string,
  index: number,
  message: string,
  extra: Record<string, unknown> = {},
): PackError {
  return new PackError('pack/invalid-declared-fact', message, { data: { namespace, index, ...extra } });
}

/**
 * Turns a pack's declarations into fact definitions and collectors. Throws `PackError`
 * (`pack/invalid-declared-fact`, with `data.field` and `data.expected`) for an invalid declaration
 * and `pack/duplicate-declared-fact` for a repeated id.
 */
export function declaredFacts(
  namespace: string,
  declarations: readonly unknown[],
  handlers: readonly DeclaredSourceHandler[] = [],
): { definitions: FactDefinition[]; collectors: Collector[] } {
  if (!NAMESPACE.test(namespace)) {
    throw new PackError(
      'pack/invalid-declared-fact',
      `invalid pack namespace for declared facts: ${namespace}`,
      {
        data: { namespace, expected: NAMESPACE.source },
      },
    );
  }
  if (declarations.length > MAX_DECLARATIONS) {
    throw packError(namespace, MAX_DECLARATIONS, `more than ${MAX_DECLARATIONS} declared facts`);
  }
  const validate = validateDeclaration();
  const definitions: FactDefinition[] = [];
  const collectors: Collector[] = [];
  const seen = new Set<string>();
  declarations.forEach((raw, index) => {
    if (!validate(raw)) {
      const best = bestError(validate.errors ?? []);
      const d = best === undefined ? undefined : describeError(best);
      throw packError(namespace, index, `declared fact #${index + 1}: ${d?.message ?? 'invalid'}`, {
        field: `/facts/declare/${index}${d?.field ?? ''}`,
        expected: d?.expected,
      });
    }
    const decl = raw as FactDeclaration;
    if (decl.file !== undefined) {
      const allowed = PARSER_OPTIONS[decl.file.parse];
      for (const opt of ALL_PARSER_OPTIONS) {
        if ((decl.file as unknown as Record<string, unknown>)[opt] !== undefined && !allowed.includes(opt)) {
          throw packError(
            namespace,
            index,
            `declared fact ${decl.id}: '${opt}' does not apply to parse: ${decl.file.parse}`,
            {
              field: `/facts/declare/${index}/file/${opt}`,
              expected: allowed.length > 0 ? `one of ${allowed.join(', ')}` : 'no parser options',
            },
          );
        }
      }
    }
    if (decl.registry !== undefined && decl.registry.hive === undefined) {
      const hive = decl.registry.key.split('\\')[1]?.toUpperCase() ?? '';
      if (!(MACHINE_HIVES as readonly string[]).includes(hive)) {
        throw packError(
          namespace,
          index,
          `declared fact ${decl.id}: ${decl.registry.key} names no machine hive (use 'hive' for a user hive)`,
          {
            field: `/facts/declare/${index}/registry/key`,
            expected: `HKLM\\${MACHINE_HIVES.join('|')}\\...`,
          },
        );
      }
    }
    const id = `${namespace}.${decl.id}`;
    if (seen.has(id)) {
      throw new PackError('pack/duplicate-declared-fact', `fact ${id} is declared twice`, {
        data: { namespace, index, fact: id, field: `/facts/declare/${index}/id` },
      });
    }
    seen.add(id);
    definitions.push({
      id,
      version: DECLARED_FACT_VERSION,
      description: decl.description,
      schema: valueSchema(decl),
    });
    collectors.push({ fact: id, collect: (ctx) => collectDeclared(id, decl, ctx, handlers) });
  });
  return { definitions, collectors };
}

// ---------------------------------------------------------------------------------------------
// Collection.

const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

function unavailable(reason: string, code: string | undefined, evidence: readonly Evidence[]): FactResult {
  return { status: 'unavailable', reason, ...(code === undefined ? {} : { code }), evidence };
}

async function collectDeclared(
  id: string,
  decl: FactDeclaration,
  ctx: CollectContext,
  handlers: readonly DeclaredSourceHandler[],
): Promise<FactResult> {
  if (decl.registry !== undefined) {
    const handler = handlers.find((h) => h.source === 'registry');
    if (handler !== undefined) return handler.collect(id, decl.registry, ctx);
    const err = new UnsupportedError(
      'declared/registry-unavailable',
      `fact ${id} reads the Windows registry (${decl.registry.key}), which needs the Windows plugin; it is not loaded, so the fact is not available yet`,
      { data: { fact: id, key: decl.registry.key } },
    );
    return unavailable(err.message, err.code, [{ kind: 'registry', key: decl.registry.key }]);
  }
  const tree = ctx.guest;
  if (tree === undefined) {
    return unavailable(
      `fact ${id} reads guest files, but no guest tree was assembled (no OS root found)`,
      'declared/no-guest',
      [],
    );
  }
  const evidence: Evidence[] = [];
  try {
    const targets = await expand(tree, (decl.file ?? decl.stat) as PathSelector);
    if (decl.stat !== undefined) return await collectStat(tree, targets, decl.stat.follow ?? true, evidence);
    return await collectFiles(tree, targets, decl.file as DeclaredFileSource, evidence);
  } catch (err) {
    // What the image says makes the fact unavailable; a bug (an InternalError) propagates.
    if (isImagecheckError(err) && !isInternalError(err)) {
      const where = typeof err.data.path === 'string' ? ` (${err.data.path})` : '';
      return unavailable(`fact ${id}: ${err.message}${where}`, err.code, evidence);
    }
    throw err;
  }
}

interface Target {
  readonly path: string;
  /** True for a literal path, which is reported even when absent. */
  readonly literal: boolean;
}

/** Expands the selector: literal paths as given, globs sorted, duplicates dropped, capped. */
async function expand(tree: GuestTreeV2, sel: PathSelector): Promise<Target[]> {
  const patterns =
    sel.path !== undefined ? [sel.path] : sel.glob !== undefined ? [sel.glob] : [...(sel.paths ?? [])];
  const out: Target[] = [];
  const seen = new Set<string>();
  for (const pattern of patterns) {
    const isGlob = picomatch.scan(pattern).isGlob;
    const found = isGlob
      ? (await globGuest(tree, pattern, { maxEntries: MAX_DECLARED_FILES })).map((path) => ({
          path,
          literal: false,
        }))
      : [{ path: pattern, literal: true }];
    for (const t of found) {
      if (seen.has(t.path)) continue;
      seen.add(t.path);
      out.push(t);
      if (out.length > MAX_DECLARED_FILES) {
        throw new PackError('declared/too-many-files', `more than ${MAX_DECLARED_FILES} paths`, {
          data: { limit: MAX_DECLARED_FILES },
        });
      }
    }
  }
  return out;
}

interface FileRecord {
  path: string;
  present: boolean;
  size?: number;
}

async function collectFiles(
  tree: GuestTreeV2,
  targets: readonly Target[],
  source: DeclaredFileSource,
  evidence: Evidence[],
): Promise<FactResult> {
  const maxBytes = source.maxBytes ?? DEFAULT_DECLARED_MAX_BYTES;
  const files: FileRecord[] = [];
  const read: { path: string; text: string }[] = [];
  for (const t of targets) {
    // A directory matched by a glob is not a file to parse; a literal path to one is absent as a file.
    const st = await statOrUndefined(tree, t.path, true);
    if (st === undefined || st.type !== 'file') {
      if (t.literal) {
        files.push({ path: t.path, present: false });
        evidence.push({
          kind: 'file',
          path: t.path,
          note: st === undefined ? 'absent' : `not a regular file (${st.type})`,
        });
      }
      continue;
    }
    evidence.push({ kind: 'file', path: t.path, note: 'read' });
    const bytes = await tree.readFile(t.path, { maxBytes });
    files.push({ path: t.path, present: true, size: bytes.length });
    read.push({ path: t.path, text: new TextDecoder('utf-8').decode(bytes) });
  }
  const value: Record<string, unknown> = { present: read.length > 0, files };
  const comment = toList(source.comment, source.parse === 'ini' ? ['#', ';'] : ['#']);
  const kv: KeyValueOptions = {
    comment,
    separator: toList(source.separator, ['=']),
    keyCase: source.keyCase ?? 'preserve',
    unquote: source.unquote ?? false,
    ...(source.block === undefined ? {} : { block: source.block }),
  };
  switch (source.parse) {
    case 'lines': {
      const lines: LineRecord[] = [];
      for (const f of read) lines.push(...parseLines(f.text, f.path, { comment }));
      value.lines = lines;
      break;
    }
    case 'keyvalue':
    case 'osrelease': {
      const entries: KeyValueEntry[] = [];
      for (const f of read) {
        entries.push(
          ...(source.parse === 'osrelease'
            ? parseOsRelease(f.text, f.path)
            : parseKeyValue(f.text, f.path, kv)),
        );
      }
      const global = entries.filter((e) => e.block === undefined);
      value.entries = entries;
      // fromEntries defines own properties, so a key named __proto__ stays data.
      value.values = Object.fromEntries(global.map((e) => [e.key, e.value]));
      const first = new Map<string, KeyValueEntry>();
      const last = new Map<string, KeyValueEntry>();
      for (const e of global) {
        if (!first.has(e.key)) first.set(e.key, e);
        last.set(e.key, e);
      }
      value.firstValues = Object.fromEntries([...first].map(([k, e]) => [k, e.value]));
      value.firstEntries = Object.fromEntries(first);
      value.lastEntries = Object.fromEntries(last);
      break;
    }
    case 'ini': {
      const entries: IniEntry[] = [];
      for (const f of read) entries.push(...parseIni(f.text, f.path, kv));
      const sections = new Map<string, Map<string, string>>();
      for (const e of entries) {
        let s = sections.get(e.section);
        if (s === undefined) {
          s = new Map();
          sections.set(e.section, s);
        }
        s.set(e.key, e.value);
      }
      value.entries = entries;
      value.sections = Object.fromEntries([...sections].map(([k, m]) => [k, Object.fromEntries(m)]));
      break;
    }
    case 'yaml':
    case 'json': {
      const documents = read.map((f) => ({
        path: f.path,
        data: source.parse === 'json' ? parseJson(f.text, f.path) : parseYaml(f.text, f.path),
      }));
      value.documents = documents;
      value.data = documents[0]?.data ?? null;
      break;
    }
    case 'text': {
      value.texts = read.map((f) => ({ path: f.path, text: f.text }));
      value.text = read[0]?.text ?? null;
      break;
    }
  }
  return { status: 'ok', value, evidence };
}

function toList(v: string | readonly string[] | undefined, fallback: readonly string[]): readonly string[] {
  return v === undefined ? fallback : typeof v === 'string' ? [v] : v;
}

/** stat/lstat, or undefined where `exists` would say false (missing, non-directory parent, loop). */
async function statOrUndefined(
  tree: GuestTreeV2,
  path: string,
  follow: boolean,
): Promise<GuestStatV2 | undefined> {
  try {
    return follow ? await tree.stat(path) : await tree.lstat(path);
  } catch (err) {
    if (isUnresolvable(err)) return undefined;
    throw err;
  }
}

const RWX = 'rwxrwxrwx';

/** `ls -l` style permission string, with setuid/setgid/sticky as s/S, s/S, t/T. */
function permissionString(mode: number): string {
  let s = '';
  for (let i = 0; i < 9; i++) s += mode & (0o400 >> i) ? RWX[i] : '-';
  const put = (i: number, bit: number, on: string, off: string): void => {
    if (mode & bit) s = s.slice(0, i) + (s[i] === '-' ? off : on) + s.slice(i + 1);
  };
  put(2, 0o4000, 's', 'S');
  put(5, 0o2000, 's', 'S');
  put(8, 0o1000, 't', 'T');
  return s;
}

async function collectStat(
  tree: GuestTreeV2,
  targets: readonly Target[],
  follow: boolean,
  evidence: Evidence[],
): Promise<FactResult> {
  const entries: Record<string, unknown>[] = [];
  for (const t of targets) {
    const link = await statOrUndefined(tree, t.path, false);
    const st =
      link === undefined
        ? undefined
        : follow && link.type === 'symlink'
          ? await statOrUndefined(tree, t.path, true)
          : link;
    const target = link?.type === 'symlink' ? await tree.readlink(t.path) : undefined;
    if (st === undefined) {
      entries.push({ path: t.path, exists: false, ...(target === undefined ? {} : { target }) });
      evidence.push({
        kind: 'file',
        path: t.path,
        note: target === undefined ? 'absent' : `dangling symlink to ${target}`,
      });
      continue;
    }
    const perm = st.mode & 0o7777;
    entries.push({
      path: t.path,
      exists: true,
      type: st.type,
      mode: perm,
      modeOctal: perm.toString(8).padStart(4, '0'),
      permissions: permissionString(perm),
      uid: st.uid,
      gid: st.gid,
      size: st.size,
      ...(target === undefined ? {} : { target }),
      ownerReadable: (perm & 0o400) !== 0,
      ownerWritable: (perm & 0o200) !== 0,
      groupReadable: (perm & 0o040) !== 0,
      groupWritable: (perm & 0o020) !== 0,
      worldReadable: (perm & 0o004) !== 0,
      worldWritable: (perm & 0o002) !== 0,
      executable: (perm & 0o111) !== 0,
      setuid: (perm & 0o4000) !== 0,
      setgid: (perm & 0o2000) !== 0,
    });
    evidence.push({ kind: 'file', path: t.path, excerpt: `${permissionString(perm)} ${st.uid}:${st.gid}` });
  }
  return { status: 'ok', value: { present: entries.some((e) => e.exists === true), entries }, evidence };
}

// ---------------------------------------------------------------------------------------------
// Value schemas (JSON Schema 2020-12), one per source and parser.

const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const bool = { type: 'boolean' } as const;
const stringMap = { type: 'object', additionalProperties: str } as const;

function obj(properties: Record<string, unknown>, required: readonly string[]): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, required, properties };
}

const fileRecord = obj({ path: str, present: bool, size: int }, ['path', 'present']);
const located = { path: str, line: { type: 'integer', minimum: 1 } };

function fileValueSchema(parse: DeclaredParser): Record<string, unknown> {
  const common = { present: bool, files: { type: 'array', items: fileRecord } };
  const kvEntry = obj({ key: str, value: str, ...located, block: str }, ['key', 'value', 'path', 'line']);
  switch (parse) {
    case 'lines':
      return obj(
        {
          ...common,
          lines: { type: 'array', items: obj({ text: str, ...located }, ['text', 'path', 'line']) },
        },
        ['present', 'files', 'lines'],
      );
    case 'keyvalue':
    case 'osrelease':
      return obj(
        {
          ...common,
          entries: { type: 'array', items: kvEntry },
          values: stringMap,
          firstValues: stringMap,
          firstEntries: { type: 'object', additionalProperties: kvEntry },
          lastEntries: { type: 'object', additionalProperties: kvEntry },
        },
        ['present', 'files', 'entries', 'values', 'firstValues', 'firstEntries', 'lastEntries'],
      );
    case 'ini':
      return obj(
        {
          ...common,
          entries: {
            type: 'array',
            items: obj({ section: str, key: str, value: str, ...located }, [
              'section',
              'key',
              'value',
              'path',
              'line',
            ]),
          },
          sections: { type: 'object', additionalProperties: stringMap },
        },
        ['present', 'files', 'entries', 'sections'],
      );
    case 'yaml':
    case 'json':
      return obj(
        {
          ...common,
          documents: { type: 'array', items: obj({ path: str, data: {} }, ['path', 'data']) },
          data: {},
        },
        ['present', 'files', 'documents', 'data'],
      );
    case 'text':
      return obj(
        {
          ...common,
          texts: { type: 'array', items: obj({ path: str, text: str }, ['path', 'text']) },
          text: { type: ['string', 'null'] },
        },
        ['present', 'files', 'texts', 'text'],
      );
  }
}

const statEntry = obj(
  {
    path: str,
    exists: bool,
    type: { enum: ['file', 'dir', 'symlink', 'other'] },
    mode: { type: 'integer', minimum: 0, maximum: 0o7777 },
    modeOctal: { type: 'string', pattern: '^[0-7]{4}$' },
    permissions: { type: 'string', pattern: '^[-rwxsStT]{9}$' },
    uid: int,
    gid: int,
    size: int,
    target: str,
    ownerReadable: bool,
    ownerWritable: bool,
    groupReadable: bool,
    groupWritable: bool,
    worldReadable: bool,
    worldWritable: bool,
    executable: bool,
    setuid: bool,
    setgid: bool,
  },
  ['path', 'exists'],
);

const regData = {
  anyOf: [str, { type: 'number' }, { type: 'array', items: str }],
} as const;
const regValue = obj({ name: str, type: str, data: regData }, ['name', 'type', 'data']);

function registryValueSchema(source: DeclaredRegistrySource): Record<string, unknown> {
  const common = { present: bool, hive: str, hivePresent: bool, key: str, keyPresent: bool };
  const required = ['present', 'hive', 'hivePresent', 'key', 'keyPresent'];
  if (source.value !== undefined) {
    return obj({ ...common, value: { anyOf: [regValue, { type: 'null' }] } }, [...required, 'value']);
  }
  if (source.subkeys === true) {
    return obj({ ...common, subkeys: { type: 'array', items: str } }, [...required, 'subkeys']);
  }
  return obj(
    {
      ...common,
      values: { type: 'array', items: regValue },
      data: { type: 'object', additionalProperties: regData },
    },
    [...required, 'values', 'data'],
  );
}

function valueSchema(decl: FactDeclaration): Record<string, unknown> {
  let schema: Record<string, unknown>;
  if (decl.file !== undefined) schema = fileValueSchema(decl.file.parse);
  else if (decl.stat !== undefined)
    schema = obj({ present: bool, entries: { type: 'array', items: statEntry } }, ['present', 'entries']);
  else schema = registryValueSchema(decl.registry as DeclaredRegistrySource);
  return { $schema: SCHEMA_DIALECT, description: decl.description, ...schema };
}
