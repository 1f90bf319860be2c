import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILES, generate } from '../../scripts/gen-types.js';
import { REPORT_SCHEMA_VERSION, RISK_LEVELS, STATUSES } from '../report/types.js';
import { schemasDir } from './schemas.js';

const sdkDir = join(schemasDir(), '..');

describe('types generated from the published schemas', () => {
  for (const file of GENERATED_FILES) {
    it(`${file.path} is what ${file.schema} generates (run npm run gen:types -w @imagecheck/sdk)`, async () => {
      const committed = readFileSync(join(sdkDir, file.path), 'utf8');
      const fresh = await generate(file);
      expect(committed).toBe(fresh);
    });
  }

  it('the rule types follow the schema: the risk levels and the root type come from rule.schema.json', async () => {
    const rule = GENERATED_FILES.find((f) => f.schema === 'rule.schema.json');
    if (!rule) throw new Error('rule.schema.json is not generated');
    const schema = JSON.parse(readFileSync(join(schemasDir(), rule.schema), 'utf8')) as {
      $defs: { riskLevel: { enum: string[] } };
      required: string[];
    };
    const text = await generate(rule);
    const levels = schema.$defs.riskLevel.enum.map((v) => JSON.stringify(v)).join(' | ');
    expect(text).toContain(`export type RiskLevel = ${levels};`);
    expect(text).toContain(`export interface ${rule.rootName} {`);
    for (const key of schema.required) expect(text).toMatch(new RegExp(`\\n  ${key}: `));
  });
  it('the report types follow the schema: statuses, risk levels and version come from report.schema.json', async () => {
    const report = GENERATED_FILES.find((f) => f.schema === 'report.schema.json');
    if (!report) throw new Error('report.schema.json is not generated');
    const schema = JSON.parse(readFileSync(join(schemasDir(), report.schema), 'utf8')) as {
      $defs: {
        status: { enum: string[] };
        riskLevel: { enum: string[] };
        report: { required: string[]; properties: { schemaVersion: { const: string } } };
      };
    };
    const text = await generate(report);
    const union = (values: string[]) => values.map((v) => JSON.stringify(v)).join(' | ');
    expect(text).toContain(`export type Status = ${union(schema.$defs.status.enum)};`);
    expect(text).toContain(`export type RiskLevel = ${union(schema.$defs.riskLevel.enum)};`);
    expect(text).toContain('export interface Report {');
    for (const key of schema.$defs.report.required) expect(text).toMatch(new RegExp(`\\n  ${key}: `));
    // The runtime lists and the version constant are written by hand: they must name the same values.
    expect([...STATUSES]).toEqual(schema.$defs.status.enum);
    expect([...RISK_LEVELS]).toEqual(schema.$defs.riskLevel.enum);
    expect(REPORT_SCHEMA_VERSION).toBe(schema.$defs.report.properties.schemaVersion.const);
  });

  it('the config types follow the schema: every property of config.schema.json is an optional field', async () => {
    const config = GENERATED_FILES.find((f) => f.schema === 'config.schema.json');
    if (!config) throw new Error('config.schema.json is not generated');
    const schema = JSON.parse(readFileSync(join(schemasDir(), config.schema), 'utf8')) as {
      properties: Record<string, unknown>;
      required?: string[];
    };
    expect(schema.required).toBeUndefined();
    const text = await generate(config);
    expect(text).toContain(`export interface ${config.rootName} {`);
    const keys = Object.keys(schema.properties);
    expect(keys.length).toBeGreaterThan(0);
    const asPattern = (key: string) => key.replace(/[$]/g, '\\$&');
    for (const key of keys) expect(text).toMatch(new RegExp(`\\n  ${asPattern(key)}\\?: `));
  });
});
