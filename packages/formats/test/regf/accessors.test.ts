import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools, which } from '@imagecheck/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { openHive, RegType, type RegValue } from '../../src/index.js';
import { CORPUS_HIVES, corpusBytes } from '../helpers/corpus.js';

/** Values per type and hive sent to hivexsh: enough to cover each type, few enough to stay quick. */
const PER_TYPE = 60;
const SCALAR = new Set<number>([RegType.REG_SZ, RegType.REG_EXPAND_SZ, RegType.REG_DWORD, RegType.REG_QWORD]);

function decoded(v: RegValue): string {
  if (v.type === RegType.REG_SZ || v.type === RegType.REG_EXPAND_SZ) return v.asString();
  if (v.type === RegType.REG_MULTI_SZ)
    return v
      .asStrings()
      .map((s) => `${s}\n`)
      .join('');
  // hivexsh prints a QWORD as a signed 64-bit number; REG_QWORD is unsigned, so ours is
  // reinterpreted for the comparison only.
  if (v.type === RegType.REG_QWORD) return BigInt.asIntN(64, v.asBigInt()).toString();
  return v.asBigInt().toString();
}

// Ground truth: hivexsh's `lsval NAME` prints a value decoded by libhivex (strings up to the first
// NUL, multi-strings one per line then a blank line, DWORD and QWORD in decimal).
describe.skipIf(!requireTools('hivexsh', 'xz'))('typed accessors against hivexsh lsval', () => {
  const dir = mkdtempSync(join(tmpdir(), 'regf-acc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of CORPUS_HIVES) {
    it(name, async () => {
      const bytes = corpusBytes(name);
      const file = join(dir, name.replace(/\.xz$/, ''));
      writeFileSync(file, bytes);
      const hive = await openHive(bytes);
      const picked: { path: string; value: RegValue }[] = [];
      const perType = new Map<number, number>();
      for (const key of hive.walk()) {
        // hivexsh splits `lsval` arguments on blanks, and `@` names the default value there.
        if (/[\n\r]/.test(key.path)) continue;
        for (const value of key.values()) {
          const n = perType.get(value.type) ?? 0;
          if (n >= PER_TYPE || !/^[\x21-\x7e]+$/.test(value.name) || value.name === '@') continue;
          if (!SCALAR.has(value.type) && value.type !== RegType.REG_MULTI_SZ) continue;
          if (value.type === RegType.REG_DWORD && value.data.length !== 4) continue;
          if (value.type === RegType.REG_QWORD && value.data.length !== 8) continue;
          const text = decoded(value);
          if (/[\n\r]/.test(text)) continue;
          if (value.type === RegType.REG_MULTI_SZ && text === '') continue;
          perType.set(value.type, n + 1);
          picked.push({ path: key.path, value });
        }
      }
      if (picked.length === 0) return;
      const script = picked.map((p) => `cd \\${p.path}\nlsval ${p.value.name}\n`).join('');
      const out = execFileSync(which('hivexsh') ?? 'hivexsh', [file], {
        input: script,
        maxBuffer: 64 << 20,
      }).toString('utf8');
      let expected = '';
      // A multi-string ends with a blank line; every other value is one line.
      for (const p of picked) expected += `${decoded(p.value)}\n`;
      expect(out).toBe(expected);
    }, 120_000);
  }
});

describe('accessors refuse types that do not fit', () => {
  it('a REG_SZ is not a number, a DWORD is not a string, and a short DWORD is a size error', async () => {
    const hive = await openHive(corpusBytes('aiowinreg__nt4_system.reg'));
    const sel = hive.key('Select');
    const current = sel?.value('Current');
    expect(current?.typeName).toBe('REG_DWORD');
    expect(() => current?.asString()).toThrow(expect.objectContaining({ code: 'regf/value-type' }));
    expect(() => current?.asStrings()).toThrow(expect.objectContaining({ code: 'regf/value-type' }));
    const name = hive.key('ControlSet001\\Control\\ComputerName\\ComputerName')?.value('ComputerName');
    expect(name?.asString()).toBe('SERVER');
    expect(() => name?.asNumber()).toThrow(expect.objectContaining({ code: 'regf/value-type' }));
  });
});
