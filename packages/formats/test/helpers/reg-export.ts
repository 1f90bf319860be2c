import type { Hive, RegKey } from '../../src/index.js';

/**
 * Exports a hive in exactly the bytes `hivexregedit --export <hive> '\'` prints (Win::Hivex::Regedit
 * `reg_export_node`), so the two can be compared whole:
 *
 * - `Windows Registry Editor Version 5.00`, a blank line, then each key depth first, children
 *   sorted by name with Perl's `cmp` (code point order);
 * - `[\path]` (the root is `[\]`), then the values sorted by name: `@=` for the default value,
 *   else the name in quotes with `\` and `"` escaped; a REG_DWORD of exactly 4 bytes as
 *   `dword:%08x`, every other value as `hex(<type in hex>):` and its bytes as `%02x` joined by
 *   commas; a blank line after each key.
 * - Perl prints each string without an encoding layer: one holding a character above U+00FF
 *   comes out as UTF-8, any other as one byte per character (Latin-1). The key path and each
 *   value name are printed as separate strings, so each is encoded on its own.
 */
export function exportLikeHivex(hive: Hive): Buffer {
  const parts: Buffer[] = [Buffer.from('Windows Registry Editor Version 5.00\n\n', 'latin1')];
  const visit = (key: RegKey): void => {
    parts.push(Buffer.from('['), perlString(`\\${key.path}`), Buffer.from(']\n'));
    const values = key.values().sort((a, b) => codePointCompare(a.name, b.name));
    for (const v of values) {
      if (v.name === '') parts.push(Buffer.from('@='));
      else
        parts.push(
          Buffer.from('"'),
          perlString(v.name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')),
          Buffer.from('"='),
        );
      if (v.type === 4 && v.data.length === 4) {
        const dword = new DataView(v.data.buffer, v.data.byteOffset, 4).getUint32(0, true);
        parts.push(Buffer.from(`dword:${dword.toString(16).padStart(8, '0')}\n`));
      } else {
        let hex = '';
        for (let i = 0; i < v.data.length; i++)
          hex += (i === 0 ? '' : ',') + (v.data[i] as number).toString(16).padStart(2, '0');
        parts.push(Buffer.from(`hex(${v.type.toString(16)}):${hex}\n`));
      }
    }
    parts.push(Buffer.from('\n'));
    const children = key.subkeys().sort((a, b) => codePointCompare(a.name, b.name));
    for (const c of children) visit(c);
  };
  visit(hive.root);
  return Buffer.concat(parts);
}

function perlString(s: string): Buffer {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return Buffer.from(s, 'utf8');
  return Buffer.from(s, 'latin1');
}

function codePointCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The first line where two exports differ, with the line before it, for a readable failure. */
export function firstDifference(a: Buffer, b: Buffer): string | null {
  if (a.equals(b)) return null;
  const la = a.toString('latin1').split('\n');
  const lb = b.toString('latin1').split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) {
      return `line ${i + 1}:\n  ours:    ${(la[i] ?? '<end>').slice(0, 300)}\n  hivex:   ${(lb[i] ?? '<end>').slice(0, 300)}\n  (after: ${(la[i - 1] ?? '').slice(0, 200)})`;
    }
  }
  return 'same lines, different bytes';
}
