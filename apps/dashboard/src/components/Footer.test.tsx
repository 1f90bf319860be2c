import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { plain } from '../../test/helpers.js';
import { Footer } from './Footer.js';

const counts = { pass: 4, fail: 2, warn: 1, info: 0, skipped: 0, error: 1, waived: 0 };

describe('Footer', () => {
  it('counts what needs action first, the position on the right, and the keys', () => {
    const { lastFrame } = render(
      <Footer
        width={80}
        counts={counts}
        position="3/8"
        keys={[
          ['q', 'quit'],
          ['/', 'filter'],
        ]}
      />,
    );
    const lines = plain(lastFrame()).split('\n');
    expect(lines[1]).toMatch(/^✗ 2 failed {3}‼ 1 error {3}! 1 warning {3}✓ 4 passed\s+3\/8$/);
    expect(lines[2]).toBe('q quit  / filter');
  });

  it('shows the line being edited, or else the last message', () => {
    const edit = render(
      <Footer
        width={80}
        keys={[]}
        prompt={{ label: 'filter: ', value: 'fst' }}
        flash={{ text: 'x', tone: 'ok' }}
      />,
    );
    expect(plain(edit.lastFrame())).toContain('filter: fst');
    expect(plain(edit.lastFrame())).not.toContain('x\n');
    const msg = render(<Footer width={80} keys={[]} flash={{ text: 'Saved the report', tone: 'ok' }} />);
    expect(plain(msg.lastFrame())).toContain('Saved the report');
  });
});
