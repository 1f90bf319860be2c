import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, errorCodeInfo, errorCodesMarkdown } from '../src/error-codes.js';
import { CODE_SHAPE, type ScanResult, scanErrorCodes } from './scan-error-codes.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Constructions whose code is neither a literal nor a registered family, and why that is right:
 * each passes on a code made (and registered) elsewhere.
 */
const PASS_THROUGH: Record<string, string> = {
  'packages/access/src/errors.ts': 'fromJSON rebuilds an error with the code it was serialised with',
  'packages/sdk/src/engine/evaluate.ts':
    "a rule's first compile issue, whose codes are the compiler's `code:` literals",
  'packages/sdk/src/rules/loader.ts':
    "a rule's first compile issue, whose codes are the compiler's `code:` literals",
};

let scan: ScanResult;
// Parsing some 250 files takes seconds; more on a loaded machine.
beforeAll(() => {
  scan = scanErrorCodes(repoRoot);
}, 120_000);

const families = Object.keys(ERROR_CODES).filter((c) => c.endsWith('/*'));

describe('the error code registry', () => {
  it('the scan reads the whole tree, factories included', () => {
    expect(scan.files).toBeGreaterThan(150);
    const found = new Set(scan.codes.map((c) => c.code));
    // One of each way a code is made: a literal, a factory taking the whole code (pathError), a
    // factory adding a prefix (ext's bad()), a private method (cpio's #fail), a factory chain with
    // a suffix (readSourceFile's `${code}-syntax`), a conditional, an operator name (logicError).
    for (const code of [
      'native/closed',
      'guest/ENOENT',
      'ext/bad-magic',
      'initramfs/bad-cpio-magic',
      'pack/rule-syntax',
      'config/file-unreadable',
      'regf/nested-ri',
      'logic/regex_match',
      'logic/version_lt',
    ]) {
      expect(found, code).toContain(code);
    }
  });

  it('every code thrown is registered, with the class it is thrown as', () => {
    const problems: string[] = [];
    for (const site of scan.codes) {
      const info = errorCodeInfo(site.code);
      if (info === undefined) problems.push(`${site.file}:${site.line}: ${site.code} is not registered`);
      else if (info.class !== site.className) {
        problems.push(
          `${site.file}:${site.line}: ${site.code} is thrown as ${site.className}, registered as ${info.class}`,
        );
      }
    }
    expect(problems).toEqual([]);
  });

  it('every code set on a result is registered', () => {
    const missing = scan.reported.filter((s) => errorCodeInfo(s.code) === undefined);
    expect(missing.map((s) => `${s.file}:${s.line}: ${s.code}`)).toEqual([]);
  });

  it('every computed code is a registered family or passes on a registered one', () => {
    const unexplained = scan.dynamic.filter(
      (d) =>
        !Object.hasOwn(PASS_THROUGH, d.file) &&
        !families.some((f) => d.prefix !== '' && d.prefix === f.slice(0, -1)),
    );
    expect(unexplained.map((d) => `${d.file}:${d.line} (${d.prefix || 'no prefix'})`)).toEqual([]);
  });

  it('every registered code is used somewhere', () => {
    const used = new Set([...scan.codes, ...scan.reported].map((c) => c.code));
    const prefixes = new Set(scan.dynamic.map((d) => d.prefix));
    const unused = Object.keys(ERROR_CODES).filter((code) =>
      code.endsWith('/*') ? !prefixes.has(code.slice(0, -1)) : !used.has(code),
    );
    expect(unused).toEqual([]);
  });

  it('codes are well formed and sorted; meanings are one sentence each', () => {
    const codes = Object.keys(ERROR_CODES);
    expect(codes).toEqual([...codes].sort());
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(CODE_SHAPE.test(code) || /^[a-z][a-z0-9-]*\/\*$/.test(code), code).toBe(true);
      expect(info.meaning, code).toMatch(/^\S.*\.$/);
      expect(info.meaning, code).not.toMatch(/\n/);
      expect(info.meaning.length, code).toBeLessThanOrEqual(140);
    }
  });

  it('a family matches its members and nothing else', () => {
    expect(errorCodeInfo('host/EACCES')).toBe(ERROR_CODES['host/*']);
    expect(errorCodeInfo('host/not-a-file')).toBe(ERROR_CODES['host/not-a-file']);
    expect(errorCodeInfo('nohost/EACCES')).toBeUndefined();
    expect(errorCodeInfo('ext/no-such-code')).toBeUndefined();
  });

  it('docs/errors.md is the registry as generated (npm run error-codes)', () => {
    expect(readFileSync(join(repoRoot, 'docs/errors.md'), 'utf8')).toBe(errorCodesMarkdown());
  });
});
