import { FormatError } from '@imagecheck/access';
import { parseDocument } from 'yaml';

/**
 * Bounded parsers for declared file facts. Each takes one file's text and its guest path and
 * returns plain JSON; every record keeps the path and 1-based line it came from, so a rule can
 * point at the exact line. Malformed input throws `FormatError` (the fact becomes `unavailable`).
 */

/** Lines parsed in one file: far above any real config (a big sshd_config has a few hundred). */
export const MAX_LINES_PER_FILE = 100_000;
/** YAML aliases expanded in one document: stops "billion laughs" expansion. */
export const MAX_YAML_ALIASES = 100;
/** Nesting depth of a parsed YAML/JSON document; json-logic and renderers recurse over values. */
export const MAX_DOCUMENT_DEPTH = 64;
/** Values (scalars, arrays, objects) in one parsed YAML/JSON document. */
export const MAX_DOCUMENT_NODES = 200_000;

export interface LineRecord {
  readonly text: string;
  readonly path: string;
  readonly line: number;
}

export interface KeyValueEntry {
  readonly key: string;
  readonly value: string;
  readonly path: string;
  readonly line: number;
  /** The line that opened the conditional block this entry is in (`Match User bob`); absent outside blocks. */
  readonly block?: string;
}

export interface IniEntry {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  readonly path: string;
  readonly line: number;
}

export interface LineOptions {
  readonly comment: readonly string[];
}

export interface KeyValueOptions extends LineOptions {
  readonly separator: readonly string[];
  readonly keyCase: 'preserve' | 'lower' | 'upper';
  readonly unquote: boolean;
  readonly block?: string;
}

/** Splits text into trimmed lines with their numbers, dropping blanks and comments; caps the count. */
function* contentLines(text: string, path: string, comment: readonly string[]): Generator<[string, number]> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let lineNo = 0;
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    lineNo++;
    if (lineNo > MAX_LINES_PER_FILE) {
      throw new FormatError('declared/too-many-lines', `${path} has more than ${MAX_LINES_PER_FILE} lines`, {
        data: { path, limit: MAX_LINES_PER_FILE },
      });
    }
    const raw = body.slice(start, end);
    start = end + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || comment.some((c) => trimmed.startsWith(c))) continue;
    yield [trimmed, lineNo];
    if (end === body.length) break;
  }
}

export function parseLines(text: string, path: string, options: LineOptions): LineRecord[] {
  const out: LineRecord[] = [];
  for (const [trimmed, line] of contentLines(text, path, options.comment))
    out.push({ text: trimmed, path, line });
  return out;
}

/** Index and length of the earliest separator in `line`; `' '` matches a run of whitespace. */
function findSeparator(line: string, separators: readonly string[]): [number, number] | undefined {
  let best: [number, number] | undefined;
  for (const sep of separators) {
    let at: number;
    let len: number;
    if (sep === ' ') {
      const m = /\s+/.exec(line);
      if (m === null) continue;
      at = m.index;
      len = m[0].length;
    } else {
      at = line.indexOf(sep);
      len = sep.length;
      if (at === -1) continue;
    }
    if (best === undefined || at < best[0]) best = [at, len];
  }
  return best;
}

/**
 * The value after the key: blanks, at most one non-blank separator (so `Key = value` and
 * `Key=value` read alike when both ' ' and '=' separate), blanks.
 */
function valueAfter(rest: string, separators: readonly string[]): string {
  let v = rest.trimStart();
  for (const sep of separators) {
    if (sep !== ' ' && v.startsWith(sep)) {
      v = v.slice(sep.length).trimStart();
      break;
    }
  }
  return v.trimEnd();
}

