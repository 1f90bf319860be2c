import { isImagecheckError } from '@imagecheck/access';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBcd, type Hive, openHive, RegType } from '../../src/index.js';
import { CORPUS_HIVES, corpusBytes } from '../helpers/corpus.js';

/**
 * Corrupted input: every corpus hive, mutated by fast-check (bit flips, truncation, cell offsets
 * overwritten to point elsewhere, counts blown up), must open and be walked in bounded time, or
 * fail with one of our typed errors: never a TypeError or RangeError, never a hang.
 */

/** Reads everything a caller can reach: every key, class name, security descriptor, value and accessor. */
function exercise(hive: Hive): void {
  for (const k of hive.walk()) {
    void k.className;
    k.securityDescriptor();
    for (const v of k.values()) {
      if (v.type === RegType.REG_SZ || v.type === RegType.REG_EXPAND_SZ) v.asString();
      else if (v.type === RegType.REG_MULTI_SZ) v.asStrings();
      else if (v.type === RegType.REG_DWORD || v.type === RegType.REG_QWORD) {
        try {
          v.asBigInt();
        } catch (e) {
          if (!isImagecheckError(e)) throw e;
        }
      }
    }
    k.subkey('ControlSet001');
    k.value('Type');
  }
  if (hive.key('Objects') !== null) decodeBcd(hive);
}

/** Runs `fn`; returns its time and outcome; fails on anything but success or an ImagecheckError. */
async function typedOrOk(fn: () => Promise<void>): Promise<{ ms: number; outcome: string }> {
  const t0 = performance.now();
  let outcome = 'ok';
  try {
    await fn();
  } catch (e) {
    if (!isImagecheckError(e)) throw e;
    outcome = e.code;
  }
  return { ms: performance.now() - t0, outcome };
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'offset'; at: number; value: number }
  | { kind: 'huge'; at: number };

/** Mutations aimed where damage matters: the base block, the first hive bins, anywhere. */
function mutation(size: number): fc.Arbitrary<Mutation> {
  const hot = Math.min(size, 4096 + 65536);
  const pos = fc.oneof(fc.nat({ max: hot - 1 }), fc.nat({ max: size - 1 }));
  // Weighted: a truncation ends most runs at the door, so it is the rarest.
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constant('flip' as const), at: pos, bit: fc.nat({ max: 7 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('truncate' as const), length: fc.nat({ max: size - 1 }) }),
    },
    // A 4-byte field overwritten with an 8-aligned offset into the first hive bins: a cell
    // reference now pointing at another cell, at itself or at an ancestor (loops).
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('offset' as const),
        at: pos.map((p) => p & ~3),
        value: fc.nat({ max: (Math.min(size, 65536) - 4096) / 8 }).map((n) => n * 8 + 32),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('huge' as const), at: pos.map((p) => p & ~3) }) },
  );
}

function apply(base: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = base.slice();
  for (const m of ms) {
    const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (m.kind === 'flip' && m.at < b.length) b[m.at] = (b[m.at] as number) ^ (1 << m.bit);
    else if (m.kind === 'truncate') b = b.slice(0, Math.min(m.length, b.length));
    else if (m.kind === 'offset' && m.at + 4 <= b.length) d.setUint32(m.at, m.value, true);
    else if (m.kind === 'huge' && m.at + 4 <= b.length) d.setUint32(m.at, 0xffffffff, true);
  }
  return b;
}

/** Runs per hive: many for the small ones, a few for the 12-15 MB SYSTEM hives (a full walk each). */
function runsFor(size: number): number {
  return size > 4 << 20 ? 12 : 80;
}

/** No run may take longer than this (a full walk of the largest hive takes about 1 s here). */
const MAX_RUN_MS = 15_000;

describe('hostile hives: typed errors only, bounded time', () => {
  for (const name of CORPUS_HIVES) {
    it(name, async () => {
      const bytes = corpusBytes(name);
      let slowest = 0;
      const outcomes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(fc.array(mutation(bytes.length), { minLength: 1, maxLength: 4 }), async (ms) => {
          const mutated = apply(bytes, ms);
          const r = await typedOrOk(async () => exercise(await openHive(mutated)));
          slowest = Math.max(slowest, r.ms);
          outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
          expect(r.ms).toBeLessThan(MAX_RUN_MS);
        }),
        { numRuns: runsFor(bytes.length), seed: 0x5eed, endOnFailure: true },
      );
      expect(slowest).toBeLessThan(MAX_RUN_MS);
      // The damage is not all caught at the door: some runs open and walk (damage in data or
      // slack), others fail deep inside; print the mix for the record.
      console.log(name, Math.round(slowest), 'ms max', JSON.stringify(Object.fromEntries(outcomes)));
      expect(outcomes.size).toBeGreaterThan(1);
    }, 300_000);
  }
});

/** The nk fields of the key at `offset` (relative to the hive bins), by the spec's offsets. */
function nkField(offset: number, field: number): number {
  return 4096 + offset + 4 + field;
}

