/**
 * The one bounded LRU of the readers: decoded directory blocks, decompressed clusters, parsed
 * cells. Bounded by a total cost (entries by default, or bytes when callers pass sizes), so a
 * hostile image cannot grow it; an entry costlier than the whole budget is not kept at all.
 * Map insertion order is the recency order: a hit moves the entry to the end.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; cost: number }>();
  private total = 0;

  /** @param budget total cost kept; with the default cost of 1, the number of entries */
  constructor(readonly budget: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const hit = this.map.get(key);
    if (hit === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, hit);
    return hit.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V, cost = 1): void {
    const old = this.map.get(key);
    if (old !== undefined) {
      this.total -= old.cost;
      this.map.delete(key);
    }
    if (cost > this.budget) return;
    this.map.set(key, { value, cost });
    this.total += cost;
    for (const [k, v] of this.map) {
      if (this.total <= this.budget) break;
      this.map.delete(k);
      this.total -= v.cost;
    }
  }

  delete(key: K): void {
    const old = this.map.get(key);
    if (old === undefined) return;
    this.total -= old.cost;
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }
}
