import { FormatError } from '@imagecheck/access';
import { type Hive, type OpenHiveOptions, openHive, type RegKey } from '../regf/hive.js';
import { RegType, type RegValue } from '../regf/value.js';
import type { ByteInput } from '../source.js';
import {
  APPLICATION_TYPES,
  type BcdElementFormat,
  BOOTMGR_ID,
  ELEMENT_CLASSES,
  ELEMENT_FORMATS,
  ELEMENT_NAMES,
  FWBOOTMGR_ID,
  IMAGE_TYPES,
  MAX_BCD_ELEMENTS,
  MAX_BCD_OBJECTS,
  MAX_INTEGER_LIST,
  OBJECT_KINDS,
  WELL_KNOWN_OBJECTS,
} from './constants.js';
import { type BcdDeviceValue, parseDeviceElement } from './device.js';

/** An element's value, decoded by the format bits of its type. */
export type BcdElementValue =
  | { format: 'device'; value: BcdDeviceValue }
  | { format: 'string'; value: string }
  | { format: 'object'; value: string }
  | { format: 'object-list'; value: string[] }
  | { format: 'integer'; value: bigint }
  | { format: 'boolean'; value: boolean }
  | { format: 'integer-list'; value: bigint[] }
  | { format: 'unknown'; reason: string; registryType: number; data: Uint8Array };

/** One element (`Objects\{id}\Elements\<type>\Element`). */
export interface BcdElement {
  /** The element type, from the key name (8 hex digits). */
  type: number;
  /** bcdedit's name for it where we know it (`path`, `osdevice`, `default`...), else null. */
  name: string | null;
  /** Bits 28-31: `library`, `application`, `device`, `template`, or `unknown`. */
  class: string;
  /** Bits 24-27. */
  format: BcdElementFormat | 'unknown';
  value: BcdElementValue;
}

/** One object (`Objects\{id}`). */
export interface BcdObject {
  /** `{guid}`, lower case. */
  id: string;
  /** bcdedit's alias of a well-known object (`bootmgr`, `fwbootmgr`, `memdiag`...), else null. */
  wellKnown: string | null;
  /** `Description\Type`, or null when the object has none. */
  type: number | null;
  /** Bits 28-31 of the type. */
  kind: 'application' | 'inherit' | 'device' | 'unknown';
  /** Application objects: bits 20-23 (`firmware`, `boot-app`, ...). */
  imageType: string | null;
  /** Application objects: bits 0-19 (`bootmgr`, `osloader`, `resume`, `firmware-entry`...). */
  applicationType: string | null;
  elements: BcdElement[];
  /** 0x12000004. */
  description: string | null;
  /** 0x12000002, the application's path on its device. */
  applicationPath: string | null;
  /** 0x11000001, the device the application is loaded from. */
  device: BcdDeviceValue | null;
  /** 0x21000001 (OS loaders: the system's partition; resume objects: the hibernation file's). */
  osDevice: BcdDeviceValue | null;
  /** 0x22000002 (OS loaders: `\Windows`). */
  systemRoot: string | null;
  /** The element of type `type`, if present. */
  element(type: number): BcdElement | undefined;
}

/** A decoded BCD store. */
export interface BcdStore {
  /** The hive it was read from (for evidence: `hive.info`, raw keys). */
  hive: Hive;
  /** Every object, in key order. */
  objects: BcdObject[];
  object(id: string): BcdObject | undefined;
  /** The Windows Boot Manager, {9dea862c-...}. */
  bootManager: BcdObject | null;
  /** The firmware boot manager, {a5a30fa2-...} (UEFI stores). */
  firmwareBootManager: BcdObject | null;
  /** The boot manager's `default` (0x23000003) as stored, and the object it names. */
  defaultId: string | null;
  default: BcdObject | null;
  /** The boot manager's `displayorder` (0x24000001). */
  displayOrder: string[];
  /** The boot manager's `timeout` in seconds (0x25000004), or null when not set. */
  timeout: number | null;
  /** Things a reader of the store should know: references to objects that do not exist, elements not decoded. */
  warnings: string[];
}

