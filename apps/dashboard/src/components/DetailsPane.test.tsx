import { Box } from 'ink';
import { render } from 'ink-testing-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { plain, type RecordedCheck, recordSampleCheck } from '../../test/helpers.js';
import { detailLines, maxOffset, ScrollPane } from './DetailsPane.js';

let rec: RecordedCheck;
beforeAll(async () => {
  rec = await recordSampleCheck();
});

const failing = () => {
  const item = rec.report.items.find((i) => i.name === 'SSH.PermitRootLogin');
  if (item === undefined)
    throw new Error('the example pack no longer fails SSH.PermitRootLogin on the sample');
  return item;
};

describe('DetailsPane', () => {
  it('shows description, message, findings with file:line, the repair and its script', () => {
    const item = failing();
    const lines = detailLines(
      item,
      rec.plan.find((p) => p.name === item.name),
      { width: 96 },
    );
    const { lastFrame } = render(<Box flexDirection="column">{lines}</Box>);
    const text = plain(lastFrame());
    expect(text).toContain('✗ failed · high risk · SSH.PermitRootLogin (examples)');
    for (const section of [
      'Description',
      'Message',
      'Findings (1)',
      'Repair',
      'Script (bash, run in guest-chroot)',
    ])
      expect(text).toContain(section);
    expect(text).toContain('      /etc/ssh/sshd_config:5');
    expect(text).toContain(
      '  /etc/ssh/sshd_config line 5: PermitRootLogin yes lets root log in with a password.',
    );
  });

  it('the compact form leaves out the description and the script body', () => {
    const item = failing();
    const { lastFrame } = render(
      <Box flexDirection="column">{detailLines(item, undefined, { compact: true })}</Box>,
    );
    const text = plain(lastFrame());
    expect(text).not.toContain('Description');
    expect(text).toContain('(bash script: press r)');
  });

  it('scrolls: a window of lines from the offset', () => {
    const lines = detailLines(
      failing(),
      rec.plan.find((p) => p.name === 'SSH.PermitRootLogin'),
    );
    const { lastFrame } = render(<ScrollPane lines={lines} offset={2} height={3} width={80} />);
    expect(plain(lastFrame()).split('\n')).toHaveLength(3);
    expect(maxOffset(lines.length, 3)).toBe(lines.length - 3);
    expect(maxOffset(2, 10)).toBe(0);
  });
});
