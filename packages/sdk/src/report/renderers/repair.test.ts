import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import type { Report } from '../types.js';
import { collectRepairScript } from './repair.js';
import {
  allReports,
  centosReport,
  HOSTILE,
  hostileReport,
  ubuntuReport,
  windowsReport,
} from './sample-reports.js';

describe('collectRepairScript', () => {
  it('gathers the bash scripts of failing items, headed by item and finding; waived items are left alone', () => {
    const { bash, powershell, counts } = collectRepairScript(centosReport);
    expect(powershell).toBeNull();
    expect(counts).toEqual({ bash: 2, powershell: 0 });
    expect(bash).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(bash).toContain('# GUESTOS.Fstab (high) in images/centos79.qcow2');
    expect(bash).toContain('# Run in: instance');
    expect(bash).toContain(
      '# fail high: UUID=deadbeef-0000-4000-8000-000000000001 (/data) matches no filesystem in the image',
    );
    expect(bash).toContain('#   /etc/fstab:10');
    expect(bash).toContain('# GUESTOS.RtcTimeMode (low) in images/centos79.qcow2');
    expect(bash).toContain('timedatectl set-local-rtc 0');
    expect(bash).not.toContain('SELINUX=permissive');
  });

  it('puts Windows scripts in the PowerShell script, and nothing when no item has a script', () => {
    const all = collectRepairScript(allReports);
    expect(all.counts).toEqual({ bash: 2, powershell: 1 });
    expect(all.powershell).toContain('# GUESTOS.Xen (high) in C:\\images\\win2019 gold.vhdx');
    expect(all.powershell).toContain('HKLM\\SYSTEM\\ControlSet001\\Services\\xenvbd\\Start');
    expect(all.powershell).toContain(
      'Set-ItemProperty -Path "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\$s" -Name Start -Value 4',
    );
    expect(collectRepairScript(windowsReport).bash).toBeNull();
    expect(collectRepairScript(ubuntuReport)).toEqual({
      bash: null,
      powershell: null,
      counts: { bash: 0, powershell: 0 },
    });
  });

  it('keeps image text out of the commands: every heading line is a comment', () => {
    const { bash } = collectRepairScript(hostileReport());
    const lines = (bash ?? '').split('\n');
    const body = lines.filter((l) => l !== '' && !l.startsWith('#'));
    expect(body).toEqual([
      'imagecheck_status=0',
      'imagecheck_failed() { echo "imagecheck: repair of $1 failed" >&2; imagecheck_status=1; }',
      '(',
      'true',
      ") || imagecheck_failed 'GUESTOS.Fstab'",
      'exit "$imagecheck_status"',
    ]);
    expect(bash).not.toContain('\u001b');
    expect(bash).not.toContain(HOSTILE);
  });

  describe.skipIf(!requireTools('bash'))('runs under bash', () => {
    it('runs each section on its own and exits non-zero when one fails', () => {
      const dir = mkdtempSync(join(tmpdir(), 'imagecheck-repair-'));
      try {
        const mark = join(dir, 'ran');
        const report: Report = {
          ...centosReport,
          items: centosReport.items.map((i) =>
            i.name === 'GUESTOS.Fstab'
              ? {
                  ...i,
                  repair: {
                    text: 'x',
                    script: { language: 'bash' as const, content: 'echo fstab >> "$MARK"\nexit 3' },
                  },
                }
              : i.name === 'GUESTOS.RtcTimeMode'
                ? {
                    ...i,
                    repair: {
                      text: 'y',
                      script: { language: 'bash' as const, content: 'echo rtc >> "$MARK"' },
                    },
                  }
                : i,
          ),
        };
        const script = join(dir, 'repair.sh');
        writeFileSync(script, collectRepairScript(report).bash ?? '');
        execFileSync('bash', ['-n', script]);
        const run = spawnSync('bash', [script], { env: { ...process.env, MARK: mark }, encoding: 'utf8' });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain('imagecheck: repair of GUESTOS.Fstab failed');
        expect(readFileSync(mark, 'utf8')).toBe('fstab\nrtc\n');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('is a syntactically valid bash script even with hostile findings', () => {
      const dir = mkdtempSync(join(tmpdir(), 'imagecheck-repair-'));
      try {
        const script = join(dir, 'repair.sh');
        writeFileSync(script, collectRepairScript(hostileReport()).bash ?? '');
        const run = spawnSync('bash', [script], { encoding: 'utf8' });
        expect(run.status).toBe(0);
        expect(run.stdout).toBe('');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