function norm(id: string): string {
  return id.trim().toLowerCase();
}

function decodeValue(format: BcdElementFormat | 'unknown', v: RegValue): BcdElementValue {
  const bad = (reason: string): BcdElementValue => ({
    format: 'unknown',
    reason,
    registryType: v.type,
    data: v.data,
  });
  // Registry types by format (ReactOS bcd.c, BiConvertRegistryDataToElement): strings and
  // objects are REG_SZ, object lists REG_MULTI_SZ, the rest REG_BINARY.
  switch (format) {
    case 'device':
      if (v.type !== RegType.REG_BINARY) return bad(`a device element stored as ${v.typeName}`);
      return { format, value: parseDeviceElement(v.data) };
    case 'string':
      if (v.type !== RegType.REG_SZ) return bad(`a string element stored as ${v.typeName}`);
      return { format, value: v.asString() };
    case 'object':
      if (v.type !== RegType.REG_SZ) return bad(`an object element stored as ${v.typeName}`);
      return { format, value: norm(v.asString()) };
    case 'object-list':
      if (v.type !== RegType.REG_MULTI_SZ) return bad(`an object list stored as ${v.typeName}`);
      return { format, value: v.asStrings().map(norm) };
    case 'integer': {
      if (v.type !== RegType.REG_BINARY || v.data.length === 0 || v.data.length > 8) {
        return bad(`an integer element of ${v.data.length} bytes (${v.typeName})`);
      }
      let n = 0n;
      for (let i = v.data.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(v.data[i] as number);
      return { format, value: n };
    }
    case 'boolean':
      if (v.type !== RegType.REG_BINARY || v.data.length === 0)
        return bad(`a boolean element of ${v.data.length} bytes (${v.typeName})`);
      return { format, value: v.data.some((b) => b !== 0) };
    case 'integer-list': {
      if (v.type !== RegType.REG_BINARY || v.data.length % 8 !== 0) {
        return bad(`an integer list of ${v.data.length} bytes (${v.typeName}), not a multiple of 8`);
      }
      const n = v.data.length / 8;
      if (n > MAX_INTEGER_LIST)
        return bad(`an integer list of ${n} entries exceeds the cap of ${MAX_INTEGER_LIST}`);
      const d = new DataView(v.data.buffer, v.data.byteOffset, v.data.byteLength);
      const out: bigint[] = [];
      for (let i = 0; i < n; i++) out.push(d.getBigUint64(i * 8, true));
      return { format, value: out };
    }
    default:
      return bad('the element type has an unknown format');
  }
}

function decodeObject(key: RegKey, warnings: string[]): BcdObject {
  const id = norm(key.name);
  const typeValue = key.subkey('Description')?.value('Type') ?? null;
  let type: number | null = null;
  if (typeValue !== null) {
    try {
      type = typeValue.asNumber();
    } catch {
      warnings.push(
        `${id}: Description\\Type is ${typeValue.typeName} of ${typeValue.data.length} bytes, not a DWORD`,
      );
    }
  }
  const kind = type === null ? 'unknown' : (OBJECT_KINDS[(type >>> 28) & 0xf] ?? 'unknown');
  const elements: BcdElement[] = [];
  const elementsKey = key.subkey('Elements');
  const names = elementsKey?.subkeyNames() ?? [];
  if (names.length > MAX_BCD_ELEMENTS) {
    throw new FormatError(
      'bcd/over-cap',
      `${id}: ${names.length} elements exceed the cap of ${MAX_BCD_ELEMENTS}`,
      {
        data: {
          structure: 'BCD object',
          object: id,
          expected: `<= ${MAX_BCD_ELEMENTS}`,
          actual: names.length,
        },
      },
    );
  }
  for (const name of names) {
    if (!/^[0-9a-fA-F]{8}$/.test(name)) {
      warnings.push(`${id}: element key "${name}" is not 8 hex digits; skipped`);
      continue;
    }
    const t = Number.parseInt(name, 16);
    const value = elementsKey?.subkey(name)?.value('Element');
    const format = ELEMENT_FORMATS[(t >>> 24) & 0xf] ?? 'unknown';
    const decoded: BcdElementValue =
      value === null || value === undefined
        ? { format: 'unknown', reason: 'no Element value', registryType: -1, data: new Uint8Array(0) }
        : decodeValue(format, value);
    if (decoded.format === 'unknown') warnings.push(`${id}: element ${name}: ${decoded.reason}`);
    elements.push({
      type: t,
      name: ELEMENT_NAMES[t] ?? null,
      class: ELEMENT_CLASSES[(t >>> 28) & 0xf] ?? 'unknown',
      format,
      value: decoded,
    });
  }
  const byType = new Map(elements.map((e) => [e.type, e]));
  const str = (t: number): string | null => {
    const v = byType.get(t)?.value;
    return v?.format === 'string' ? v.value : null;
  };
  const dev = (t: number): BcdDeviceValue | null => {
    const v = byType.get(t)?.value;
    return v?.format === 'device' ? v.value : null;
  };
  const appType = kind === 'application' ? type : null;
  return {
    id,
    wellKnown: WELL_KNOWN_OBJECTS[id] ?? null,
    type,
    kind,
    imageType: appType === null ? null : (IMAGE_TYPES[(appType >>> 20) & 0xf] ?? 'unknown'),
    applicationType: appType === null ? null : (APPLICATION_TYPES[appType & 0xfffff] ?? 'unknown'),
    elements,
    description: str(0x12000004),
    applicationPath: str(0x12000002),
    device: dev(0x11000001),
    osDevice: dev(0x21000001),
    systemRoot: str(0x22000002),
    element: (t: number) => byType.get(t),
  };
}

/** Decodes the BCD store in an opened hive. A hive without an `Objects` key is `bcd/not-a-store`. */
export function decodeBcd(hive: Hive): BcdStore {
  const objectsKey = hive.key('Objects');
  if (objectsKey === null) {
    throw new FormatError('bcd/not-a-store', 'the hive has no Objects key: not a BCD store', {
      data: { structure: 'BCD store', root: hive.root.name },
    });
  }
  if (objectsKey.subkeyCount > MAX_BCD_OBJECTS) {
    throw new FormatError(
      'bcd/over-cap',
      `${objectsKey.subkeyCount} objects exceed the cap of ${MAX_BCD_OBJECTS}`,
      {
        data: { structure: 'BCD store', expected: `<= ${MAX_BCD_OBJECTS}`, actual: objectsKey.subkeyCount },
      },
    );
  }
  const warnings: string[] = [];
  const objects = objectsKey.subkeys().map((k) => decodeObject(k, warnings));
  const byId = new Map(objects.map((o) => [o.id, o]));
  const bootManager = byId.get(BOOTMGR_ID) ?? null;
  const def = bootManager?.element(0x23000003)?.value;
  const defaultId = def?.format === 'object' ? def.value : null;
  const order = bootManager?.element(0x24000001)?.value;
  const timeout = bootManager?.element(0x25000004)?.value;
  if (defaultId !== null && !byId.has(defaultId))
    warnings.push(`the boot manager's default ${defaultId} is not an object of the store`);
  const displayOrder = order?.format === 'object-list' ? order.value : [];
  for (const id of displayOrder)
    if (!byId.has(id)) warnings.push(`displayorder names ${id}, not an object of the store`);
  return {
    hive,
    objects,
    object: (id: string) => byId.get(norm(id)),
    bootManager,
    firmwareBootManager: byId.get(FWBOOTMGR_ID) ?? null,
    defaultId,
    default: defaultId === null ? null : (byId.get(defaultId) ?? null),
    displayOrder,
    timeout:
      timeout?.format === 'integer' && timeout.value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(timeout.value)
        : null,
    warnings,
  };
}

/** Opens a BCD store file (`\Boot\BCD`, `\EFI\Microsoft\Boot\BCD`) and decodes it. */
export async function openBcd(input: ByteInput, options: OpenHiveOptions = {}): Promise<BcdStore> {
  return decodeBcd(await openHive(input, options));
}
