import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { plain } from '../../test/helpers.js';
import { Spinner } from './Spinner.js';

describe('Spinner', () => {
  it('is one braille cell', () => {
    const { lastFrame, unmount } = render(<Spinner />);
    expect(plain(lastFrame())).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]$/);
    unmount();
  });
});