function unquoteValue(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

function normaliseKey(key: string, keyCase: KeyValueOptions['keyCase']): string {
  return keyCase === 'lower' ? key.toLowerCase() : keyCase === 'upper' ? key.toUpperCase() : key;
}

function splitKeyValue(line: string, options: KeyValueOptions): [string, string] {
  const sep = findSeparator(line, options.separator);
  if (sep === undefined) return [normaliseKey(line, options.keyCase), ''];
  const key = normaliseKey(line.slice(0, sep[0]).trimEnd(), options.keyCase);
  let value = valueAfter(line.slice(sep[0]), options.separator);
  if (options.unquote) value = unquoteValue(value);
  return [key, value];
}

export function parseKeyValue(text: string, path: string, options: KeyValueOptions): KeyValueEntry[] {
  const out: KeyValueEntry[] = [];
  const blockWord = options.block?.toLowerCase();
  let block: string | undefined;
  for (const [trimmed, line] of contentLines(text, path, options.comment)) {
    const [key, value] = splitKeyValue(trimmed, options);
    if (blockWord !== undefined && key.toLowerCase() === blockWord) {
      block = trimmed;
      continue;
    }
    out.push(block === undefined ? { key, value, path, line } : { key, value, path, line, block });
  }
  return out;
}

export function parseIni(text: string, path: string, options: KeyValueOptions): IniEntry[] {
  const out: IniEntry[] = [];
  let section = '';
  for (const [trimmed, line] of contentLines(text, path, options.comment)) {
    if (trimmed.startsWith('[')) {
      const close = trimmed.indexOf(']');
      if (close === -1) {
        throw new FormatError(
          'declared/bad-ini-section',
          `${path} line ${line}: section header without ']'`,
          {
            data: { path, line },
          },
        );
      }
      section = trimmed.slice(1, close).trim();
      continue;
    }
    const [key, value] = splitKeyValue(trimmed, options);
    out.push({ section, key, value, path, line });
  }
  return out;
}

const OS_RELEASE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * os-release(5): `KEY=value` lines, values unquoted or in single or double quotes; in double
 * quotes, backslash escapes `\"`, `\\`, `` \` `` and `\$`. Lines that are not assignments are
 * skipped, as the spec tells readers to do.
 */
export function parseOsRelease(text: string, path: string): KeyValueEntry[] {
  const out: KeyValueEntry[] = [];
  for (const [trimmed, line] of contentLines(text, path, ['#'])) {
    const eq = trimmed.indexOf('=');
    if (eq <= 0) continue;
    const key = trimmed.slice(0, eq);
    if (!OS_RELEASE_KEY.test(key)) continue;
    out.push({ key, value: shellValue(trimmed.slice(eq + 1)), path, line });
  }
  return out;
}

function shellValue(raw: string): string {
  const q = raw[0];
  if (q === "'") {
    const end = raw.indexOf("'", 1);
    return end === -1 ? raw.slice(1) : raw.slice(1, end);
  }
  if (q !== '"') return raw.trim();
  let out = '';
  for (let i = 1; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '"') break;
    if (c === '\\' && i + 1 < raw.length && '"\\`$'.includes(raw[i + 1] as string)) {
      out += raw[i + 1];
      i++;
    } else out += c;
  }
  return out;
}

/** Checks a parsed document's depth and size without recursion. */
function checkDocument(value: unknown, path: string): void {
  const stack: [unknown, number][] = [[value, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (++nodes > MAX_DOCUMENT_NODES) {
      throw new FormatError(
        'declared/document-too-large',
        `${path} has more than ${MAX_DOCUMENT_NODES} values`,
        {
          data: { path, limit: MAX_DOCUMENT_NODES },
        },
      );
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_DOCUMENT_DEPTH) {
      throw new FormatError('declared/document-too-deep', `${path} nests deeper than ${MAX_DOCUMENT_DEPTH}`, {
        data: { path, limit: MAX_DOCUMENT_DEPTH },
      });
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}

export function parseJson(text: string, path: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new FormatError('declared/bad-json', `${path}: ${(err as Error).message}`, {
      data: { path },
      cause: err,
    });
  }
  checkDocument(data, path);
  return data;
}

/** One YAML 1.2 document (core schema); several documents in one file are an error. */
export function parseYaml(text: string, path: string): unknown {
  const doc = parseDocument(text, { schema: 'core', uniqueKeys: true, prettyErrors: false });
  const problem = doc.errors[0];
  if (problem !== undefined) {
    throw new FormatError('declared/bad-yaml', `${path}: ${problem.message}`, {
      data: { path, line: problem.linePos?.[0]?.line },
    });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    throw new FormatError('declared/bad-yaml', `${path}: ${(err as Error).message}`, {
      data: { path },
      cause: err,
    });
  }
  checkDocument(data, path);
  return data ?? null;
}
