import type { Hive, RegKey } from '@imagecheck/formats';
import {
  type CollectContext,
  type Evidence,
  type FactResult,
  type GuestTreeV2,
  isAbsent,
  isImagecheckError,
} from '@imagecheck/sdk';
import { currentControlSet, findSystemRoot, guestHive, type HiveName, type LoadedHive } from '../registry.js';

export const NO_GUEST = 'no Windows guest tree was assembled';

/** The Windows guest of a check, or why there is none. */
export type WindowsGuest =
  | { readonly ok: true; readonly tree: GuestTreeV2; readonly systemRoot: string }
  | { readonly ok: false; readonly result: FactResult<never> };

export function unavailable(reason: string, evidence: readonly Evidence[] = []): FactResult<never> {
  return { status: 'unavailable', reason, evidence };
}

export async function windowsGuest(ctx: CollectContext): Promise<WindowsGuest> {
  const g = ctx.guest;
  if (!g) return { ok: false, result: unavailable(NO_GUEST) };
  if (ctx.root !== undefined && ctx.root.os !== 'windows') {
    return { ok: false, result: unavailable(`the root ${ctx.root.id} is ${ctx.root.os}, not Windows`) };
  }
  const systemRoot = await findSystemRoot(g);
  if (systemRoot === undefined)
    return { ok: false, result: unavailable('no Windows\\System32\\config\\SYSTEM in the guest') };
  return { ok: true, tree: g, systemRoot };
}

/** An opened hive of the guest, or the reason the fact cannot be read without it. */
export async function requireHive(
  w: { tree: GuestTreeV2; systemRoot: string },
  name: HiveName,
): Promise<{ ok: true; hive: Hive; loaded: LoadedHive } | { ok: false; result: FactResult<never> }> {
  const loaded = await guestHive(w.tree, w.systemRoot, name);
  if (loaded.hive === null) {
    const why = loaded.absent
      ? 'is absent'
      : `cannot be read (${loaded.error?.code}: ${loaded.error?.message})`;
    return {
      ok: false,
      result: unavailable(`the ${name} hive ${loaded.path} ${why}`, [fileEvidence(loaded.path)]),
    };
  }
  return { ok: true, hive: loaded.hive, loaded };
}

/** SYSTEM and its CurrentControlSet, or why not. */
export async function requireControlSet(w: {
  tree: GuestTreeV2;
  systemRoot: string;
}): Promise<
  | { ok: true; hive: Hive; ccs: { current: number | null; name: string; key: RegKey } }
  | { ok: false; result: FactResult<never> }
> {
  const h = await requireHive(w, 'SYSTEM');
  if (!h.ok) return h;
  const ccs = currentControlSet(h.hive);
  if (ccs.name === null || ccs.key === null) {
    return {
      ok: false,
      result: unavailable(
        ccs.name === null
          ? 'SYSTEM\\Select\\Current is missing: CurrentControlSet cannot be resolved'
          : `SYSTEM\\Select\\Current names ${ccs.name}, which does not exist`,
      ),
    };
  }
  return { ok: true, hive: h.hive, ccs: { current: ccs.current, name: ccs.name, key: ccs.key } };
}

export function fileEvidence(path: string, note?: string, filesystem?: string): Evidence {
  return {
    kind: 'file',
    path,
    ...(filesystem === undefined ? {} : { filesystem }),
    ...(note === undefined ? {} : { note }),
  };
}

/** Whether a regular file exists (case-insensitively on NTFS and FAT). */
export async function fileExists(tree: GuestTreeV2, path: string): Promise<boolean> {
  try {
    return (await tree.stat(path)).type === 'file';
  } catch (err) {
    if (isAbsent(err)) return false;
    throw err;
  }
}

/** Runs `f`; a user-facing error (damage) becomes an unavailable fact. Bugs propagate. */
export async function guarded<T>(f: () => Promise<FactResult<T>>): Promise<FactResult<T>> {
  try {
    return await f();
  } catch (err) {
    if (!isImagecheckError(err) || !err.userFacing) throw err;
    return unavailable(`${err.code}: ${err.message}`);
  }
}

/**
 * A guest path from a Windows path as services and the registry write it: `system32\drivers\x.sys`
 * (relative to %SystemRoot%), `\SystemRoot\...`, `%SystemRoot%\...`, `\??\C:\...`, `C:\...` and
 * quoted command lines with arguments. C: is the root (`/`); other letters are mounted at `/<L>:`.
 */
export function guestPathOf(windowsPath: string, systemRoot: string): string | null {
  let p = windowsPath.trim();
  if (p.startsWith('"')) {
    const end = p.indexOf('"', 1);
    p = end < 0 ? p.slice(1) : p.slice(1, end);
  } else if (/\.(exe|sys|dll)\s/i.test(p)) {
    p = p.slice(0, p.search(/\.(exe|sys|dll)\s/i) + 4);
  }
  p = p.replace(/^\\\?\?\\/, '');
  p = p.replace(/^(\\SystemRoot|%SystemRoot%|%windir%)(?=\\|$)/i, systemRoot.replace(/\//g, '\\'));
  const drive = /^([A-Za-z]):\\/.exec(p);
  if (drive) {
    const letter = (drive[1] as string).toUpperCase();
    const rest = p.slice(3).replace(/\\/g, '/');
    return letter === 'C' ? `/${rest}` : `/${letter}:/${rest}`;
  }
  if (p.startsWith('\\')) return p.replace(/\\/g, '/');
  if (/^%/.test(p) || p === '') return null;
  return `${systemRoot}/${p.replace(/\\/g, '/')}`;
}
