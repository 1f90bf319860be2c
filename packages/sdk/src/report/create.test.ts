import { readFileSync } from 'node:fs';
import { FormatError, InternalError } from '@imagecheck/access';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { createReport, reportError, summarize, unopenedReport } from './create.js';
import { renderJson } from './renderers/json.js';
import { atLeast, compareRisk, highestRisk, RISK_ORDER } from './risk.js';
import { type ReportItem, RISK_LEVELS, type RiskLevel } from './types.js';

// ajv-formats is CommonJS with a default export; under NodeNext its type is the module namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const schema = JSON.parse(
  readFileSync(new URL('../../schemas/report.schema.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);

const tool = { name: 'imagecheck', version: '1.2.3' };
const now = new Date('2026-05-06T07:08:09.010Z');
const item = (name: string, status: ReportItem['status'], riskLevel: RiskLevel): ReportItem => ({
  name,
  status,
  riskLevel,
  value: '',
  message: `${name} ${status}`,
  evidence: [],
});

describe('createReport', () => {
  it('stamps the schema version, tool and time, and summarises the items', () => {
    const items = [item('A', 'fail', 'high'), item('B', 'pass', 'low'), item('C', 'waived', 'medium')];
    const report = createReport({
      image: { path: 'a.qcow2', format: 'qcow2' },
      backend: 'native',
      tool,
      items,
      now,
    });
    expect(report).toMatchObject({
      schemaVersion: 'imagecheck.report/v1',
      image: { path: 'a.qcow2', format: 'qcow2' },
      backend: 'native',
      tool,
      generatedAt: '2026-05-06T07:08:09.010Z',
      tags: [],
    });
    expect(report.summary).toEqual({
      total: 3,
      counts: { pass: 1, fail: 1, warn: 0, info: 0, skipped: 0, error: 0, waived: 1 },
      passed: false,
    });
    expect(report).not.toHaveProperty('roots');
    expect(report).not.toHaveProperty('error');
    const json = JSON.parse(renderJson(report)) as unknown;
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
  });

  it('defaults the time to now', () => {
    const before = Date.now();
    const report = createReport({ image: { path: 'a.raw' }, backend: 'native', tool, items: [] });
    const at = Date.parse(report.generatedAt);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});

describe('unopenedReport', () => {
  it('keeps the code of an imagecheck error, has no items, and did not pass', () => {
    const report = unopenedReport({
      imagePath: 'b.vmdk',
      backend: 'native',
      tool,
      error: new FormatError('vmdk/bad-magic', 'not a VMDK'),
      now,
    });
    expect(report).toMatchObject({
      image: { path: 'b.vmdk' },
      tool,
      generatedAt: '2026-05-06T07:08:09.010Z',
      items: [],
      tags: [],
      error: { code: 'vmdk/bad-magic', message: 'not a VMDK' },
    });
    expect(report.summary).toMatchObject({ total: 0, passed: false });
    const json = JSON.parse(renderJson(report)) as unknown;
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
  });

  it('calls anything that is not an imagecheck error internal', () => {
    expect(reportError(new TypeError('x is undefined'))).toEqual({
      code: 'internal',
      message: 'x is undefined',
    });
    expect(reportError('boom')).toEqual({ code: 'internal', message: 'boom' });
    expect(reportError(new InternalError('native/closed', 'read after close'))).toEqual({
      code: 'native/closed',
      message: 'read after close',
    });
  });
});

describe('risk order', () => {
  it('ranks high over medium over low, in agreement with RISK_LEVELS', () => {
    expect(RISK_ORDER.high).toBeGreaterThan(RISK_ORDER.medium);
    expect(RISK_ORDER.medium).toBeGreaterThan(RISK_ORDER.low);
    expect([...RISK_LEVELS].reverse().sort(compareRisk).reverse()).toEqual(RISK_LEVELS);
    expect(compareRisk('low', 'low')).toBe(0);
  });

  it('atLeast is the --fail-on comparison', () => {
    const table: [RiskLevel, RiskLevel, boolean][] = [
      ['high', 'high', true],
      ['high', 'low', true],
      ['medium', 'high', false],
      ['medium', 'medium', true],
      ['low', 'medium', false],
    ];
    for (const [level, threshold, expected] of table) expect(atLeast(level, threshold)).toBe(expected);
  });

  it('highestRisk picks the greatest, low for none', () => {
    expect(highestRisk(['low', 'high', 'medium'])).toBe('high');
    expect(highestRisk(['low', 'medium', 'low'])).toBe('medium');
    expect(highestRisk([])).toBe('low');
  });

  it('summarize counts every status', () => {
    expect(summarize([item('A', 'error', 'low')])).toMatchObject({ total: 1, passed: false });
  });
});
