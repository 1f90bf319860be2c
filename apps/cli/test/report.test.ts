import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPORT_FORMATS } from '@imagecheck/sdk';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { examplesPack, imagecheck, repoRoot, sampleImage } from './helpers.js';

// ajv-formats is CommonJS with a default export; under NodeNext its type is the module namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

// The schema as the SDK publishes it, through the package's own export.
const schemaPath = createRequire(import.meta.url).resolve('@imagecheck/sdk/schemas/report.schema.json');

async function schemaValidator() {
  const schema = JSON.parse(await readFile(schemaPath, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

interface JsonReport {
  tool?: { name: string; version: string };
  generatedAt?: string;
  error?: { code: string };
  items: unknown[];
  summary: { passed: boolean };
}

/** Asserts the fields every report carries, and that the time is the check's own. */
function expectStamped(report: JsonReport, startedAt: number): void {
  expect(report.tool).toEqual({ name: 'imagecheck', version: pkg.version });
  const at = Date.parse(report.generatedAt ?? '');
  expect(at).toBeGreaterThanOrEqual(startedAt - 1000);
  expect(at).toBeLessThanOrEqual(Date.now());
}

describe('check --format json is a report the published schema accepts', () => {
  it('on the sample image, with tool and generatedAt, with and without --tui', async () => {
    const validate = await schemaValidator();
    const startedAt = Date.now();
    for (const extra of [[], ['--tui']]) {
      const r = await imagecheck([
        'check',
        sampleImage,
        '--pack',
        examplesPack,
        '--format',
        'json',
        ...extra,
      ]);
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as JsonReport;
      expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
      expectStamped(report, startedAt);
      expect(report.items.length).toBeGreaterThan(0);
    }
  });

  it('for an image that could not be opened, alone and beside one that could', async () => {
    const validate = await schemaValidator();
    const startedAt = Date.now();
    const missing = join(repoRoot, 'samples', 'no-such-image.qcow2');
    const alone = await imagecheck(['check', missing, '--pack', examplesPack, '--format', 'json']);
    expect(alone.code).toBe(2);
    const report = JSON.parse(alone.stdout) as JsonReport;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expectStamped(report, startedAt);
    expect(report.error?.code).toMatch(/ENOENT/);
    expect(report.items).toEqual([]);
    expect(report.summary.passed).toBe(false);

    const both = await imagecheck([
      'check',
      sampleImage,
      missing,
      '--pack',
      examplesPack,
      '--only',
      'SSH.*',
      '--format',
      'json',
    ]);
    expect(both.code).toBe(2);
    const reports = JSON.parse(both.stdout) as JsonReport[];
    expect(validate(reports), JSON.stringify(validate.errors)).toBe(true);
    expect(reports.map((x) => x.error?.code === undefined)).toEqual([true, false]);
    for (const x of reports) expectStamped(x, startedAt);
  });

  it('offers exactly the formats the SDK renders', async () => {
    const help = await imagecheck(['check', '--help']);
    const choices = /--format <format>.*?\(choices: (.*?)(?:, default: [^)]*)?\)/.exec(
      help.stdout.replace(/\n\s+/g, ' '),
    );
    expect(choices?.[1]?.split(', ').map((c) => c.replaceAll('"', ''))).toEqual([...REPORT_FORMATS]);
  });
});
