import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { expect } from 'vitest';
import type { ByteSource } from '../../src/index.js';

/** sha256 of a whole source, read in chunks the way a consumer would. */
export async function hashSource(source: ByteSource, chunk = 4 * 1024 * 1024): Promise<string> {
  const h = createHash('sha256');
  for (let pos = 0; pos < source.size; pos += chunk) {
    h.update(await source.read(pos, Math.min(chunk, source.size - pos)));
  }
  return h.digest('hex');
}

export async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(4 * 1024 * 1024);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

/** Deterministic ranges: half start near unit boundaries (4K..32M) to cross them, half anywhere. */
export function randomRanges(size: number, count: number, seed: number): [number, number][] {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
  const units = [4096, 65536, 131072, 1024 * 1024, 2 * 1024 * 1024, 8 * 1024 * 1024, 32 * 1024 * 1024];
  const out: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const len = 1 + Math.floor(next() * 300_000);
    let start: number;
    if (i % 2 === 0) {
      const unit = units[i % units.length] ?? 65536;
      const k = Math.floor((next() * size) / unit);
      start = k * unit - Math.floor(next() * 5000);
    } else {
      start = Math.floor(next() * size);
    }
    start = Math.max(0, Math.min(start, size - 1));
    out.push([start, Math.min(len, size - start)]);
  }
  out.push([0, Math.min(size, 1024 * 1024)], [Math.max(0, size - 70_000), Math.min(size, 70_000)]);
  return out;
}

export async function compareRanges(
  source: ByteSource,
  referencePath: string,
  ranges: readonly (readonly [number, number])[],
): Promise<void> {
  const fh = await open(referencePath, 'r');
  try {
    for (const [start, length] of ranges) {
      const want = new Uint8Array(length);
      await fh.read(want, 0, length, start);
      const got = await source.read(start, length);
      if (Buffer.compare(Buffer.from(got), Buffer.from(want)) !== 0) {
        let first = 0;
        while (first < length && got[first] === want[first]) first++;
        expect.fail(`range [${start}, +${length}) differs from qemu-img at byte ${start + first}`);
      }
    }
  } finally {
    await fh.close();
  }
}
