import jsonLogic from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import { compileLogic, evaluateLogic, MAX_LOGIC_DEPTH, MAX_LOGIC_NODES, safeData } from './logic.js';

const roots = ['facts', 'params', 'entry'];
const ok = (logic: unknown) => {
  const r = compileLogic(logic, { roots });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.logic;
};
const issues = (logic: unknown) => {
  const r = compileLogic(logic, { roots });
  return r.ok ? [] : r.issues;
};
const run = (logic: unknown, data: unknown) => evaluateLogic(ok(logic), safeData(data));

describe('compileLogic rejects at load time', () => {
  it('unknown operators, naming the path and the allow-list', () => {
    const [i] = issues({ and: [true, { eval: ['1'] }] });
    expect(i?.path).toEqual(['and', 1, 'eval']);
    expect(i?.message).toBe('unknown operator "eval"');
    expect(i?.expected).toContain('version_compare');
    expect(issues({ log: 'x' })).toHaveLength(1);
    expect(issues({ 'Math.max': [1, 2] })).toHaveLength(1);
    expect(issues({ missing: ['facts.x'] })).toHaveLength(1);
  });
  it('var paths that are not literal strings', () => {
    expect(issues({ var: { cat: ['facts.', 'x'] } })[0]?.message).toBe('var path is not a literal string');
    expect(issues({ var: [{ var: 'params.p' }] })[0]?.message).toBe('var path is not a literal string');
    expect(issues({ var: ['facts.a', { var: 'facts.b' }] })[0]?.message).toBe('var default is an operation');
  });
  it('var paths outside facts., params. and the as name', () => {
    expect(issues({ var: 'secret' })[0]?.message).toMatch(/not rooted at "facts\.", "params\.", "entry\."/);
    expect(issues({ var: '' })).toHaveLength(1);
    expect(issues({ var: 'facts..x' })).toHaveLength(1);
  });
  it('prototype segments anywhere in a path', () => {
    for (const p of [
      'facts.__proto__',
      'facts.x.constructor',
      'params.prototype.y',
      'entry.constructor.prototype',
    ]) {
      expect(issues({ var: p })[0]?.message).toMatch(/forbidden segment/);
    }
    // Inside scoped operators too, where paths are element-relative.
    expect(issues({ some: [{ var: 'facts.list' }, { var: 'constructor' }] })[0]?.message).toMatch(
      /forbidden segment/,
    );
  });
  it('objects that are not one-key operations, non-finite numbers, bad literal regexes and schemes', () => {
    expect(issues({ a: 1, b: 2 })[0]?.expected).toMatch(/exactly one key/);
    expect(issues({})).toHaveLength(1);
    expect(issues({ regex_match: [{ var: 'entry.s' }, '(unclosed'] })[0]?.path).toEqual(['regex_match', 1]);
    expect(issues({ regex_match: [{ var: 'entry.s' }, '(?=lookahead)'] })).toHaveLength(1);
    expect(issues({ version_lt: [{ var: 'entry.v' }, '1', 'npm'] })[0]?.path).toEqual(['version_lt', 2]);
  });
  it('conditions too deep or too large (inflate)', () => {
    let deep: unknown = true;
    for (let i = 0; i < MAX_LOGIC_DEPTH + 5; i++) deep = { '!': [deep] };
    expect(issues(deep)[0]?.message).toMatch(/nests deeper/);
    const wide = { and: Array.from({ length: MAX_LOGIC_NODES + 10 }, () => true) };
    expect(issues(wide)[0]?.message).toMatch(/more than 2000 nodes/);
  });
  it('accepts element-relative paths inside scoped operators and current/accumulator in reduce', () => {
    expect(issues({ all: [{ var: 'facts.list' }, { '>': [{ var: 'size' }, 0] }] })).toEqual([]);
    expect(issues({ map: [{ var: 'facts.list' }, { var: '' }] })).toEqual([]);
    expect(
      issues({ reduce: [{ var: 'facts.list' }, { '+': [{ var: 'current' }, { var: 'accumulator' }] }, 0] }),
    ).toEqual([]);
    expect(issues({ reduce: [{ var: 'facts.list' }, { var: 'other' }, 0] })).toHaveLength(1);
  });
});

