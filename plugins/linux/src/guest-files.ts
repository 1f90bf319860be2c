import {
  type AssembledGuest,
  type Evidence,
  exists,
  type FactResult,
  type GuestTreeV2,
  globGuest,
  isAbsent,
  isImagecheckError,
  isInternalError,
} from '@imagecheck/sdk';

/**
 * Small guest-reading helpers shared by every collector of the plugin. Everything goes through
 * the access contract: these never touch the image file or the host. "Absent" means what the
 * access contract's `isAbsent` means (no such path, a file where a directory was expected);
 * damage and oversize still throw, so the fact becomes unavailable with the code. A bug (see
 * `isInternalError`) is never caught here.
 */

export { isAbsent };

/** Configuration files are small; a larger one is hostile or not a configuration file. */
export const MAX_CONFIG_BYTES = 1 << 20;
/** Lines considered per configuration file. */
export const MAX_CONFIG_LINES = 20_000;
/** Files one glob of a configuration directory may return (netplan, keyfiles, ifcfg, ...). */
export const MAX_CONFIG_FILES = 512;

/** The text of regular file `path`, or undefined when there is none (absent, a directory, a device). */
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

/** Sorted matches of an absolute glob; at most `MAX_CONFIG_FILES` (more throws `guest/E2BIG`). */
export function globConfig(tree: GuestTreeV2, pattern: string): Promise<string[]> {
  return globGuest(tree, pattern, { maxEntries: MAX_CONFIG_FILES, maxDirectories: 256, maxDepth: 4 });
}

/** Whether `path` exists as anything, following symlinks; a dangling link or a loop leads nowhere. */
export const pathExists: (tree: GuestTreeV2, path: string) => Promise<boolean> = exists;

/** Whether `path` is a regular file with an execute bit, following symlinks. */
export async function isExecutable(tree: GuestTreeV2, path: string): Promise<boolean> {
  try {
    const st = await tree.stat(path);
    return st.type === 'file' && (st.mode & 0o111) !== 0;
  } catch (err) {
    if (isAbsent(err)) return false;
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

/**
 * For "use it if it can be read" lookups: whatever the image says (absent, a loop, damage) gives
 * `fallback`; a bug is rethrown, so the engine reports it instead of a wrong answer.
 */
export function unlessBug<T>(fallback: T): (err: unknown) => T {
  return (err) => {
    if (isInternalError(err)) throw err;
    return fallback;
  };
}

/** Line-numbered evidence of a guest file. */
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

/** The result of a collector that needs the guest tree when there is none. */
export function noGuest<T>(fact: string): FactResult<T> {
  return {
    status: 'unavailable',
    reason: `${fact} needs the guest's files, and no operating system root was assembled`,
    code: 'linux/no-guest',
    evidence: [],
  };
}

export function errorCode(err: unknown): string | undefined {
  return isImagecheckError(err) ? err.code : undefined;
}

/** The guest of a collector context, typed for the helpers above. */
export type Guest = AssembledGuest;
