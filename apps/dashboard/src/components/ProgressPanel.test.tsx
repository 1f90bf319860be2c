import { render } from 'ink-testing-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { plain, type RecordedCheck, recordSampleCheck } from '../../test/helpers.js';
import { applyEvent, initialImage, type PlannedItem, startImage } from '../model.js';
import { MAX_IN_FLIGHT_ROWS, ProgressPanel } from './ProgressPanel.js';

let rec: RecordedCheck;
beforeAll(async () => {
  rec = await recordSampleCheck();
});

describe('ProgressPanel', () => {
  it('ticks finished stages, spins the current one, and counts items and facts', () => {
    let image = startImage(initialImage('x'));
    for (const e of rec.events) {
      image = applyEvent(image, e);
      if (e.type === 'stage' && e.stage === 'facts') break;
    }
    const { lastFrame } = render(<ProgressPanel image={image} plan={rec.plan} width={100} />);
    const text = plain(lastFrame());
    expect(text).toMatch(/✓ open {2}✓ partitions {2}✓ filesystems {2}[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] facts {2}· rules/);
    expect(text).toMatch(/[█░]{40}\s+\d+%\s+0\/3 items · 0 facts/);
  });

  it('lists at most a screenful of items in flight and counts the rest', () => {
    const plan: PlannedItem[] = Array.from({ length: MAX_IN_FLIGHT_ROWS + 5 }, (_, i) => ({
      name: `ITEM.${i}`,
      title: '',
      description: '',
      riskLevel: 'low',
      facts: ['f'],
    }));
    const { lastFrame } = render(
      <ProgressPanel image={startImage(initialImage('x'))} plan={plan} width={100} />,
    );
    const text = plain(lastFrame());
    expect(text.match(/reading facts 0\/1/g)).toHaveLength(MAX_IN_FLIGHT_ROWS);
    expect(text).toContain('  … and 5 more');
  });
});
