import { type Hive, MAX_HIVE_SIZE, openHive, type RegKey, RegType, type RegValue } from '@imagecheck/formats';
import { type Evidence, type GuestTreeV2, isAbsent, isImagecheckError } from '@imagecheck/sdk';

/**
 * Reading the guest's registry hives through the access contract. A hive is read whole (the
 * reader indexes its bins in memory, capped at `MAX_HIVE_SIZE`); its `.LOG1`/`.LOG2` are handed
 * to the reader so a dirty hive is replayed the way Windows would at boot.
 */

/** The system folders Windows has used, in the order libguestfs's inspection tries them. */
export const SYSTEM_ROOTS = ['/Windows', '/WINNT'] as const;
export const HIVE_NAMES = ['SYSTEM', 'SOFTWARE', 'SAM', 'SECURITY', 'DEFAULT'] as const;
export type HiveName = (typeof HIVE_NAMES)[number];

/** The `%SystemRoot%` holding `System32\config\SYSTEM`, or undefined when none does. */
export async function findSystemRoot(tree: GuestTreeV2): Promise<string | undefined> {
  for (const root of SYSTEM_ROOTS) {
    try {
      const st = await tree.stat(`${root}/System32/config/SYSTEM`);
      if (st.type === 'file') return root;
    } catch (err) {
      if (!isAbsent(err)) throw err;
    }
  }
  return undefined;
}

/** One hive as found in the guest: opened, absent, or refused by the reader (with its error). */
export interface LoadedHive {
  readonly name: HiveName;
  readonly path: string;
  readonly hive: Hive | null;
  /** The file is absent. */
  readonly absent: boolean;
  /** The reader's error code and message when the file exists but does not open. */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Transaction logs found beside it (`SYSTEM.LOG1`...). */
  readonly logs: readonly string[];
}

async function readOptionalBytes(tree: GuestTreeV2, path: string): Promise<Uint8Array | undefined> {
  try {
    const st = await tree.stat(path);
    if (st.type !== 'file') return undefined;
    return await tree.readFile(path, { maxBytes: MAX_HIVE_SIZE });
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}

/** Opens `<systemRoot>/System32/config/<name>` with its logs; damage is reported, not thrown. */
export async function loadHive(tree: GuestTreeV2, systemRoot: string, name: HiveName): Promise<LoadedHive> {
  return { name, ...(await loadHiveFile(tree, `${systemRoot}/System32/config/${name}`)) };
}

/** Opens the hive file at `path` (a machine hive or a user's NTUSER.DAT) with its logs. */
export async function loadHiveFile(tree: GuestTreeV2, path: string): Promise<Omit<LoadedHive, 'name'>> {
  const base = { path };
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readOptionalBytes(tree, path);
  } catch (err) {
    if (!isImagecheckError(err) || !err.userFacing) throw err;
    return { ...base, hive: null, absent: false, error: { code: err.code, message: err.message }, logs: [] };
  }
  if (bytes === undefined) return { ...base, hive: null, absent: true, error: null, logs: [] };
  const logs: Uint8Array[] = [];
  const logPaths: string[] = [];
  // Dual logging (.LOG1 then .LOG2) since Vista; the single .LOG of older Windows only without them.
  for (const suffix of ['.LOG1', '.LOG2', '.LOG']) {
    if (suffix === '.LOG' && logs.length > 0) break;
    const log = await readOptionalBytes(tree, `${path}${suffix}`).catch((err: unknown) => {
      // A damaged log is as good as none: the hive is then reported dirty and not recovered.
      if (isImagecheckError(err) && err.userFacing) return undefined;
      throw err;
    });
    if (log !== undefined && log.length > 0) {
      logs.push(log);
      logPaths.push(`${path}${suffix}`);
    }
  }
  try {
    const hive = await openHive(bytes, logs.length > 0 ? { logs } : {});
    return { ...base, hive, absent: false, error: null, logs: logPaths };
  } catch (err) {
    if (!isImagecheckError(err) || !err.userFacing) throw err;
    return {
      ...base,
      hive: null,
      absent: false,
      error: { code: err.code, message: err.message },
      logs: logPaths,
    };
  }
}