describe('hostile hives: specific damage', () => {
  it('a subkey list entry pointing back at the root is a cycle, not an endless walk', async () => {
    const bytes = corpusBytes('yarp__UnicodeHive');
    const hive = await openHive(bytes);
    const child = hive.root.subkeys()[0];
    expect(child).toBeDefined();
    // The root's subkey list (nk +28) holds the child's offset at list +4 (an lf/lh entry).
    const d = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const list = d.getUint32(nkField(hive.root.offset, 28), true);
    const b2 = bytes.slice();
    const d2 = new DataView(b2.buffer);
    // Point the child's own subkey list at the root's list: child -> child -> ...
    d2.setUint32(nkField(child?.offset ?? 0, 20), 1, true);
    d2.setUint32(nkField(child?.offset ?? 0, 28), list, true);
    const bad = await openHive(b2);
    expect(() => [...bad.walk()]).toThrow(expect.objectContaining({ code: 'regf/cycle' }));
    // A path through the loop ends at the depth cap instead of running forever.
    const deep = Array.from({ length: 600 }, () => child?.name ?? '').join('\\');
    expect(() => bad.key(deep)).toThrow(expect.objectContaining({ code: 'regf/too-deep' }));
  });

  it('a subkey count of 0xFFFFFFFF is over the cap; a count that disagrees with the list is a mismatch', async () => {
    const bytes = corpusBytes('yarp__ManySubkeysHive');
    const hive = await openHive(bytes);
    const k = hive.key('key_with_many_subkeys');
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(nkField(k?.offset ?? 0, 20), 0xffffffff, true);
    const over = await openHive(b);
    expect(() => over.key('key_with_many_subkeys')?.subkeys()).toThrow(
      expect.objectContaining({ code: 'regf/over-cap' }),
    );
    const c = bytes.slice();
    new DataView(c.buffer).setUint32(nkField(k?.offset ?? 0, 20), 4999, true);
    const mismatch = await openHive(c);
    expect(() => mismatch.key('key_with_many_subkeys')?.subkeyNames()).toThrow(
      expect.objectContaining({ code: 'regf/subkey-count-mismatch' }),
    );
  });

  it('an index root inside an index root is refused (ri -> li/lf/lh only, one level)', async () => {
    const bytes = corpusBytes('yarp__ManySubkeysHive');
    const hive = await openHive(bytes);
    const k = hive.key('key_with_many_subkeys');
    const d = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const ri = d.getUint32(nkField(k?.offset ?? 0, 28), true);
    expect(String.fromCharCode(bytes[4096 + ri + 4] ?? 0, bytes[4096 + ri + 5] ?? 0)).toBe('ri');
    const first = d.getUint32(4096 + ri + 4 + 4, true);
    const b = bytes.slice();
    b[4096 + first + 4] = 0x72; // 'r': the first leaf now says "ri"
    const nested = await openHive(b);
    expect(() => nested.key('key_with_many_subkeys')?.subkeyNames()).toThrow(
      expect.objectContaining({ code: 'regf/nested-ri' }),
    );
  });

  it('a value claiming 2 GB, and a big-data record with too few segments, are refused', async () => {
    const bytes = corpusBytes('yarp__BigDataHive');
    const hive = await openHive(bytes);
    const k = hive.key('key_with_bigdata');
    const d = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const valueList = d.getUint32(nkField(k?.offset ?? 0, 40), true);
    const vk0 = d.getUint32(4096 + valueList + 4, true);
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(4096 + vk0 + 4 + 4, 0x7fffffff, true);
    const huge = await openHive(b);
    expect(() => huge.key('key_with_bigdata')?.values()).toThrow(
      expect.objectContaining({ code: 'regf/over-cap' }),
    );
    const dataOffset = d.getUint32(4096 + vk0 + 4 + 8, true);
    const c = bytes.slice();
    new DataView(c.buffer).setUint16(4096 + dataOffset + 4 + 2, 1, true); // db: 1 segment
    const short = await openHive(c);
    expect(() => short.key('key_with_bigdata')?.values()).toThrow(
      expect.objectContaining({ code: 'regf/bad-big-data' }),
    );
  });

  it('a bad checksum opens as dirty, or is refused when strict; a truncated file is regf/truncated', async () => {
    const bytes = corpusBytes('yarp__UnicodeHive');
    const b = bytes.slice();
    b[100] = (b[100] as number) ^ 1;
    const hive = await openHive(b);
    expect(hive.info).toMatchObject({ dirty: true, dirtyReasons: ['bad-checksum'], mayBeStale: true });
    await expect(openHive(b, { strict: true })).rejects.toMatchObject({ code: 'regf/bad-checksum' });
    // The hive bins end at 4096 + 4096 here (the rest of the file is padding); cut inside them.
    expect(hive.info.hiveBinsDataSize).toBe(4096);
    await expect(openHive(bytes.slice(0, 6000))).rejects.toMatchObject({ code: 'regf/truncated' });
    await expect(openHive(bytes.slice(0, 100))).rejects.toMatchObject({ code: 'regf/truncated' });
    const notHive = bytes.slice();
    notHive[0] = 0;
    await expect(openHive(notHive)).rejects.toMatchObject({ code: 'regf/bad-signature' });
  });
});
