import { Box } from 'ink';
import { render } from 'ink-testing-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { plain, type RecordedCheck, recordSampleCheck } from '../../test/helpers.js';
import { repairLines } from './RepairPane.js';

let rec: RecordedCheck;
beforeAll(async () => {
  rec = await recordSampleCheck();
});

describe('RepairPane', () => {
  it('shows the repair in words and the script as the report has it', () => {
    const item = rec.report.items.find((i) => i.repair?.script !== undefined);
    if (item?.repair?.script === undefined) throw new Error('no item with a repair script');
    const { lastFrame } = render(<Box flexDirection="column">{repairLines(item)}</Box>);
    const text = plain(lastFrame());
    expect(text).toContain(`Repair of ${item.name}`);
    expect(text).toContain('#!/usr/bin/env bash');
    for (const line of item.repair.script.content.trim().split('\n').slice(0, 3))
      expect(text).toContain(line.slice(0, 40));
  });

  it('says so when an item has no repair', () => {
    const item = { ...rec.report.items[0], repair: undefined } as (typeof rec.report.items)[0];
    const { lastFrame } = render(<Box flexDirection="column">{repairLines(item)}</Box>);
    expect(plain(lastFrame())).toContain('This item has no repair suggestion.');
  });
});
