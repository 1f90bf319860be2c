import { FormatError } from '@imagecheck/access';
import { utf16le } from '@imagecheck/binary';

/** Registry value types (msuhanov/regf, "Data types"; winnt.h). */
export const RegType = {
  REG_NONE: 0,
  REG_SZ: 1,
  REG_EXPAND_SZ: 2,
  REG_BINARY: 3,
  REG_DWORD: 4,
  REG_DWORD_BIG_ENDIAN: 5,
  REG_LINK: 6,
  REG_MULTI_SZ: 7,
  REG_RESOURCE_LIST: 8,
  REG_FULL_RESOURCE_DESCRIPTOR: 9,
  REG_RESOURCE_REQUIREMENTS_LIST: 10,
  REG_QWORD: 11,
} as const;

const TYPE_NAMES: readonly string[] = Object.keys(RegType);

/** `REG_SZ` and friends; a type outside 0..11 (BCD and some drivers use their own) as `0x%08x`. */
export function regTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `0x${type.toString(16).padStart(8, '0')}`;
}

/** Where a value's data came from, for evidence and debugging. */
export type ValueStorage = 'inline' | 'cell' | 'big-data' | 'empty';

/**
 * One registry value: its name (`''` for the default value), type and raw data, with typed
 * accessors. An accessor whose type does not fit throws `FormatError('regf/value-type')`; data
 * of the wrong size for its type (a 3-byte REG_DWORD) throws `regf/value-size`.
 */
export class RegValue {
  constructor(
    /** The value name; `''` is the key's default value. */
    readonly name: string,
    /** The raw type number (see `RegType`). */
    readonly type: number,
    /** The data as stored, its length the declared data size. */
    readonly data: Uint8Array,
    /** The path of the key holding it, for messages. */
    readonly keyPath: string,
    /** Inline in the vk cell, in a data cell, or assembled from big-data segments. */
    readonly storage: ValueStorage,
  ) {}

  get typeName(): string {
    return regTypeName(this.type);
  }

  private mismatch(wanted: string): FormatError {
    return new FormatError(
      'regf/value-type',
      `value "${this.name}" of ${this.keyPath || '\\'} is ${this.typeName}, not ${wanted}`,
      {
        data: {
          structure: 'regf value',
          key: this.keyPath,
          value: this.name,
          expected: wanted,
          actual: this.typeName,
        },
      },
    );
  }

  private badSize(expected: string): FormatError {
    return new FormatError(
      'regf/value-size',
      `value "${this.name}" of ${this.keyPath || '\\'} (${this.typeName}) has ${this.data.length} bytes, expected ${expected}`,
      {
        data: {
          structure: 'regf value',
          key: this.keyPath,
          value: this.name,
          expected,
          actual: this.data.length,
        },
      },
    );
  }

  /**
   * REG_SZ, REG_EXPAND_SZ and REG_LINK as text: UTF-16LE up to the first NUL (writers often
   * store the terminator, and some leave garbage after it). An odd trailing byte is dropped.
   */
  asString(): string {
    if (
      this.type !== RegType.REG_SZ &&
      this.type !== RegType.REG_EXPAND_SZ &&
      this.type !== RegType.REG_LINK
    ) {
      throw this.mismatch('REG_SZ, REG_EXPAND_SZ or REG_LINK');
    }
    return utf16le(this.data, true);
  }

  /**
   * REG_MULTI_SZ as its strings: UTF-16LE strings each ended by a NUL, the list ended by an empty
   * string. Strings after the first empty one are not part of the value (Windows stops there).
   */
  asStrings(): string[] {
    if (this.type !== RegType.REG_MULTI_SZ) throw this.mismatch('REG_MULTI_SZ');
    const text = utf16le(this.data, false);
    const out: string[] = [];
    for (const s of text.split('\0')) {
      if (s === '') break;
      out.push(s);
    }
    return out;
  }

  /**
   * REG_DWORD, REG_DWORD_BIG_ENDIAN and REG_QWORD as a number; a QWORD above 2^53 - 1 throws
   * `regf/value-too-large` (use `asBigInt`).
   */
  asNumber(): number {
    const v = this.asBigInt();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new FormatError(
        'regf/value-too-large',
        `value "${this.name}" of ${this.keyPath || '\\'} is ${v}, above 2^53`,
        {
          data: { structure: 'regf value', key: this.keyPath, value: this.name, actual: v.toString() },
        },
      );
    }
    return Number(v);
  }

  /** REG_DWORD, REG_DWORD_BIG_ENDIAN and REG_QWORD as a bigint. */
  asBigInt(): bigint {
    const d = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    switch (this.type) {
      case RegType.REG_DWORD:
        if (this.data.length !== 4) throw this.badSize('4');
        return BigInt(d.getUint32(0, true));
      case RegType.REG_DWORD_BIG_ENDIAN:
        if (this.data.length !== 4) throw this.badSize('4');
        return BigInt(d.getUint32(0, false));
      case RegType.REG_QWORD:
        if (this.data.length !== 8) throw this.badSize('8');
        return d.getBigUint64(0, true);
      default:
        throw this.mismatch('REG_DWORD, REG_DWORD_BIG_ENDIAN or REG_QWORD');
    }
  }
}
