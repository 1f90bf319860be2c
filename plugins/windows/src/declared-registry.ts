import { type Hive, RegType, type RegValue } from '@imagecheck/formats';
import {
  type CollectContext,
  type DeclaredRegistrySource,
  type DeclaredSourceHandler,
  type Evidence,
  type FactResult,
  isImagecheckError,
} from '@imagecheck/sdk';
import { fileEvidence, unavailable, windowsGuest } from './facts/common.js';
import { currentControlSet, guestHive, guestHiveFile, HIVE_NAMES, type HiveName } from './registry.js';

/**
 * Pack-declared registry facts (`registry:` in `facts.declare`): the SDK hands the declaration
 * here, and the value takes the shape its schema documents (`present`, `hive`, `hivePresent`,
 * `key`, `keyPresent`, then `value`, `values` and `data`, or `subkeys`).
 */

export type RegData = string | number | string[];

/** A value's data as a rule can compare it: text, a number, a list, or hex for anything else. */
export function regData(v: RegValue): RegData {
  try {
    switch (v.type) {
      case RegType.REG_SZ:
      case RegType.REG_EXPAND_SZ:
      case RegType.REG_LINK:
        return v.asString();
      case RegType.REG_MULTI_SZ:
        return v.asStrings();
      case RegType.REG_DWORD:
      case RegType.REG_DWORD_BIG_ENDIAN:
        return v.asNumber();
      case RegType.REG_QWORD: {
        // json-logic compares numbers; past 2^53 a number would silently round, so it stays text.
        const n = v.asBigInt();
        return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
      }
    }
  } catch (err) {
    // A value whose size does not fit its type is reported as the bytes it holds.
    if (!isImagecheckError(err)) throw err;
  }
  return Buffer.from(v.data).toString('hex');
}

interface Target {
  /** Hive file in the guest. */
  readonly path: string;
  /** The key inside the hive, as given (CurrentControlSet not yet resolved). */
  readonly inner: string;
  /** `HKLM\SYSTEM`, or the hive path for a user hive, for the key as reported. */
  readonly prefix: string;
  readonly machine: HiveName | undefined;
}

function splitKey(source: DeclaredRegistrySource, systemRoot: string): Target {
  if (source.hive !== undefined) {
    return { path: source.hive, inner: source.key, prefix: source.hive, machine: undefined };
  }
  // The SDK's schema and check guarantee `HKLM\<machine hive>`; case as the pack wrote it.
  const parts = source.key.split('\\');
  const machine = HIVE_NAMES.find((h) => h === parts[1]?.toUpperCase());
  if (machine === undefined) throw new Error(`not a machine hive key: ${source.key}`);
  return {
    path: `${systemRoot}/System32/config/${machine}`,
    inner: parts.slice(2).join('\\'),
    prefix: `HKLM\\${machine}`,
    machine,
  };
}

/** `CurrentControlSet` (first component of a SYSTEM key) as the control set `Select\Current` names. */
function resolveControlSet(hive: Hive, inner: string): string | null {
  const parts = inner.split('\\').filter((p) => p !== '');
  if (parts[0]?.toLowerCase() !== 'currentcontrolset') return parts.join('\\');
  const ccs = currentControlSet(hive);
  if (ccs.name === null) return null;
  return [ccs.name, ...parts.slice(1)].join('\\');
}

async function collectRegistry(
  fact: string,
  source: DeclaredRegistrySource,
  ctx: CollectContext,
): Promise<FactResult> {
  const w = await windowsGuest(ctx);
  if (!w.ok) return w.result;
  const target = splitKey(source, w.systemRoot);
  const loaded =
    target.machine === undefined
      ? await guestHiveFile(w.tree, target.path)
      : await guestHive(w.tree, w.systemRoot, target.machine);
  const empty =
    source.value !== undefined
      ? { value: null }
      : source.subkeys
        ? { subkeys: [] }
        : { values: [], data: {} };
  const common = { hive: target.path, key: `${target.prefix}\\${target.inner}`.replace(/\\$/, '') };
  if (loaded.absent) {
    return {
      status: 'ok',
      value: { present: false, ...common, hivePresent: false, keyPresent: false, ...empty },
      evidence: [fileEvidence(target.path, 'absent')],
    };
  }
  if (loaded.hive === null) {
    return unavailable(
      `fact ${fact}: the hive ${target.path} cannot be read (${loaded.error?.code}: ${loaded.error?.message})`,
      [fileEvidence(target.path)],
    );
  }
  const hive = loaded.hive;
  try {
    const inner = target.machine === 'SYSTEM' ? resolveControlSet(hive, target.inner) : target.inner;
    if (inner === null) {
      return unavailable(
        `fact ${fact}: SYSTEM\\Select\\Current is missing, so CurrentControlSet names no key`,
        [fileEvidence(target.path)],
      );
    }
    const keyPath = inner === '' ? target.prefix : `${target.prefix}\\${inner}`;
    const key = hive.key(inner);
    const stale = hive.info.mayBeStale
      ? `the hive is dirty (${hive.info.dirtyReasons.join(', ')}) and no log recovered it: values may be stale`
      : undefined;
    const ev = (valueName?: string, v?: RegValue | null, note?: string): Evidence => ({
      kind: 'registry',
      path: target.path,
      key: keyPath,
      ...(valueName === undefined ? {} : { valueName }),
      ...(v ? { excerpt: excerptOf(v) } : {}),
      ...((note ?? stale) ? { note: [note, stale].filter((x) => x !== undefined).join('; ') } : {}),
    });
    const base = { ...common, key: keyPath, hivePresent: true, keyPresent: key !== null };
    if (key === null) {
      return {
        status: 'ok',
        value: { present: false, ...base, ...empty },
        evidence: [ev(undefined, null, 'absent')],
      };
    }
    if (source.value !== undefined) {
      const v = key.value(source.value);
      return {
        status: 'ok',
        value: {
          present: v !== null,
          ...base,
          value: v === null ? null : { name: v.name, type: v.typeName, data: regData(v) },
        },
        evidence: [ev(source.value, v, v === null ? 'absent' : undefined)],
      };
    }
    if (source.subkeys === true) {
      return {
        status: 'ok',
        value: { present: true, ...base, subkeys: key.subkeyNames() },
        evidence: [ev()],
      };
    }
    const values = key.values().map((v) => ({ name: v.name, type: v.typeName, data: regData(v) }));
    return {
      status: 'ok',
      // fromEntries defines own properties, so a value named __proto__ stays data.
      value: {
        present: true,
        ...base,
        values,
        data: Object.fromEntries(values.map((v) => [v.name, v.data])),
      },
      evidence: [ev()],
    };
  } catch (err) {
    // Damage met while walking the hive makes the fact unavailable; a bug propagates.
    if (!isImagecheckError(err) || !err.userFacing) throw err;
    return unavailable(`fact ${fact}: ${err.code}: ${err.message}`, [fileEvidence(target.path)]);
  }
}

function excerptOf(v: RegValue): string {
  const d = regData(v);
  return Array.isArray(d) ? d.join(', ') : String(d).slice(0, 200);
}

/** The Windows plugin's collector of pack-declared `registry` facts. */
export const declaredRegistry: DeclaredSourceHandler = { source: 'registry', collect: collectRegistry };
