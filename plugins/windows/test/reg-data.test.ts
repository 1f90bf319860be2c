/**
 * How a declared registry fact writes each value type. The inputs are value cells' data as
 * Windows stores them (little-endian integers, UTF-16LE strings with their NULs).
 */
import { RegType, RegValue } from '@imagecheck/formats';
import { describe, expect, it } from 'vitest';
import { regData } from '../src/index.js';

const utf16 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf16le'));
const value = (type: number, data: Uint8Array): RegValue => new RegValue('v', type, data, 'K', 'cell');

describe('regData', () => {
  it('strings up to their NUL, string lists up to the empty string that ends them', () => {
    expect(regData(value(RegType.REG_SZ, utf16('C:\\Windows\0junk')))).toBe('C:\\Windows');
    expect(regData(value(RegType.REG_EXPAND_SZ, utf16('%SystemRoot%\\x\0')))).toBe('%SystemRoot%\\x');
    expect(regData(value(RegType.REG_MULTI_SZ, utf16('a\0bc\0\0')))).toEqual(['a', 'bc']);
  });

  it('integers as numbers, in their byte order; a QWORD past 2^53 - 1 as decimal text', () => {
    expect(regData(value(RegType.REG_DWORD, new Uint8Array([0x3c, 0xff, 0xff, 0xff])))).toBe(0xffffff3c);
    expect(regData(value(RegType.REG_DWORD_BIG_ENDIAN, new Uint8Array([0, 0, 1, 2])))).toBe(0x102);
    const q = new Uint8Array(8);
    new DataView(q.buffer).setBigUint64(0, 2n ** 53n - 1n, true);
    expect(regData(value(RegType.REG_QWORD, q))).toBe(Number.MAX_SAFE_INTEGER);
    new DataView(q.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expect(regData(value(RegType.REG_QWORD, q))).toBe('18446744073709551615');
  });

  it('anything else, and an integer of the wrong size, as lower-case hex of the stored bytes', () => {
    expect(regData(value(RegType.REG_BINARY, new Uint8Array([0xde, 0xad, 0x0b])))).toBe('dead0b');
    expect(regData(value(RegType.REG_DWORD, new Uint8Array([1, 2, 3])))).toBe('010203');
    expect(regData(value(0x1000f, new Uint8Array([0xab])))).toBe('ab');
  });
});
