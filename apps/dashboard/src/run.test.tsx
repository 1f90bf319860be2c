import type { Report } from '@imagecheck/sdk';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { recordSampleCheck, until } from '../test/helpers.js';
import { fakeTerminal } from '../test/streams.js';
import { runDashboard } from './run.js';

describe('runDashboard', () => {
  it('checks each image with the runner, shows it, and returns the reports when the user quits', async () => {
    const rec = await recordSampleCheck();
    const term = fakeTerminal();
    const seen: string[] = [];
    const result = runDashboard({
      images: ['/a.qcow2', '/b.qcow2'],
      plan: rec.plan,
      stdin: term.stdin,
      stdout: term.stdout,
      run: async (image, hooks) => {
        seen.push(image);
        hooks.onHeader(rec.header);
        for (const e of rec.events) hooks.onProgress(e);
        return { ...rec.report, image: { ...rec.report.image, path: image } };
      },
    });
    await until(() => term.output().includes('2 images'), 'the image list');
    term.stdin.type('q');
    const { reports, complete } = await result;
    expect(seen).toEqual(['/a.qcow2', '/b.qcow2']);
    expect(complete).toBe(true);
    expect(reports.map((r) => r.image.path)).toEqual(['/a.qcow2', '/b.qcow2']);
  });

  it('q while a check runs aborts it; a runner that throws is an image that could not be checked', async () => {
    const term = fakeTerminal();
    let aborted = false;
    const result = runDashboard({
      images: ['/bad.qcow2', '/slow.qcow2'],
      stdin: term.stdin,
      stdout: term.stdout,
      run: (image, hooks) => {
        if (image === '/bad.qcow2') return Promise.reject(new Error('not a disk image'));
        return new Promise<Report>((_resolve, reject) => {
          hooks.signal.addEventListener('abort', () => {
            aborted = true;
            reject(hooks.signal.reason);
          });
        });
      },
    });
    await until(() => term.output().includes('image 2 of 2'), 'the second image running');
    term.stdin.type('q');
    const { reports, complete } = await result;
    expect(aborted).toBe(true);
    expect(complete).toBe(false);
    expect(reports).toHaveLength(1);
    expect(reports[0]?.error).toEqual({ code: 'internal', message: 'not a disk image' });
    // Built by the SDK's constructor: it names the tool and the time like every other report.
    expect(reports[0]?.tool).toEqual({ name: '@imagecheck/dashboard', version: pkg.version });
    expect(Date.parse(reports[0]?.generatedAt ?? '')).not.toBeNaN();
    expect(reports[0]?.summary.passed).toBe(false);
  });
});
