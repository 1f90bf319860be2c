import { describe, expect, it } from 'vitest';
import { escapeControls, formatBytes, sortItems } from './common.js';
import { renderReport } from './render.js';
import {
  allReports,
  brokenReport,
  centosReport,
  charsIn,
  hostileReport,
  stripAnsi,
  ubuntuReport,
  windowsReport,
} from './sample-reports.js';
import { renderText, STATUS_GLYPHS } from './text.js';

const ESC = '\u001b';

function itemOrder(out: string): string[] {
  return [...out.matchAll(/^ {2}\S+ (GUESTOS\.\w+)/gm)].map((m) => m[1] ?? '');
}

describe('renderText', () => {
  it('heads each image with path, format, size, backend and OS', () => {
    const out = renderText(centosReport);
    const [path, facts] = out.split('\n');
    expect(path).toBe('images/centos79.qcow2');
    expect(facts).toBe('qcow2 · 20 GiB · native · CentOS Linux 7.9.2009');
  });

  it('lists failures first, by risk, then errors, warnings, waivers, info, passes, skips', () => {
    expect(itemOrder(renderText(centosReport))).toEqual([
      'GUESTOS.Fstab',
      'GUESTOS.RtcTimeMode',
      'GUESTOS.OnlineResizeFS',
      'GUESTOS.Dhcp',
      'GUESTOS.Selinux',
      'GUESTOS.Platform',
      'GUESTOS.KernelVersion',
      'GUESTOS.OSVersion',
      'GUESTOS.Virtio',
      'GUESTOS.SecurityCenterAgent',
    ]);
    expect(sortItems(centosReport.items).map((i) => i.status)).toEqual([
      'fail',
      'fail',
      'error',
      'warn',
      'waived',
      'info',
      'pass',
      'pass',
      'pass',
      'skipped',
    ]);
  });

  it('shows glyph, risk and value, the message, evidence as path:line, and a one-line fix', () => {
    const out = renderText(centosReport);
    expect(out).toMatch(/^ {2}✗ GUESTOS\.Fstab +high +2 of 4 entries do not resolve$/m);
    expect(out).toContain('\n      /etc/fstab has entries that will not mount on the instance\n');
    expect(out).toContain(
      '\n      /etc/fstab:10  UUID=deadbeef-0000-4000-8000-000000000001 /data xfs defaults 0 0\n',
    );
    expect(out).toContain('\n      /etc/fstab:11  /dev/sdb1 /backup ext4 defaults 0 2\n');
    expect(out).toContain('\n      fix: Replace device names with `UUID=` values');
    expect(out).not.toContain('Never comment out the root');
    expect(out).toMatch(/^ {2}‼ GUESTOS\.OnlineResizeFS +low$/m);
    expect(out).toMatch(/^ {2}~ GUESTOS\.Selinux +medium +enforcing$/m);
    expect(out).toContain(
      'waived: Labels are restored by our pipeline before capture (OPS-1234) (until 2027-01-31)',
    );
    expect(out).toMatch(/^ {2}✓ GUESTOS\.KernelVersion +3\.10\.0-1160\.el7\.x86_64$/m);
    expect(out).toContain('  - GUESTOS.SecurityCenterAgent\n      disabled by configuration');
    // Passes stay on one line: no message, no evidence.
    expect(out).not.toContain('virtio drivers are modules and in the initramfs');
  });

  it('ends with a summary line of counts, and tags for a passing image', () => {
    expect(renderText(centosReport).trimEnd().split('\n').pop()).toBe(
      '  ✗ not ready  2 failed · 1 error · 1 warning · 1 waived · 3 passed · 1 info · 1 skipped  (10 items)',
    );
    const ubuntu = renderText(ubuntuReport);
    expect(ubuntu).toContain(
      '  tags  acs:ecs:image:osVersion=Ubuntu 22.04  acs:ecs:image:kernelVersion=5.15.0-105-generic',
    );
    expect(ubuntu.trimEnd().split('\n').pop()).toBe('  ✓ ready  2 passed · 1 info  (3 items)');
  });

  it('verbose adds every finding with evidence, notes and the full repair text', () => {
    const out = renderText(centosReport, { verbose: true });
    expect(out).toContain(
      '      fail high UUID=deadbeef-0000-4000-8000-000000000001 (/data) matches no filesystem in the image\n',
    );
    expect(out).toContain(
      '      warn medium /dev/sdb1 is a kernel device name; on KVM the disk is vdb or nvme1n1\n',
    );
    expect(out).toContain('        Never comment out the root (`/`) entry.\n');
    expect(out).toContain('(a bash repair script is available)');
    expect(out).toContain('/boot/initramfs-3.10.0-1160.el7.x86_64.img  (virtio_blk.ko.xz present)');
    expect(out).toContain('virtio drivers are modules and in the initramfs');
  });

  it('shows registry evidence as key\\value', () => {
    expect(renderText(windowsReport)).toContain(
      '      HKLM\\SYSTEM\\ControlSet001\\Services\\xenvbd\\Start  0\n',
    );
  });

  it('says why an image could not be opened', () => {
    const out = renderText(brokenReport);
    expect(out).toContain('could not open the image: not a VMDK');
    expect(out).toContain('vmdk/bad-magic');
  });

  it('ends several images with an overall line', () => {
    const out = renderReport(allReports, 'text');
    expect(out.trimEnd().split('\n').pop()).toBe('4 images: 1 ready · 3 not ready');
    expect(out.match(/^images\/|^C:\\/gm)).toHaveLength(4);
  });

  it('has no escape codes without colour, and colours glyphs and risks with it', () => {
    for (const report of allReports) expect(renderText(report, { verbose: true })).not.toContain(ESC);
    const colored = renderText(centosReport, { color: true });
    expect(colored).toContain(`${ESC}[31m${STATUS_GLYPHS.fail}${ESC}[39m`);
    expect(colored).toContain(`${ESC}[33m${STATUS_GLYPHS.warn}${ESC}[39m`);
    expect(colored).toContain(`${ESC}[32m${STATUS_GLYPHS.pass}${ESC}[39m`);
    // Stripping the colour gives the plain output back, column for column.
    expect(stripAnsi(colored)).toBe(renderText(centosReport));
  });

  it('never passes control characters from the image to the terminal', () => {
    for (const color of [false, true]) {
      const out = renderText(hostileReport(), { verbose: true, color });
      const stripped = stripAnsi(out);
      expect(
        charsIn(
          stripped,
          (cp) => (cp < 0x20 && cp !== 0x0a) || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029,
        ),
      ).toEqual([]);
      expect(stripped).toContain('\\x1b[31mred\\x1b[0m\\x07');
      expect(stripped).toContain('line\\x0abreak');
    }
  });
});

describe('text helpers', () => {
  it('escapes controls and bidi overrides, keeping newlines only when asked', () => {
    expect(escapeControls('a\u001b[2Jb\u202ec\u009b')).toBe('a\\x1b[2Jb\\u{202e}c\\u{9b}');
    expect(escapeControls('l1\nl2\tx', true)).toBe('l1\nl2\tx');
    expect(escapeControls('l1\nl2')).toBe('l1\\x0al2');
    expect(escapeControls('Grüße 😀')).toBe('Grüße 😀');
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(21474836480)).toBe('20 GiB');
    expect(formatBytes(2361393152)).toBe('2.2 GiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});
