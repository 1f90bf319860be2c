import {
  type AssembledGuestV2,
  type Evidence,
  type FactResult,
  type GuestTreeV2,
  globGuest,
  ImagecheckError,
  readText,
} from '@imagecheck/sdk';

/**
 * Small guest-reading helpers shared by the storage, network and cloud collectors. Everything
 * goes through the access contract: these never touch the image file or the host.
 */

/** Configuration files are small; a larger one is hostile or not a configuration file. */
export const MAX_CONFIG_BYTES = 1 << 20;
/** Files one glob of a configuration directory may return (netplan, keyfiles, ifcfg, ...). */
export const MAX_CONFIG_FILES = 512;

/** Codes meaning "not there", as opposed to damage. */
const ABSENT = new Set(['guest/ENOENT', 'guest/ENOTDIR', 'guest/ELOOP']);

export function isAbsent(err: unknown): boolean {
  return err instanceof ImagecheckError && ABSENT.has(err.code);
}

/** The text of `path`, or undefined when it does not exist. Damage and oversize still throw. */
export async function readOptional(
  tree: GuestTreeV2,
  path: string,
  maxBytes = MAX_CONFIG_BYTES,
): Promise<string | undefined> {
  try {
    return await readText(tree, path, { maxBytes });
  } catch (err) {
    if (isAbsent(err) || (err instanceof ImagecheckError && err.code === 'guest/EISDIR')) return undefined;
    throw err;
  }
}

/** Sorted matches of an absolute glob; at most `MAX_CONFIG_FILES` (more throws `guest/E2BIG`). */
export function globConfig(tree: GuestTreeV2, pattern: string): Promise<string[]> {
  return globGuest(tree, pattern, { maxEntries: MAX_CONFIG_FILES, maxDirectories: 256, maxDepth: 4 });
}

/** Whether `path` exists as anything, following symlinks; a dangling link is absent. */
export async function pathExists(tree: GuestTreeV2, path: string): Promise<boolean> {
  try {
    await tree.stat(path);
    return true;
  } catch (err) {
    if (isAbsent(err)) return false;
    throw err;
  }
}

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

/** The result of a collector that needs the guest tree when there is none. */
export function noGuest<T>(fact: string): FactResult<T> {
  return {
    status: 'unavailable',
    reason: `${fact} needs the guest's files, and no operating system root was assembled`,
    code: 'linux/no-guest',
    evidence: [],
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

/** The guest of a collector context, typed for the helpers above. */
export type Guest = AssembledGuestV2;
