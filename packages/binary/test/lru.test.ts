import { describe, expect, it } from 'vitest';
import { Lru } from '../src/index.js';

describe('Lru', () => {
  it('evicts the least recently used entries first; a get refreshes recency', () => {
    const lru = new Lru<string, number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.get('a')).toBe(1);
    lru.set('d', 4);
    expect(lru.has('b')).toBe(false);
    expect([...['a', 'c', 'd']].map((k) => lru.get(k))).toEqual([1, 3, 4]);
    expect(lru.size).toBe(3);
  });

  it('is bounded by total cost, evicting as many old entries as a costly one needs', () => {
    const lru = new Lru<number, Uint8Array>(100);
    for (let i = 0; i < 10; i++) lru.set(i, new Uint8Array(10), 10);
    expect(lru.size).toBe(10);
    lru.set(99, new Uint8Array(35), 35);
    // 0, 1, 2 and 3 go: 60 + 35 = 95 fits.
    expect([0, 1, 2, 3].some((k) => lru.has(k))).toBe(false);
    expect(lru.has(4)).toBe(true);
    expect(lru.has(99)).toBe(true);
    expect(lru.size).toBe(7);
  });

  it('does not keep an entry costlier than the whole budget, and a re-set replaces the old cost', () => {
    const lru = new Lru<string, string>(10);
    lru.set('x', 'small', 4);
    lru.set('huge', 'h', 11);
    expect(lru.has('huge')).toBe(false);
    expect(lru.get('x')).toBe('small');
    lru.set('x', 'bigger', 10);
    lru.set('y', 'y', 1);
    expect(lru.has('x')).toBe(false);
    expect(lru.get('y')).toBe('y');
    lru.delete('y');
    lru.set('z', 'z', 10);
    expect(lru.get('z')).toBe('z');
    lru.clear();
    expect(lru.size).toBe(0);
  });

  it('stays within budget under any sequence of sets', () => {
    const lru = new Lru<number, number>(50);
    let seed = 7;
    for (let i = 0; i < 10_000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      lru.set(seed % 200, i, 1 + (seed % 13));
    }
    expect(lru.size).toBeLessThanOrEqual(50);
  });
});
