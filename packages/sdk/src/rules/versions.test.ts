import { FormatError } from '@imagecheck/access';
import { describe, expect, it } from 'vitest';
import { compareVersions, satisfiesSemverRange } from './versions.js';

// Orderings from rpm's own test suite (tests/rpmvercmp.at), as [a, b, rpmvercmp(a, b)].
const RPMVERCMP_AT: [string, string, number][] = [
  ['1.0', '1.0', 0],
  ['1.0', '2.0', -1],
  ['2.0', '1.0', 1],
  ['2.0.1', '2.0.1', 0],
  ['2.0', '2.0.1', -1],
  ['2.0.1', '2.0', 1],
  ['2.0.1a', '2.0.1a', 0],
  ['2.0.1a', '2.0.1', 1],
  ['2.0.1', '2.0.1a', -1],
  ['5.5p1', '5.5p2', -1],
  ['5.5p10', '5.5p1', 1],
  ['10xyz', '10.1xyz', -1],
  ['10.1xyz', '10xyz', 1],
  ['xyz10', 'xyz10.1', -1],
  ['xyz.4', '8', -1],
  ['2', 'xyz.4', 1],
  ['5.5p2', '5.6p1', -1],
  ['6.5p1', '5.6p1', 1],
  ['6.0.rc1', '6.0', 1],
  ['6.0', '6.0.rc1', -1],
  ['10b2', '10a1', 1],
  ['10a2', '10b2', -1],
  ['1.0a', '1.0aa', -1],
  ['1.0aa', '1.0a', 1],
  ['10.0001', '10.1', 0],
  ['10.0001', '10.0039', -1],
  ['4.999.9', '5.0', -1],
  ['20101121', '20101122', -1],
  ['2_0', '2.0', 0],
  ['a+', 'a_', 0],
  ['+a', '_a', 0],
  ['+', '_', 0],
  ['1.0~rc1', '1.0', -1],
  ['1.0', '1.0~rc1', 1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc1~git123', '1.0~rc1', -1],
  ['1.0^', '1.0', 1],
  ['1.0', '1.0^', -1],
  ['1.0^git1', '1.0', 1],
  ['1.0^git1', '1.0^git2', -1],
  ['1.0^git1', '1.01', -1],
  ['1.0^20160101', '1.0.1', -1],
  ['1.0^20160102', '1.0^20160101^git1', 1],
  ['1.0~rc1^git1', '1.0~rc1', 1],
  ['1.0^git1', '1.0^git1~pre', 1],
  ['1.0^git1~pre', '1.0^git1', -1],
];

describe('rpm', () => {
  it.each(RPMVERCMP_AT)('rpmvercmp(%s, %s) = %i', (a, b, want) => {
    expect(compareVersions(a, b, 'rpm')).toBe(want);
  });
  it('compares epoch, then version, then release', () => {
    expect(compareVersions('1:1.0-1', '2.0-1', 'rpm')).toBe(1);
    expect(compareVersions('1.0-1.el8', '1.0-2.el8', 'rpm')).toBe(-1);
    expect(compareVersions('0:1.0-1', '1.0-1', 'rpm')).toBe(0);
  });
});

describe('deb', () => {
  // deb-version(7): "~~" < "~~a" < "~" < "" < "a"; epochs first; digits numerically.
  const ordered = ['1.0~~', '1.0~~a', '1.0~', '1.0', '1.0a', '1.0+b1', '1.0.1', '1.2', '1.10', '1:0.1'];
  it('sorts the deb-version(7) sequence in order', () => {
    const shuffled = [...ordered].reverse();
    expect(shuffled.sort((a, b) => compareVersions(a, b, 'deb'))).toEqual(ordered);
  });
  it.each([
    ['1.0-1', '1.0-1ubuntu1', -1],
    ['2.30-1', '2.4-1', 1],
    ['1:2.0', '2.0', 1],
    ['7.4.052-1ubuntu3.1', '7.4.052-1ubuntu3', 1],
    ['2.36.1-8+deb11u1', '2.36.1-8', 1],
    ['1.2.3~rc1-1', '1.2.3-1', -1],
    ['0001.0', '1.0', 0],
    ['1.0-1', '1.0-1', 0],
  ] as const)('%s vs %s = %i', (a, b, want) => {
    expect(compareVersions(a, b, 'deb')).toBe(want);
  });
  it('rejects a non-numeric epoch with a typed error', () => {
    expect(() => compareVersions('x:1.0', '1.0', 'deb')).toThrow(FormatError);
  });
});

describe('kernel', () => {
  it.each([
    ['5.10.0-28-amd64', '5.10.0-30-amd64', -1],
    ['5.10.0-28-amd64', '5.4.0-150-generic', 1],
    ['4.18.0-513.el8.x86_64', '4.18.0-477.10.1.el8_8.x86_64', 1],
    ['6.1.0-rc3', '6.1.0', -1],
    ['6.1.0-rc3', '6.0.19', 1],
    ['6.1', '6.1.0', 0],
    ['3.10.0-1160.el7.x86_64', '3.10.0-1160.el7.x86_64', 0],
    ['5.15.0-1034-azure', '5.15.0-1034-azure', 0],
    ['6.8.0-45-generic', '6.8.0-100-generic', -1],
  ] as const)('%s vs %s = %i', (a, b, want) => {
    expect(compareVersions(a, b, 'kernel')).toBe(want);
  });
  it('rejects a release string that does not start with a number', () => {
    expect(() => compareVersions('vmlinuz', '5.10', 'kernel')).toThrow(
      expect.objectContaining({ code: 'version/bad-kernel' }),
    );
  });
});

describe('semver', () => {
  // semver.org §11: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0.
  const ordered = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.10.0',
    'v2.0.0',
  ];
  it('sorts the semver.org precedence example', () => {
    expect([...ordered].reverse().sort((a, b) => compareVersions(a, b, 'semver'))).toEqual(ordered);
  });
  it('ignores build metadata', () => {
    expect(compareVersions('1.0.0+build.1', '1.0.0+build.2', 'semver')).toBe(0);
  });
  it('rejects non-semver input', () => {
    expect(() => compareVersions('1.0', '1.0.0', 'semver')).toThrow(
      expect.objectContaining({ code: 'version/bad-semver' }),
    );
  });
});

