import { describe, expect, it } from 'vitest';
import { DETECTION_ERROR_RISK_CODE, type DetectionResult, renderDetection } from './detection.js';
import { renderReport } from './render.js';
import { allReports, brokenReport, centosReport, ubuntuReport, windowsReport } from './sample-reports.js';

function items(result: DetectionResult) {
  return Object.fromEntries(result.Items.map((i) => [i.Name, i]));
}

describe('renderDetection', () => {
  it('has exactly the vendor shape: Status and Items of Name, Value, RiskCode, RiskLevel', () => {
    const out = JSON.parse(renderDetection(centosReport)) as DetectionResult;
    expect(Object.keys(out)).toEqual(['Status', 'Items']);
    expect(out.Status).toBe('Finished');
    expect(out.Items).toHaveLength(centosReport.items.length);
    for (const item of out.Items)
      expect(Object.keys(item)).toEqual(['Name', 'Value', 'RiskCode', 'RiskLevel']);
  });

  it('flags failures with the worst failing finding, and errors, and nothing else', () => {
    const byName = items(JSON.parse(renderDetection(centosReport)) as DetectionResult);
    expect(byName['GUESTOS.Fstab']).toEqual({
      Name: 'GUESTOS.Fstab',
      Value: '2 of 4 entries do not resolve',
      RiskCode: 'sourceUnresolved',
      RiskLevel: 'high',
    });
    // A failing item without findings falls back to its own name and level.
    expect(byName['GUESTOS.RtcTimeMode']).toMatchObject({
      Value: 'LOCAL',
      RiskCode: 'GUESTOS.RtcTimeMode',
      RiskLevel: 'low',
    });
    expect(byName['GUESTOS.OnlineResizeFS']).toMatchObject({
      RiskCode: DETECTION_ERROR_RISK_CODE,
      RiskLevel: 'low',
    });
    for (const name of [
      'GUESTOS.Platform',
      'GUESTOS.OSVersion',
      'GUESTOS.Dhcp',
      'GUESTOS.Selinux',
      'GUESTOS.SecurityCenterAgent',
    ]) {
      expect(byName[name]).toMatchObject({ RiskCode: '', RiskLevel: '' });
    }
    expect(byName['GUESTOS.KernelVersion']?.Value).toBe('3.10.0-1160.el7.x86_64');
  });

  it('uses the registry finding of a Windows item', () => {
    const byName = items(JSON.parse(renderDetection(windowsReport)) as DetectionResult);
    expect(byName['GUESTOS.Xen']).toMatchObject({
      RiskCode: 'xenServiceActive',
      RiskLevel: 'high',
      Value: 'xenvbd xenfilt',
    });
  });

  it('gives an array for several images and Failed for one that could not be opened', () => {
    const out = JSON.parse(renderReport(allReports, 'detection')) as DetectionResult[];
    expect(out.map((o) => o.Status)).toEqual(['Finished', 'Finished', 'Finished', 'Failed']);
    expect(out[3]?.Items).toEqual([]);
    expect(JSON.parse(renderDetection(brokenReport))).toEqual({ Status: 'Failed', Items: [] });
    const ubuntu = JSON.parse(renderDetection(ubuntuReport)) as DetectionResult;
    expect(ubuntu.Items.every((i) => i.RiskLevel === '')).toBe(true);
  });
});
