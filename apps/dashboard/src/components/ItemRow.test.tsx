import { render } from 'ink-testing-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { plain, type RecordedCheck, recordSampleCheck } from '../../test/helpers.js';
import { ItemHeaderRow, ItemRow, nameColumnWidth } from './ItemRow.js';

let rec: RecordedCheck;
beforeAll(async () => {
  rec = await recordSampleCheck();
});

describe('ItemRow', () => {
  it('aligns status, risk, name and value in columns under their titles', () => {
    const items = rec.report.items;
    const nameWidth = nameColumnWidth(items, 90);
    const { lastFrame } = render(
      <>
        <ItemHeaderRow width={90} nameWidth={nameWidth} />
        {items.map((item, i) => (
          <ItemRow key={item.name} item={item} width={90} nameWidth={nameWidth} selected={i === 0} />
        ))}
      </>,
    );
    const lines = plain(lastFrame()).split('\n');
    const head = lines[0] ?? '';
    for (const [i, item] of items.entries()) {
      const line = lines[i + 1] ?? '';
      expect(line.indexOf(item.riskLevel)).toBe(head.indexOf('RISK'));
      expect(line.indexOf(item.name)).toBe(head.indexOf('ITEM'));
      expect(line.length).toBeLessThanOrEqual(90);
    }
    expect(lines[1]).toMatch(/^▸ /);
    expect(lines[2]).toMatch(/^ {2}/);
  });

  it('cuts a long value with an ellipsis instead of wrapping', () => {
    const item = { ...rec.report.items[0], value: 'x'.repeat(300) } as (typeof rec.report.items)[0];
    const { lastFrame } = render(<ItemRow item={item} width={60} nameWidth={20} />);
    expect(plain(lastFrame()).split('\n')).toHaveLength(1);
    expect(plain(lastFrame())).toMatch(/x…$/);
  });
});
