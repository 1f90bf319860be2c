import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { REPORT_SCHEMA_VERSION } from '../types.js';
import { renderJson } from './json.js';
import { renderReport } from './render.js';
import {
  allReports,
  brokenReport,
  centosReport,
  HOSTILE,
  hostileReport,
  ubuntuReport,
} from './sample-reports.js';

// ajv-formats is CommonJS with a default export; under NodeNext its type is the module namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const schemaUrl = new URL('../../../schemas/report.schema.json', import.meta.url);
const schema = JSON.parse(readFileSync(schemaUrl, 'utf8')) as Record<string, unknown>;

function validator() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('renderJson', () => {
  const validate = validator();

  it('publishes a 2020-12 schema whose $id names the version', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toMatch(/report\.v1\.schema\.json$/);
    expect(REPORT_SCHEMA_VERSION).toBe('imagecheck.report/v1');
  });

  it.each(allReports.map((r) => [r.image.path, r] as const))(
    'renders %s valid against the schema',
    (_path, report) => {
      const json = JSON.parse(renderJson(report)) as unknown;
      expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    },
  );

  it('renders one object for a report and an array for an array', () => {
    expect(Array.isArray(JSON.parse(renderJson(centosReport)))).toBe(false);
    const many = JSON.parse(renderReport(allReports, 'json')) as unknown[];
    expect(many).toHaveLength(4);
    expect(validate(many), JSON.stringify(validate.errors)).toBe(true);
    expect(JSON.parse(renderJson([centosReport]))).toHaveLength(1);
  });

  it('keeps every field of the model: parsing the output gives the report back', () => {
    for (const report of allReports) expect(JSON.parse(renderJson(report))).toEqual(report);
  });

  it('puts the documented keys first and in order', () => {
    const json = JSON.parse(renderJson(centosReport)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'schemaVersion',
      'image',
      'backend',
      'generatedAt',
      'tool',
      'items',
      'summary',
      'tags',
    ]);
    const items = json.items as Record<string, unknown>[];
    const fstab = items.find((i) => i.name === 'GUESTOS.Fstab');
    expect(
      Object.keys(fstab ?? {}).filter((k) =>
        ['name', 'status', 'riskLevel', 'value', 'message', 'evidence', 'repair'].includes(k),
      ),
    ).toEqual(['name', 'status', 'riskLevel', 'value', 'message', 'evidence', 'repair']);
    expect(fstab?.status).toBe('fail');
    expect((fstab?.findings as { evidence: { line: number }[] }[] | undefined)?.[0]?.evidence[0]?.line).toBe(
      10,
    );
  });

  it('carries the tags of a passing image', () => {
    const json = JSON.parse(renderJson(ubuntuReport)) as { tags: unknown; summary: { passed: boolean } };
    expect(json.summary.passed).toBe(true);
    expect(json.tags).toEqual([
      { key: 'acs:ecs:image:osVersion', value: 'Ubuntu 22.04' },
      { key: 'acs:ecs:image:kernelVersion', value: '5.15.0-105-generic' },
    ]);
  });

  it('reports an image that could not be opened with its error code and no items', () => {
    const json = JSON.parse(renderJson(brokenReport)) as { error: { code: string }; items: unknown[] };
    expect(json.error.code).toBe('vmdk/bad-magic');
    expect(json.items).toEqual([]);
  });

  it('keeps the OS roots and which root each item is about', () => {
    const roots = [
      { id: 'fs-1', filesystem: 'fs-1', os: 'linux', primary: true },
      { id: 'fs-2', filesystem: 'fs-2', os: 'linux', primary: false },
    ];
    const report = {
      ...centosReport,
      roots,
      items: centosReport.items.map((i, n) => ({ ...i, root: n % 2 === 0 ? 'fs-1' : 'fs-2' })),
    };
    const json = JSON.parse(renderJson(report)) as { roots: unknown; items: { root: string }[] };
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.roots).toEqual(roots);
    expect(json.items.map((i) => i.root)).toEqual(report.items.map((i) => i.root));
    expect(json).toEqual(report);
  });

  it('round-trips hostile strings exactly and stays valid', () => {
    const out = renderJson(hostileReport());
    expect(out).not.toContain('\u001b');
    const json = JSON.parse(out) as { items: { message: string }[] };
    expect(json.items[0]?.message).toBe(HOSTILE);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the schema rejects what the renderer never writes', () => {
    const good = JSON.parse(renderJson(centosReport)) as Record<string, unknown>;
    const items = good.items as Record<string, unknown>[];
    const bad = [
      { ...good, schemaVersion: 'imagecheck.report/v2' },
      { ...good, extra: 1 },
      { ...good, items: [{ ...items[0], status: 'passed' }] },
      { ...good, items: [{ ...items[0], riskLevel: 'critical' }] },
      { ...good, items: [{ ...items[0], evidence: [{ kind: 'file', line: 0 }] }] },
      { ...good, summary: { total: 1, passed: true, counts: {} } },
      (({ tags: _t, ...rest }) => rest)(good),
      (({ tool: _t, ...rest }) => rest)(good),
      (({ generatedAt: _g, ...rest }) => rest)(good),
      { ...good, generatedAt: 'yesterday' },
      { ...good, tool: { name: 'imagecheck' } },
    ];
    for (const b of bad) expect(validate(b)).toBe(false);
  });
});
