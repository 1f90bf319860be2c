import { fileURLToPath } from 'node:url';
import { loadPack, selectRules } from '@imagecheck/sdk';
import { describe, expect, it } from 'vitest';
import { recordSampleCheck } from '../test/helpers.js';
import {
  applyEvent,
  failImage,
  finishImage,
  inFlight,
  initialImage,
  planFor,
  planFromRules,
  progressFraction,
  startImage,
} from './model.js';

describe('model: the state of a check, event by event (sample image, example pack)', () => {
  it('follows the stages, appends items in engine order, and ends with the report', async () => {
    const rec = await recordSampleCheck();
    let s = startImage(initialImage(rec.report.image.path));
    const stages: string[] = [];
    const fractions: number[] = [progressFraction(s, rec.plan)];
    for (const e of rec.events) {
      s = applyEvent(s, e);
      if (e.type === 'stage') stages.push(e.stage);
      fractions.push(progressFraction(s, rec.plan));
    }
    expect(stages).toEqual(['open', 'layout', 'guest', 'facts', 'rules', 'done']);
    expect(s.items.map((i) => i.name)).toEqual(rec.report.items.map((i) => i.name));
    expect(inFlight(s, rec.plan)).toEqual([]);
    // The bar never goes back.
    for (let i = 1; i < fractions.length; i++)
      expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1] ?? 0);
    s = finishImage(s, rec.report);
    expect(s.phase).toBe('done');
    expect(progressFraction(s, rec.plan)).toBe(1);
    expect(s.header.format).toBe('qcow2');
    // The Linux OS provider describes the root it found: distribution and version, not just the OS.
    expect(s.guest.os).toBe('debian 12');
  });

  it('every planned item is in flight until it finishes, with the facts it waits for', async () => {
    const rec = await recordSampleCheck();
    let s = startImage(initialImage('x'));
    expect(inFlight(s, rec.plan).map((p) => p.item.name)).toEqual(rec.plan.map((p) => p.name));
    for (const e of rec.events) {
      s = applyEvent(s, e);
      if (e.type === 'item-finish')
        expect(inFlight(s, rec.plan).map((p) => p.item.name)).not.toContain(e.item.name);
    }
  });

  it('takes the kernel and OS version from their items, and a failure to open as the error', () => {
    let s = startImage(initialImage('disk.qcow2'));
    s = applyEvent(s, {
      type: 'item-finish',
      item: {
        name: 'GUESTOS.KernelVersion',
        status: 'info',
        riskLevel: 'high',
        value: '6.1.0-18-amd64',
        message: '',
        evidence: [],
      },
    });
    s = applyEvent(s, {
      type: 'item-finish',
      item: {
        name: 'GUESTOS.OSVersion',
        status: 'info',
        riskLevel: 'low',
        value: 'Debian 12',
        message: '',
        evidence: [],
      },
    });
    expect(s.guest).toEqual({ kernel: '6.1.0-18-amd64', os: 'Debian 12' });
    const failed = failImage(s, { code: 'host/ENOENT', message: 'cannot open disk.qcow2' });
    expect(failed.phase).toBe('failed');
    expect(progressFraction(failed, [])).toBe(1);
  });
});

describe('model: the plan of an image is what is about its roots', () => {
  it('a Linux image plans no Windows item once its roots are known, and its bar still ends full', async () => {
    const rec = await recordSampleCheck();
    const windowsPack = await loadPack(fileURLToPath(new URL('../../../rules/windows', import.meta.url)));
    const windowsPlan = planFromRules(selectRules([windowsPack]));
    expect(windowsPlan.length).toBeGreaterThan(0);
    expect(windowsPlan.every((p) => p.platforms?.includes('windows'))).toBe(true);
    const plan = [...rec.plan, ...windowsPlan];

    let s = startImage(initialImage(rec.report.image.path));
    // Before the roots are known, every selected rule may run.
    expect(planFor(s, plan)).toHaveLength(plan.length);
    const fractions: number[] = [];
    for (const e of rec.events) {
      s = applyEvent(s, e);
      fractions.push(progressFraction(s, plan));
    }
    expect(s.rootOses).toEqual(['linux']);
    expect(planFor(s, plan).map((p) => p.name)).toEqual(rec.plan.map((p) => p.name));
    // No Windows row is left waiting for facts that will never be collected.
    expect(inFlight(s, plan)).toEqual([]);
    // All planned items finished: the bar is as full as it gets before the report arrives.
    expect(fractions.at(-1)).toBeCloseTo(0.99, 5);
  });
});
