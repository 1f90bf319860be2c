import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { attr, renderJunit, text } from './junit.js';
import { renderReport } from './render.js';
import {
  allReports,
  brokenReport,
  centosReport,
  charsIn,
  hostileReport,
  ubuntuReport,
} from './sample-reports.js';

interface Testcase {
  '@_classname': string;
  '@_name': string;
  '@_time'?: string;
  failure?: { '#text'?: string; '@_message': string; '@_type': string };
  error?: { '#text'?: string; '@_message': string; '@_type': string };
  skipped?: { '@_message': string };
  'system-out'?: string;
}
interface Testsuite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  '@_skipped': string;
  properties: { property: { '@_name': string; '@_value': string }[] };
  testcase: Testcase[];
}
interface Doc {
  testsuites: {
    '@_tests': string;
    '@_failures': string;
    '@_errors': string;
    '@_skipped': string;
    testsuite: Testsuite[];
  };
}

function parse(xml: string): Doc {
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    htmlEntities: true,
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  });
  return parser.parse(xml) as Doc;
}

function byName(suite: Testsuite | undefined, name: string): Testcase | undefined {
  return suite?.testcase.find((t) => t['@_name'] === name);
}

describe('renderJunit', () => {
  it('makes one testsuite per image and one testcase per item, with matching counts', () => {
    const doc = parse(renderReport(allReports, 'junit'));
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => s['@_name'])).toEqual(allReports.map((r) => r.image.path));
    const centos = suites[0] as Testsuite;
    expect(centos.testcase).toHaveLength(centosReport.items.length);
    expect(centos.testcase.every((t) => t['@_classname'] === 'images/centos79.qcow2')).toBe(true);
    // fail: Fstab, RtcTimeMode; error: OnlineResizeFS; skipped: SecurityCenterAgent + waived Selinux.
    expect([centos['@_tests'], centos['@_failures'], centos['@_errors'], centos['@_skipped']]).toEqual([
      '10',
      '2',
      '1',
      '2',
    ]);
    const t = doc.testsuites;
    // Windows adds one failure; the unopenable image adds one error testcase.
    expect([t['@_tests'], t['@_failures'], t['@_errors'], t['@_skipped']]).toEqual(['16', '3', '2', '2']);
  });

  it('writes a failure with the risk as type and findings with file:line evidence in the body', () => {
    const suite = parse(renderJunit(centosReport)).testsuites.testsuite[0];
    const fstab = byName(suite, 'GUESTOS.Fstab');
    expect(fstab?.failure?.['@_type']).toBe('high');
    expect(fstab?.failure?.['@_message']).toBe('/etc/fstab has entries that will not mount on the instance');
    const body = fstab?.failure?.['#text'] ?? '';
    expect(body).toContain(
      '[fail high] UUID=deadbeef-0000-4000-8000-000000000001 (/data) matches no filesystem',
    );
    expect(body).toContain('/etc/fstab:10  UUID=deadbeef-0000-4000-8000-000000000001 /data xfs defaults 0 0');
    expect(body).toContain('/etc/fstab:11');
    expect(body).toContain('repair: Replace device names');
    expect(fstab?.['@_time']).toBe('0.002');
    expect(byName(suite, 'GUESTOS.RtcTimeMode')?.failure?.['@_type']).toBe('low');
  });

  it('maps error, skipped, waived, warn, info and pass', () => {
    const suite = parse(renderJunit(centosReport)).testsuites.testsuite[0];
    expect(byName(suite, 'GUESTOS.OnlineResizeFS')?.error?.['@_message']).toContain(
      'linux.cloudInit is unavailable',
    );
    expect(byName(suite, 'GUESTOS.SecurityCenterAgent')?.skipped?.['@_message']).toBe(
      'disabled by configuration',
    );
    expect(byName(suite, 'GUESTOS.Selinux')?.skipped?.['@_message']).toBe(
      'waived: Labels are restored by our pipeline before capture (OPS-1234)',
    );
    const dhcp = byName(suite, 'GUESTOS.Dhcp');
    expect(dhcp?.failure).toBeUndefined();
    expect(dhcp?.['system-out']).toContain('/etc/sysconfig/network-scripts/ifcfg-eth0:5');
    expect(byName(suite, 'GUESTOS.Platform')?.['system-out']).toContain('value: Linux');
    const pass = byName(suite, 'GUESTOS.Virtio');
    expect(pass?.failure ?? pass?.error ?? pass?.skipped ?? pass?.['system-out']).toBeUndefined();
  });

  it('lists backend, format and image tags as suite properties', () => {
    const suite = parse(renderJunit(ubuntuReport)).testsuites.testsuite[0];
    const props = Object.fromEntries(
      suite?.properties.property.map((p) => [p['@_name'], p['@_value']]) ?? [],
    );
    expect(props).toMatchObject({
      backend: 'native',
      format: 'qcow2',
      'tag:acs:ecs:image:osVersion': 'Ubuntu 22.04',
      'tag:acs:ecs:image:kernelVersion': '5.15.0-105-generic',
    });
  });

  it('turns an image that could not be opened into an error testcase', () => {
    const suite = parse(renderJunit(brokenReport)).testsuites.testsuite[0];
    expect(suite?.['@_errors']).toBe('1');
    expect(byName(suite, 'open')?.error?.['@_type']).toBe('vmdk/bad-magic');
  });

  it('escapes hostile strings: markup, ]]>, quotes, newlines and control characters', () => {
    const xml = renderJunit(hostileReport());
    expect(
      charsIn(
        xml,
        (cp) =>
          (cp < 0x20 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0d) ||
          (cp >= 0x7f && cp <= 0x9f) ||
          cp === 0xfffe ||
          (cp >= 0xd800 && cp <= 0xdfff),
      ),
    ).toEqual([]);
    expect(xml).not.toContain(']]>');
    const doc = parse(xml);
    const suite = doc.testsuites.testsuite[0];
    expect(suite?.['@_name']).toContain('a<b & c>d "q" \'s\' ]]>');
    const fail = byName(suite, 'GUESTOS.Fstab')?.failure;
    // Attribute values keep their newline through attribute-value normalisation.
    expect(fail?.['@_message']).toContain('line\nbreak');
    expect(fail?.['@_message']).toContain('\\x00\\x01\\x1b[31mred');
    expect(fail?.['#text']).toContain('a<b & c>d');
    expect(byName(suite, 'GUESTOS.Selinux')?.skipped?.['@_message']).toContain('waived: a<b & c>d');
    expect(byName(suite, 'GUESTOS.Grub')?.error?.['@_message']).toContain(']]>');
    expect(byName(suite, 'GUESTOS.Dhcp')?.['system-out']).toContain('\\x7f\\x9b2J');
  });

  it('escapes each XML-special character exactly once', () => {
    expect(text('<a & b>')).toBe('&lt;a &amp; b&gt;');
    expect(text('x]]>y')).toBe('x]]&gt;y');
    expect(attr('"\t\n\r')).toBe('&quot;&#9;&#10;&#13;');
    expect(text('\u0000\u001f\ufffe\ud800')).toBe('\\x00\\x1f\\u{fffe}\\u{d800}');
    expect(text('é😀\u2028')).toBe('é😀\u2028');
  });
});
