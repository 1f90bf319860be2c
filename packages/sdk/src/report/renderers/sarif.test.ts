import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { renderReport } from './render.js';
import {
  allReports,
  brokenReport,
  centosReport,
  HOSTILE,
  hostileReport,
  ubuntuReport,
  windowsReport,
} from './sample-reports.js';
import { guestPathToUri, renderSarif, SARIF_FINGERPRINT_KEY, SARIF_URI_BASE_ID } from './sarif.js';

// Both are CommonJS modules with `exports.default`; under NodeNext the default import is the module.
type AjvLike = { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
const AjvDraft04 = ((AjvDraft04Module as unknown as { default?: unknown }).default ??
  AjvDraft04Module) as new (
  opts: object,
) => AjvLike;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: AjvLike,
) => void;

/**
 * The SARIF 2.1.0 JSON schema as the SARIF technical committee's own JavaScript SDK ships it
 * (sarif-2.1.0-rtm.5, JSON Schema draft-04). It differs from the OASIS errata01 schema only in
 * redundant `type: string` beside enums, a corrected language-tag pattern, and errata01's rule
 * that a region has startLine, charOffset or byteOffset, which the test below checks by hand.
 */
const require = createRequire(import.meta.url);
const schemaPath = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
const sarifSchema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;

interface Result {
  ruleId: string;
  ruleIndex: number;
  kind: string;
  level: string;
  message: { text: string };
  locations?: {
    physicalLocation?: {
      artifactLocation: { uri: string; uriBaseId: string };
      region?: { startLine: number };
    };
    logicalLocations?: { fullyQualifiedName: string; kind: string }[];
  }[];
  partialFingerprints?: Record<string, string>;
  suppressions?: { kind: string; justification: string }[];
  properties: Record<string, unknown>;
}
interface Run {
  tool: { driver: { name: string; rules: Record<string, unknown>[] } };
  results: Result[];
  invocations: {
    executionSuccessful: boolean;
    toolExecutionNotifications?: { level: string; message: { text: string } }[];
  }[];
  properties: Record<string, unknown>;
}
interface Log {
  version: string;
  runs: Run[];
}

function parse(out: string): Log {
  return JSON.parse(out) as Log;
}