/** Hives are read once per guest tree: several facts read SYSTEM. */
const cache = new WeakMap<object, Map<string, Promise<LoadedHive>>>();

export function guestHive(tree: GuestTreeV2, systemRoot: string, name: HiveName): Promise<LoadedHive> {
  let m = cache.get(tree);
  if (m === undefined) {
    m = new Map();
    cache.set(tree, m);
  }
  const key = `${systemRoot}|${name}`;
  let p = m.get(key);
  if (p === undefined) {
    p = loadHive(tree, systemRoot, name);
    m.set(key, p);
  }
  return p;
}

const fileCache = new WeakMap<object, Map<string, Promise<Omit<LoadedHive, 'name'>>>>();

/** A hive file outside config\ (a user's NTUSER.DAT), read once per guest tree like the others. */
export function guestHiveFile(tree: GuestTreeV2, path: string): Promise<Omit<LoadedHive, 'name'>> {
  let m = fileCache.get(tree);
  if (m === undefined) {
    m = new Map();
    fileCache.set(tree, m);
  }
  let p = m.get(path);
  if (p === undefined) {
    p = loadHiveFile(tree, path);
    m.set(path, p);
  }
  return p;
}

/** `Select\Current` and the control set it names. */
export interface ControlSet {
  /** `Select\Current`, null when absent or not a number. */
  readonly current: number | null;
  /** `ControlSet001`..., null when `current` is null. */
  readonly name: string | null;
  /** The key, when it exists. */
  readonly key: RegKey | null;
}

export function currentControlSet(system: Hive): ControlSet {
  const v = system.key('Select')?.value('Current');
  const current = v ? numberOf(v) : null;
  if (current === null) return { current: null, name: null, key: null };
  const name = `ControlSet${String(current).padStart(3, '0')}`;
  return { current, name, key: system.key(name) };
}

/** A DWORD or QWORD as a number; null for any other type or a size that does not fit. */
export function numberOf(v: RegValue): number | null {
  if (v.type !== RegType.REG_DWORD && v.type !== RegType.REG_QWORD && v.type !== RegType.REG_DWORD_BIG_ENDIAN)
    return null;
  try {
    return v.asNumber();
  } catch (err) {
    if (isImagecheckError(err)) return null;
    throw err;
  }
}

/** A string value (REG_SZ / REG_EXPAND_SZ) as text; null for any other type. */
export function stringOf(v: RegValue | null | undefined): string | null {
  if (!v) return null;
  if (v.type !== RegType.REG_SZ && v.type !== RegType.REG_EXPAND_SZ) return null;
  try {
    return v.asString();
  } catch (err) {
    if (isImagecheckError(err)) return null;
    throw err;
  }
}

/** A REG_MULTI_SZ (or a lone string) as a list; empty for anything else. */
export function stringsOf(v: RegValue | null | undefined): string[] {
  if (!v) return [];
  if (v.type === RegType.REG_MULTI_SZ) {
    try {
      return v.asStrings().filter((s) => s.length > 0);
    } catch (err) {
      if (isImagecheckError(err)) return [];
      throw err;
    }
  }
  const s = stringOf(v);
  return s === null || s === '' ? [] : [s];
}

/** The value rendered for evidence: numbers in decimal, strings as written, lists joined, bytes in hex. */
export function excerptOf(v: RegValue): string {
  const n = numberOf(v);
  if (n !== null) return String(n);
  const s = stringOf(v);
  if (s !== null) return s;
  if (v.type === RegType.REG_MULTI_SZ) return stringsOf(v).join(', ');
  return Buffer.from(v.data.subarray(0, 32)).toString('hex');
}

/** Evidence for a key or a value in a hive, in the `HKLM\SYSTEM\...` spelling. */
export function regEvidence(
  hive: string,
  key: string,
  valueName?: string,
  value?: RegValue | null,
  note?: string,
): Evidence {
  return {
    kind: 'registry',
    path: `HKLM\\${hive}`,
    key: `HKLM\\${hive}\\${key}`,
    ...(valueName === undefined ? {} : { valueName }),
    ...(value ? { excerpt: excerptOf(value) } : {}),
    ...(note === undefined ? {} : { note }),
  };
}
