import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { FormatError, isImagecheckError } from '@imagecheck/access';
import { requireTools } from '@imagecheck/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ByteView,
  capped,
  guidString,
  inRange,
  isZero,
  latin1,
  utf16be,
  utf16le,
  uuidString,
} from '../src/index.js';

function typed(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('ByteView integer readers agree with node:buffer on random bytes', () => {
  it('every width, both endiannesses, every offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), fc.nat(), (bytes, pick) => {
        const buf = Buffer.from(bytes);
        const v = new ByteView(bytes, 'test');
        const o = pick % (bytes.length - 7);
        expect(v.u8(o)).toBe(buf.readUInt8(o));
        expect(v.i8(o)).toBe(buf.readInt8(o));
        expect(v.u16le(o)).toBe(buf.readUInt16LE(o));
        expect(v.u16be(o)).toBe(buf.readUInt16BE(o));
        expect(v.i16le(o)).toBe(buf.readInt16LE(o));
        expect(v.u24le(o)).toBe(buf.readUIntLE(o, 3));
        expect(v.u32le(o)).toBe(buf.readUInt32LE(o));
        expect(v.u32be(o)).toBe(buf.readUInt32BE(o));
        expect(v.i32le(o)).toBe(buf.readInt32LE(o));
        expect(v.i32be(o)).toBe(buf.readInt32BE(o));
        expect(v.u64le(o)).toBe(buf.readBigUInt64LE(o));
        expect(v.u64be(o)).toBe(buf.readBigUInt64BE(o));
        expect(v.i64le(o)).toBe(buf.readBigInt64LE(o));
      }),
    );
  });

  it('a view over a subarray reads relative to the subarray', () => {
    const backing = new Uint8Array([9, 9, 9, 1, 2, 3, 4]);
    const v = new ByteView(backing.subarray(3), 'sub');
    expect(v.u32be(0)).toBe(0x01020304);
    expect(v.length).toBe(4);
  });
});

describe('ByteView bounds', () => {
  it('a read past the end is binary/out-of-range naming the structure, field and absolute offset', () => {
    const v = new ByteView(new Uint8Array(16), 'ext4 superblock', 1024);
    const e = typed(() => v.u32le(14, 's_magic'));
    expect(e.code).toBe('binary/out-of-range');
    expect(e.data).toEqual({
      structure: 'ext4 superblock',
      field: 's_magic',
      offset: 1038,
      size: 4,
      length: 16,
    });
    expect(e.message).toContain('ext4 superblock s_magic');
    expect(e.message).toContain('1038');
  });

  it('negative, fractional and huge offsets and sizes are out of range, never a RangeError', () => {
    const v = new ByteView(new Uint8Array(8), 't');
    for (const [o, n] of [
      [-1, 1],
      [0.5, 1],
      [Number.MAX_SAFE_INTEGER, 1],
      [0, -1],
      [Number.NaN, 1],
      [0, Number.POSITIVE_INFINITY],
    ] as const) {
      expect(typed(() => v.bytesAt(o, n)).code).toBe('binary/out-of-range');
    }
    expect(typed(() => v.u64le(1)).code).toBe('binary/out-of-range');
    expect(typed(() => v.latin1(4, 5)).code).toBe('binary/out-of-range');
  });

  it('any read at any offset either returns or throws the typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), fc.integer({ min: -4, max: 24 }), (bytes, o) => {
        const v = new ByteView(bytes, 't', 100);
        for (const read of [
          () => v.u8(o),
          () => v.u16be(o),
          () => v.u32le(o),
          () => v.u64be(o),
          () => v.guid(o),
        ]) {
          try {
            read();
            expect(o).toBeGreaterThanOrEqual(0);
          } catch (e) {
            expect(isImagecheckError(e)).toBe(true);
            expect((e as FormatError).code).toBe('binary/out-of-range');
          }
        }
      }),
    );
  });

  it('sub() carries the absolute base into the nested view', () => {
    const v = new ByteView(new Uint8Array(64), 'outer', 4096);
    const inner = v.sub(32, 16, 'inner record');
    expect(inner.base).toBe(4128);
    const e = typed(() => inner.u64le(12));
    expect(e.data).toMatchObject({ structure: 'inner record', offset: 4140 });
    expect(typed(() => v.sub(60, 8)).code).toBe('binary/out-of-range');
  });

  it('u64*Safe refuses values above 2^53 - 1 with the field named', () => {
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, 2n ** 53n - 1n, true);
    dv.setBigUint64(8, 2n ** 53n, false);
    const v = new ByteView(b, 'header', 512);
    expect(v.u64leSafe(0, 'size')).toBe(Number.MAX_SAFE_INTEGER);
    const e = typed(() => v.u64beSafe(8, 'offset'));
    expect(e.code).toBe('binary/u64-too-large');
    expect(e.data).toEqual({
      structure: 'header',
      field: 'offset',
      offset: 520,
      actual: (2n ** 53n).toString(),
    });
  });
});

