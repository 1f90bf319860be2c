/**
 * Marvin32, the keyed hash that new-format transaction log entries carry (msuhanov/regf,
 * "Log entries" notes 1-3). Written from the algorithm's public description: the state is two
 * 32-bit words seeded from the low and high halves of the 64-bit seed; each little-endian 32-bit
 * word of input is added to the low word and mixed; the last 0-3 bytes are padded with 0x80 and
 * mixed, then one zero word is mixed; the result is `high << 32 | low`.
 */

/** The seed of registry log entries: 14219357686671994754, little-endian bytes 82 EF 4D 88 7A 4E 55 C5. */
export const REGF_LOG_SEED = 0xc5554e7a884def82n;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export function marvin32(data: Uint8Array, seed: bigint): bigint {
  let lo = Number(seed & 0xffffffffn) >>> 0;
  let hi = Number((seed >> 32n) & 0xffffffffn) >>> 0;
  const mix = (): void => {
    hi = (hi ^ lo) >>> 0;
    lo = rotl(lo, 20);
    lo = (lo + hi) >>> 0;
    hi = rotl(hi, 9);
    hi = (hi ^ lo) >>> 0;
    lo = rotl(lo, 27);
    lo = (lo + hi) >>> 0;
    hi = rotl(hi, 19);
  };
  const n = data.length;
  const whole = n & ~3;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < whole; i += 4) {
    lo = (lo + view.getUint32(i, true)) >>> 0;
    mix();
  }
  // The tail: the remaining bytes in little-endian order, then the 0x80 pad byte above them.
  let last = 0x80;
  for (let i = n - 1; i >= whole; i--) last = ((last << 8) | (data[i] ?? 0)) >>> 0;
  lo = (lo + last) >>> 0;
  mix();
  mix();
  return (BigInt(hi) << 32n) | BigInt(lo);
}
