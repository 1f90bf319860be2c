import { corrupt, outputTooLarge, truncated } from './types.js';

/**
 * LZO1X decompression of one stream, written from the stream description in the Linux kernel's
 * Documentation/staging/lzo.rst. Output is bounded by `maxOut`; more is `codec/output-too-large`,
 * any other inconsistency `codec/corrupt`. Containers frame it (btrfs: fs/btrfs/lzo.c, per sector).
 *
 * Instructions (state = literals copied by the previous instruction: 0, 1-3, or 4 for "4+"):
 *   first byte >= 18        copy (byte - 17) literals; state = min(that, 4)
 *   0000LLLL, state 0       literal run of 3 + (L || 15 + 255*zeros + next nonzero) bytes; state 4
 *   0000DDSS, state 1-3     match of 2, distance (H << 2) + D + 1, then S literals
 *   0000DDSS, state 4       match of 3, distance (H << 2) + D + 2049, then S literals
 *   0001HLLL                match of 2 + (L || 7 + ...), LE16 d: distance 16384 + (H << 14) + (d >> 2),
 *                           S = d & 3; distance 16384 is the end-of-stream marker
 *   001LLLLL                match of 2 + (L || 31 + ...), LE16 d: distance (d >> 2) + 1, S = d & 3
 *   01LDDDSS                match of 3 + L, distance (H << 3) + D + 1, H = next byte
 *   1LLDDDSS                match of 5 + L, distance (H << 3) + D + 1
 */
export function lzo1xDecompress(src: Uint8Array, maxOut: number): Uint8Array {
  const out = new Uint8Array(maxOut);
  let ip = 0;
  let op = 0;
  const fail = (why: string): never => {
    throw corrupt('lzo1x', why, { offset: ip, actual: op, expected: maxOut });
  };
  const overrun = (): never => {
    throw outputTooLarge('lzo1x', maxOut);
  };
  const byte = (): number => {
    if (ip >= src.length) throw truncated('lzo1x', { offset: ip });
    return src[ip++] as number;
  };
  const literals = (n: number): void => {
    if (ip + n > src.length) throw truncated('lzo1x', { offset: ip });
    if (op + n > maxOut) overrun();
    out.set(src.subarray(ip, ip + n), op);
    ip += n;
    op += n;
  };
  const copyMatch = (dist: number, len: number): void => {
    if (dist > op) fail('match distance before the start of the output');
    if (op + len > maxOut) overrun();
    let from = op - dist;
    for (let i = 0; i < len; i++) out[op++] = out[from++] as number;
  };
  /** A run length continued by zero bytes (255 each) and a final nonzero byte. */
  const longLength = (base: number): number => {
    let n = 0;
    let b = byte();
    // Each zero byte adds 255; more than the output size in zeros is garbage, not a length.
    while (b === 0) {
      n += 255;
      // A run longer than the output cap cannot fit: too large, whatever follows.
      if (n > maxOut) overrun();
      b = byte();
    }
    return base + n + b;
  };

  let state = 0;
  let first = true;
  for (;;) {
    let t = byte();
    if (first) {
      first = false;
      if (t >= 18) {
        const n = t - 17;
        literals(n);
        state = Math.min(n, 4);
        t = byte();
      }
    }
    let len: number;
    let dist: number;
    let s: number;
    if (t < 16) {
      if (state === 0) {
        const n = t === 0 ? longLength(15) + 3 : t + 3;
        literals(n);
        state = 4;
        continue;
      }
      const h = byte();
      s = t & 3;
      if (state === 4) {
        len = 3;
        dist = (h << 2) + ((t >> 2) & 3) + 2049;
      } else {
        len = 2;
        dist = (h << 2) + ((t >> 2) & 3) + 1;
      }
    } else if (t < 32) {
      len = (t & 7) === 0 ? longLength(7) + 2 : (t & 7) + 2;
      const d = byte() | (byte() << 8);
      dist = 16384 + ((t & 8) << 11) + (d >> 2);
      s = d & 3;
      if (dist === 16384) {
        if (len !== 3) fail('bad end-of-stream marker');
        return out.subarray(0, op);
      }
    } else if (t < 64) {
      len = (t & 31) === 0 ? longLength(31) + 2 : (t & 31) + 2;
      const d = byte() | (byte() << 8);
      dist = (d >> 2) + 1;
      s = d & 3;
    } else if (t < 128) {
      len = 3 + ((t >> 5) & 1);
      dist = (byte() << 3) + ((t >> 2) & 7) + 1;
      s = t & 3;
    } else {
      len = 5 + ((t >> 5) & 3);
      dist = (byte() << 3) + ((t >> 2) & 7) + 1;
      s = t & 3;
    }
    copyMatch(dist, len);
    if (s > 0) literals(s);
    state = s;
  }
}
