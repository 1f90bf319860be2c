import { type Evidence, type GuestTreeV2, ImagecheckError, isImagecheckError } from '@imagecheck/sdk';

/** Configuration files these collectors read are small; anything larger is refused, not parsed. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Lines considered per configuration file. */
export const MAX_CONFIG_LINES = 20_000;

const ABSENT = new Set(['guest/ENOENT', 'guest/ENOTDIR']);

/** True when the error says the path does not exist (as opposed to a damaged filesystem). */
export function isAbsent(err: unknown): boolean {
  return isImagecheckError(err) && ABSENT.has(err.code);
}

/**
 * Reads a small text file, or `undefined` when it does not exist. Other errors (a damaged
 * filesystem, a file over the cap) propagate, so the fact becomes unavailable with their code.
 */
export async function readOptional(
  tree: GuestTreeV2,
  path: string,
  maxBytes = MAX_CONFIG_BYTES,
): Promise<string | undefined> {
  try {
    const st = await tree.stat(path);
    if (st.type !== 'file') return undefined;
    return new TextDecoder('utf-8').decode(await tree.readFile(path, { maxBytes }));
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}

/** Reads bytes `[offset, offset+length)` of a file, or `undefined` when it does not exist. */
export async function readHead(
  tree: GuestTreeV2,
  path: string,
  length: number,
  offset = 0,
): Promise<Uint8Array | undefined> {
  try {
    return await tree.readFile(path, { offset, length, maxBytes: length });
  } catch (err) {
    if (isAbsent(err) || (isImagecheckError(err) && err.code === 'guest/EISDIR')) return undefined;
    throw err;
  }
}

export async function pathExists(tree: GuestTreeV2, path: string): Promise<boolean> {
  try {
    await tree.stat(path);
    return true;
  } catch (err) {
    if (isAbsent(err) || (isImagecheckError(err) && err.code === 'guest/ELOOP')) return false;
    throw err;
  }
}

/** Directory entries' names, or `[]` when the directory does not exist; capped. */
export async function listDir(tree: GuestTreeV2, path: string, max = 4096): Promise<string[]> {
  try {
    const entries = await tree.readdir(path);
    return entries.slice(0, max).map((e) => e.name);
  } catch (err) {
    if (isAbsent(err)) return [];
    throw err;
  }
}

/** Splits text into at most MAX_CONFIG_LINES lines (without terminators). */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.slice(0, MAX_CONFIG_LINES);
}

/** `KEY=value` files (os-release, SELinux config, grubenv, ifcfg): shell-style quoting removed. */
export interface KeyValueLine {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export function parseShellAssignments(text: string): KeyValueLine[] {
  const out: KeyValueLine[] = [];
  splitLines(text).forEach((raw, i) => {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l);
    if (!m) return;
    out.push({ key: m[1] as string, value: unquote((m[2] as string).trim()), line: i + 1 });
  });
  return out;
}

/** Removes one level of shell quoting (`"a b"`, `'a b'`, `a\ b`) and a trailing comment. */
export function unquote(v: string): string {
  if (v.startsWith('"')) {
    const end = v.indexOf('"', 1);
    return (end < 0 ? v.slice(1) : v.slice(1, end)).replace(/\\(["\\$`])/g, '$1');
  }
  if (v.startsWith("'")) {
    const end = v.indexOf("'", 1);
    return end < 0 ? v.slice(1) : v.slice(1, end);
  }
  const hash = v.search(/\s#/);
  return (hash >= 0 ? v.slice(0, hash) : v).trim().replace(/\\(.)/g, '$1');
}

export function fileEvidence(path: string, line?: number, excerpt?: string, note?: string): Evidence {
  return {
    kind: 'file',
    path,
    ...(line === undefined ? {} : { line }),
    ...(excerpt === undefined ? {} : { excerpt: excerpt.trim().slice(0, 200) }),
    ...(note === undefined ? {} : { note }),
  };
}

/** The reason a fact cannot be computed when the image has no assembled guest. */
export const NO_GUEST = 'no Linux guest tree was assembled (no OS root found)';

export function errorCode(err: unknown): string | undefined {
  return err instanceof ImagecheckError || isImagecheckError(err) ? (err as ImagecheckError).code : undefined;
}
