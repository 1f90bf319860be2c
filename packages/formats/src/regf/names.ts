/**
 * Registry name comparison.
 *
 * Windows compares key and value names case-insensitively by upper-casing each UTF-16 code unit
 * with its own table (RtlUpcaseUnicodeChar) and sorts subkey lists by the upper-cased names,
 * code unit by code unit (msuhanov/regf, "Hash leaf" note; the lists are kept sorted so that the
 * kernel can binary-search them). We upper-case each code unit with the Unicode simple uppercase
 * mapping (a code unit whose uppercase form is not a single code unit is left as it is, as
 * Windows does for `ß`). That agrees with Windows for ASCII and Latin-1; for other scripts the
 * tables can differ in rare characters, so lookups of names outside ASCII do not rely on the
 * sort order (see `RegKey.subkey`).
 */

const upperCache = new Map<number, number>();

/** The upper-case form of one UTF-16 code unit. */
export function upcaseUnit(c: number): number {
  if (c < 0x61) return c;
  if (c <= 0x7a) return c - 0x20;
  if (c < 0x80) return c;
  // Surrogates have no case; upper-casing a lone one would be meaningless.
  if (c >= 0xd800 && c <= 0xdfff) return c;
  const hit = upperCache.get(c);
  if (hit !== undefined) return hit;
  const u = String.fromCharCode(c).toUpperCase();
  const r = u.length === 1 ? u.charCodeAt(0) : c;
  upperCache.set(c, r);
  return r;
}

/** The name upper-cased code unit by code unit, as Windows compares it. */
export function upcaseName(name: string): string {
  let ascii = true;
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return name.toUpperCase();
  let s = '';
  for (let i = 0; i < name.length; i++) s += String.fromCharCode(upcaseUnit(name.charCodeAt(i)));
  return s;
}

/** Whether every code unit of `name` is ASCII (where our upper-casing is exactly Windows's). */
export function isAscii(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Compares two upper-cased names by UTF-16 code units: the order of Windows's subkey lists. */
export function compareUpper(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The `lh` name hash: H = 37 * H + C over the code units of the upper-cased name, modulo 2^32
 * (msuhanov/regf, "Hash leaf" note).
 */
export function nameHash(upper: string): number {
  let h = 0;
  for (let i = 0; i < upper.length; i++) h = (Math.imul(h, 37) + upper.charCodeAt(i)) >>> 0;
  return h;
}
