import type { Report } from '@imagecheck/sdk';
import { FormatError } from '@imagecheck/sdk';
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

  it('a bug in a check is shown on its image and handed back, not swallowed; a bad image is not a bug', async () => {
    const term = fakeTerminal();
    const planted = new TypeError("Cannot read properties of undefined (reading 'slice')");
    const result = runDashboard({
      images: ['/buggy.qcow2', '/damaged.qcow2'],
      stdin: term.stdin,
      stdout: term.stdout,
      run: (image) =>
        Promise.reject(
          image === '/buggy.qcow2' ? planted : new FormatError('qcow2/bad-magic', 'not a qcow2 image'),
        ),
    });
    await until(() => term.output().includes('not a qcow2 image'), 'the second image failing');
    expect(term.output()).toContain("Cannot read properties of undefined (reading 'slice')");
    term.stdin.type('q');
    const { reports, complete, bug } = await result;
    expect(complete).toBe(true);
    expect(bug).toBe(planted);
    expect(reports.map((r) => r.error)).toEqual([
      { code: 'internal', message: "Cannot read properties of undefined (reading 'slice')" },
      { code: 'qcow2/bad-magic', message: 'not a qcow2 image' },
    ]);
  });

  it('no bug, no bug field', async () => {
    const term = fakeTerminal();
    const result = runDashboard({
      images: ['/damaged.qcow2'],
      stdin: term.stdin,
      stdout: term.stdout,
      run: () => Promise.reject(new FormatError('qcow2/bad-magic', 'not a qcow2 image')),
    });
    await until(() => term.output().includes('not a qcow2 image'), 'the image failing');
    term.stdin.type('q');
    const done = await result;
    expect(done.bug).toBeUndefined();
    expect(done.reports[0]?.error).toEqual({ code: 'qcow2/bad-magic', message: 'not a qcow2 image' });
  });
});