describe('capped', () => {
  it('passes values within the cap and names field, value and cap otherwise', () => {
    expect(capped(10, 10, 'count', 'table')).toBe(10);
    expect(capped(0, 10, 'count', 'table')).toBe(0);
    for (const bad of [11, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const e = typed(() => capped(bad, 10, 'count', 'table'));
      expect(e.code).toBe('binary/over-cap');
      expect(e.data).toEqual({ structure: 'table', field: 'count', actual: bad, cap: 10 });
    }
  });
});

describe('inRange and isZero', () => {
  it("inRange returns the value as a number, or the caller's code with field and bounds", () => {
    expect(inRange(7, 1, 9, 'qcow2/bad-cluster-bits', 'cluster_bits')).toBe(7);
    expect(inRange(2n ** 40n, 0, Number.MAX_SAFE_INTEGER, 'x/bad', 'size')).toBe(2 ** 40);
    for (const bad of [0, 10, 1.5, 2n ** 60n]) {
      const e = typed(() => inRange(bad, 1, 9, 'x/bad', 'field'));
      expect(e.code).toBe('x/bad');
      expect(e.data).toEqual({
        field: 'field',
        actual: typeof bad === 'bigint' ? bad.toString() : bad,
        min: 1,
        max: 9,
      });
    }
  });
  it('isZero looks at the window asked for only', () => {
    const b = new Uint8Array([0, 0, 1, 0]);
    expect(isZero(b)).toBe(false);
    expect(isZero(b, 0, 2)).toBe(true);
    expect(isZero(b, 3)).toBe(true);
    expect(isZero(b, 2, 100)).toBe(false);
  });
});

describe('strings and identifiers', () => {
  it.skipIf(!requireTools('python3'))(
    'guidString and uuidString match Python uuid (bytes_le and bytes)',
    () => {
      const samples = Array.from({ length: 8 }, () => randomBytes(16));
      const script =
        'import sys, uuid\nfor h in sys.argv[1:]:\n b = bytes.fromhex(h)\n print(uuid.UUID(bytes_le=b), uuid.UUID(bytes=b))';
      const lines = execFileSync('python3', ['-c', script, ...samples.map((s) => s.toString('hex'))], {
        encoding: 'utf8',
      })
        .trim()
        .split('\n');
      samples.forEach((s, i) => {
        expect(`${guidString(s)} ${uuidString(s)}`).toBe(lines[i]);
      });
    },
  );

  it('latin1, utf16le and utf8 stop at NUL only when asked', () => {
    const text = Buffer.from('ab\0cd', 'latin1');
    expect(latin1(text)).toBe('ab\0cd');
    expect(latin1(text, true)).toBe('ab');
    const wide = Buffer.from('Wi\0ndows', 'utf16le');
    expect(utf16le(wide)).toBe('Wi\0ndows');
    expect(utf16le(wide, true)).toBe('Wi');
    expect(utf16le(Buffer.from([0x41, 0, 0x42]))).toBe('A');
    const be = Buffer.from('Wi\0nd', 'utf16le').swap16();
    expect(utf16be(be)).toBe('Wi\0nd');
    expect(new ByteView(be, 'parent name').utf16be(0, be.length, { nulTerminated: true })).toBe('Wi');
    const v = new ByteView(Buffer.from('héllo\0rest', 'utf8'), 'name');
    expect(v.utf8(0, 11, { nulTerminated: true })).toBe('héllo');
    expect(latin1(new Uint8Array(20000).fill(0x41)).length).toBe(20000);
  });
});