describe('generic and inputs', () => {
  it('compares numbers as numbers, never as strings', () => {
    expect(compareVersions('10.0', '9.0')).toBe(1);
    expect(compareVersions(22.04, '20.04')).toBe(1);
  });
  it('rejects non-strings and over-long strings with typed errors', () => {
    expect(() => compareVersions(null, '1')).toThrow(
      expect.objectContaining({ code: 'version/not-a-string' }),
    );
    expect(() => compareVersions('1'.repeat(300), '1')).toThrow(
      expect.objectContaining({ code: 'version/too-long' }),
    );
    expect(() => compareVersions('1', '1', 'npm' as never)).toThrow(
      expect.objectContaining({ code: 'version/unknown-scheme' }),
    );
  });
  it('handles long digit runs without precision loss', () => {
    expect(compareVersions('1.99999999999999999999', '1.99999999999999999998', 'rpm')).toBe(1);
  });
});

describe('satisfiesSemverRange (engine.sdk of a pack)', () => {
  it.each([
    ['0.1.0', '^0.1.0', true],
    ['0.2.0', '^0.1.0', false],
    ['1.4.2', '^1.2.0', true],
    ['2.0.0', '^1.2.0', false],
    ['0.0.4', '^0.0.3', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.9.0', '>=1.0.0 <2', true],
    ['2.0.0', '>=1.0.0 <2', false],
    ['3.1.0', '1.x || 3.x', true],
    ['2.1.0', '1.x || 3.x', false],
    ['5.0.0', '*', true],
    ['1.2.3', '1.2.3', true],
  ] as const)('%s satisfies %s: %s', (v, r, want) => {
    expect(satisfiesSemverRange(v, r)).toBe(want);
  });
  it('rejects a malformed range', () => {
    expect(() => satisfiesSemverRange('1.0.0', 'latest')).toThrow(
      expect.objectContaining({ code: 'version/bad-range' }),
    );
  });
});