describe('evaluation', () => {
  it('var cannot reach prototypes, even through data that has them', () => {
    const data = { facts: { list: [1, 2], s: 'abc', o: {} } };
    expect(run({ var: ['facts.o.toString', 'absent'] }, data)).toBe('absent');
    expect(run({ var: 'facts.list.map' }, data)).toBeNull();
    expect(run({ var: 'facts.list.length' }, data)).toBe(2);
    expect(run({ var: 'facts.s.length' }, data)).toBe(3);
    expect(run({ var: ['facts.missing.deep', 7] }, data)).toBe(7);
  });
  it('does not touch json-logic-js operators other code relies on', () => {
    ok({ var: 'facts.x' });
    run({ var: 'facts.x' }, { facts: { x: 1 } });
    // Our operators live under private names; the public table has no regex_match.
    expect(() => jsonLogic.apply({ regex_match: ['a', 'a'] } as never)).toThrow(/Unrecognized operation/);
    expect(jsonLogic.apply({ var: 'a.length' }, { a: 'xyz' })).toBe(3);
  });
  it('version operators with schemes', () => {
    const d = { entry: { v: '5.10.0-28-amd64' } };
    expect(run({ version_compare: [{ var: 'entry.v' }, '5.10.0-30-amd64', 'kernel'] }, d)).toBe(-1);
    expect(run({ version_lt: [{ var: 'entry.v' }, '5.10.0-30-amd64', 'kernel'] }, d)).toBe(true);
    expect(run({ version_gte: ['1:1.0', '2.0', 'deb'] }, d)).toBe(true);
    expect(run({ version_eq: ['1.0-1', '1.0-1', 'rpm'] }, d)).toBe(true);
    expect(run({ version_gt: ['10.0', '9.0'] }, d)).toBe(true);
    expect(run({ version_lte: ['1.0.0-rc.1', '1.0.0', 'semver'] }, d)).toBe(true);
  });
  it('regex_match uses RE2 (search semantics, flags, non-strings are false)', () => {
    expect(run({ regex_match: ['/dev/sdb2', '^/dev/(sd|hd|xvd)[a-z]+[0-9]*$'] }, {})).toBe(true);
    expect(run({ regex_match: ['UUID=abc', 'abc'] }, {})).toBe(true);
    expect(run({ regex_match: ['ABC', '^abc$', 'i'] }, {})).toBe(true);
    expect(run({ regex_match: [null, '.*'] }, {})).toBe(false);
    // A catastrophic-backtracking pattern for backtracking engines runs in linear time here.
    expect(run({ regex_match: [`${'a'.repeat(50_000)}!`, '^(a+)+$'] }, {})).toBe(false);
  });
  it('set operators', () => {
    expect(
      run(
        {
          subset: [
            ['a', 'b'],
            ['b', 'a', 'c'],
          ],
        },
        {},
      ),
    ).toBe(true);
    expect(run({ subset: [['a', 'z'], ['a']] }, {})).toBe(false);
    expect(
      run(
        {
          intersects: [
            ['nofail', '_netdev'],
            ['defaults', '_netdev'],
          ],
        },
        {},
      ),
    ).toBe(true);
    expect(run({ intersects: [['x'], { var: ['facts.none', null] }] }, {})).toBe(false);
    expect(run({ difference: [[1, 2, 3], [2]] }, {})).toEqual([1, 3]);
    expect(
      run(
        {
          intersection: [
            [1, 2, 3],
            [3, 1],
          ],
        },
        {},
      ),
    ).toEqual([1, 3]);
    expect(run({ unique: [{ var: 'facts.l' }] }, { facts: { l: [1, 1, 2, { a: 1 }, { a: 1 }] } })).toEqual([
      1,
      2,
      { a: 1 },
    ]);
    expect(() => run({ subset: ['abc', ['a']] }, {})).toThrow(
      expect.objectContaining({ code: 'logic/subset' }),
    );
  });
  it('string helpers', () => {
    expect(run({ starts_with: ['/dev/vda1', '/dev/vd'] }, {})).toBe(true);
    expect(run({ ends_with: ['grubx64.efi', '.efi'] }, {})).toBe(true);
    expect(run({ lower: ['BOOTX64.EFI'] }, {})).toBe('bootx64.efi');
    expect(run({ length: [[1, 2, 3]] }, {})).toBe(3);
    expect(run({ length: [null] }, {})).toBe(0);
  });
  it('safeData gives frozen null-prototype copies', () => {
    const d = safeData({ a: { b: [1] } }) as Record<string, Record<string, unknown>>;
    expect(Object.getPrototypeOf(d)).toBeNull();
    expect(Object.isFrozen(d.a)).toBe(true);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { x: deep };
    expect(() => safeData(deep)).toThrow(expect.objectContaining({ code: 'logic/data-too-deep' }));
  });
});