describe('renderSarif', () => {
  // strict off: the schema predates Ajv's strict mode. unicodeRegExp off: rtm.5's language-tag
  // pattern has a stray `]` (fixed in errata01) that only a non-unicode RegExp accepts.
  const ajv = new AjvDraft04({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(sarifSchema);

  it('loads the official schema', () => {
    expect(sarifSchema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(String(sarifSchema.title)).toContain('2.1.0');
  });

  it('is valid SARIF 2.1.0 for every sample, alone and together', () => {
    for (const input of [...allReports.map((r) => [r]), allReports, [hostileReport()]]) {
      const log = parse(renderSarif(input));
      expect(validate(log), JSON.stringify(validate.errors, null, 1)).toBe(true);
      for (const run of log.runs)
        for (const r of run.results)
          for (const l of r.locations ?? [])
            if (l.physicalLocation?.region) expect(l.physicalLocation.region.startLine).toBeGreaterThan(0);
    }
  });

  it('the schema check has teeth: it rejects what SARIF forbids', () => {
    const log = parse(renderSarif(centosReport));
    const run = log.runs[0] as Run;
    const first = run.results[0] as Result;
    const broken: unknown[] = [
      { ...log, version: '2.0.0' },
      { ...log, runs: [{ ...run, results: [{ ...first, level: 'critical' }] }] },
      { ...log, runs: [{ ...run, results: [{ ...first, message: undefined }] }] },
      { ...log, runs: [{ ...run, results: [{ ...first, suppressions: [{ kind: 'waived' }] }] }] },
      { ...log, runs: [{ ...run, tool: { driver: { rules: [] } } }] },
    ];
    for (const b of broken) expect(validate(JSON.parse(JSON.stringify(b)))).toBe(false);
  });

  it('makes one run per image, with rules built from the items', () => {
    const log = parse(renderReport(allReports, 'sarif'));
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(4);
    const run = log.runs[0] as Run;
    expect(run.tool.driver.name).toBe('imagecheck');
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(centosReport.items.map((i) => i.name));
    const fstab = run.tool.driver.rules.find((r) => r.id === 'GUESTOS.Fstab');
    expect(fstab).toMatchObject({
      name: 'Fstab',
      shortDescription: {
        text: 'Every /etc/fstab entry mounted at boot resolves to a filesystem in the image',
      },
      defaultConfiguration: { level: 'error' },
      properties: { riskLevel: 'high', 'security-severity': '8.0' },
    });
    expect((fstab?.help as { text: string } | undefined)?.text).toContain('blkid');
    expect(run.tool.driver.rules.find((r) => r.id === 'GUESTOS.RtcTimeMode')).toMatchObject({
      defaultConfiguration: { level: 'note' },
    });
  });

  it('gives one result per finding, located at the guest file and line, with its fingerprint', () => {
    const run = parse(renderSarif(centosReport)).runs[0] as Run;
    const fstab = run.results.filter((r) => r.ruleId === 'GUESTOS.Fstab');
    expect(fstab).toHaveLength(2);
    expect(fstab[0]).toMatchObject({
      kind: 'fail',
      level: 'error',
      message: {
        text: 'UUID=deadbeef-0000-4000-8000-000000000001 (/data) matches no filesystem in the image',
      },
      partialFingerprints: { [SARIF_FINGERPRINT_KEY]: '3f2a9c0d8e7b6a51' },
      properties: { riskLevel: 'high', messageId: 'sourceUnresolved' },
    });
    expect(fstab[0]?.locations?.[0]?.physicalLocation).toMatchObject({
      artifactLocation: { uri: 'etc/fstab', uriBaseId: SARIF_URI_BASE_ID },
      region: { startLine: 10 },
    });
    // The kernel-device-name finding is a warning inside a failing item: not a boot risk.
    expect(fstab[1]).toMatchObject({ level: 'note', properties: { riskLevel: 'medium' } });
    expect(fstab[1]?.locations?.[0]?.physicalLocation?.region?.startLine).toBe(11);
  });

  it('reports fail, warn, error and waived items, and nothing for pass, info and skipped', () => {
    const run = parse(renderSarif(centosReport)).runs[0] as Run;
    expect([...new Set(run.results.map((r) => r.ruleId))].sort()).toEqual(
      [
        'GUESTOS.Dhcp',
        'GUESTOS.Fstab',
        'GUESTOS.OnlineResizeFS',
        'GUESTOS.RtcTimeMode',
        'GUESTOS.Selinux',
      ].sort(),
    );
    for (const r of run.results)
      expect(r.ruleIndex).toBe(run.tool.driver.rules.findIndex((x) => x.id === r.ruleId));
    const rtc = run.results.find((r) => r.ruleId === 'GUESTOS.RtcTimeMode');
    expect(rtc).toMatchObject({
      kind: 'fail',
      level: 'note',
      properties: { riskLevel: 'low', value: 'LOCAL' },
    });
    expect(rtc?.locations?.[0]?.physicalLocation?.artifactLocation.uri).toBe('etc/adjtime');
  });

  it('suppresses waived results with the justification', () => {
    const run = parse(renderSarif(centosReport)).runs[0] as Run;
    const selinux = run.results.find((r) => r.ruleId === 'GUESTOS.Selinux');
    expect(selinux?.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'Labels are restored by our pipeline before capture (OPS-1234)',
      },
    ]);
    expect(run.results.filter((r) => r.suppressions !== undefined)).toHaveLength(1);
  });

  it('reports an undecided item as an open result and a tool notification, never as a pass', () => {
    const run = parse(renderSarif(centosReport)).runs[0] as Run;
    const err = run.results.find((r) => r.ruleId === 'GUESTOS.OnlineResizeFS');
    expect(err).toMatchObject({ kind: 'open', level: 'none' });
    const notes = run.invocations[0]?.toolExecutionNotifications ?? [];
    expect(notes.map((n) => n.level)).toEqual(['error']);
    expect(notes[0]?.message.text).toContain('GUESTOS.OnlineResizeFS');
    expect(run.invocations[0]?.executionSuccessful).toBe(true);
  });

  it('marks a run whose image could not be opened as unsuccessful', () => {
    const run = parse(renderSarif(brokenReport)).runs[0] as Run;
    expect(run.invocations[0]?.executionSuccessful).toBe(false);
    expect(run.invocations[0]?.toolExecutionNotifications?.[0]?.message.text).toContain('vmdk/bad-magic');
    expect(run.results).toEqual([]);
  });

  it('locates registry evidence logically and in its hive file', () => {
    const run = parse(renderSarif(windowsReport)).runs[0] as Run;
    const xen = run.results.find((r) => r.ruleId === 'GUESTOS.Xen');
    expect(xen?.locations?.[0]).toMatchObject({
      logicalLocations: [
        { fullyQualifiedName: 'HKLM\\SYSTEM\\ControlSet001\\Services\\xenvbd\\Start', kind: 'registryValue' },
      ],
      physicalLocation: {
        artifactLocation: { uri: 'Windows/System32/config/SYSTEM', uriBaseId: 'GUESTROOT' },
      },
    });
  });

  it('keeps the image tags of a passing image in the run properties', () => {
    const run = parse(renderSarif(ubuntuReport)).runs[0] as Run;
    expect(run.results).toEqual([]);
    expect(run.properties.imageTags).toEqual(ubuntuReport.tags);
  });

  it('turns guest paths into relative URI references', () => {
    expect(guestPathToUri('/etc/fstab')).toBe('etc/fstab');
    expect(guestPathToUri('C:\\Windows\\System32\\config\\SYSTEM')).toBe('Windows/System32/config/SYSTEM');
    expect(guestPathToUri('/srv/my dir/a#b?c%d')).toBe('srv/my%20dir/a%23b%3Fc%25d');
    expect(guestPathToUri('/tmp/\ud800x')).toBe('tmp/%EF%BF%BDx');
  });

  it('carries hostile strings intact in JSON strings', () => {
    const run = parse(renderSarif(hostileReport())).runs[0] as Run;
    expect(run.results[0]?.message.text).toBe(`entry ${HOSTILE}`);
  });
});
