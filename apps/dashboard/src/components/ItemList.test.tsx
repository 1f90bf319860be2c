import type { ReportItem } from '@imagecheck/sdk';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { plain } from '../../test/helpers.js';
import { ItemList, windowStart } from './ItemList.js';

const items: ReportItem[] = Array.from({ length: 30 }, (_, i) => ({
  name: `ITEM.${String(i).padStart(2, '0')}`,
  status: 'pass',
  riskLevel: 'low',
  value: `v${i}`,
  message: '',
  evidence: [],
}));

describe('ItemList', () => {
  it('shows a window of rows that keeps the cursor on screen', () => {
    const { lastFrame } = render(
      <ItemList items={items} cursor={20} width={80} height={5} emptyText="none" />,
    );
    const lines = plain(lastFrame()).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines.find((l) => l.startsWith('▸'))).toContain('ITEM.20');
    expect(windowStart(0, 30, 5)).toBe(0);
    expect(windowStart(29, 30, 5)).toBe(25);
    expect(windowStart(3, 4, 5)).toBe(0);
  });

  it('says why it is empty', () => {
    const { lastFrame } = render(
      <ItemList items={[]} cursor={0} width={80} height={5} emptyText="No item matches." />,
    );
    expect(plain(lastFrame())).toContain('  No item matches.');
  });
});
