import type { Report, ReportItem } from '@imagecheck/sdk';
import { describe, expect, it } from 'vitest';
import { clean, defaultSaveName, filterItems, sortItems, wrapLines, wrapText } from './view.js';

const item = (
  name: string,
  status: ReportItem['status'],
  riskLevel: ReportItem['riskLevel'],
): ReportItem => ({
  name,
  status,
  riskLevel,
  value: '',
  message: `${name} message`,
  evidence: [],
});

describe('view helpers', () => {
  it('sorts failures first, then by risk, then by name', () => {
    const sorted = sortItems([
      item('B', 'pass', 'high'),
      item('C', 'fail', 'low'),
      item('A', 'fail', 'high'),
      item('D', 'error', 'high'),
    ]);
    expect(sorted.map((i) => i.name)).toEqual(['A', 'C', 'D', 'B']);
  });

  it('filters by text in name, value or message, and failures only', () => {
    const items = [
      item('GUESTOS.Fstab', 'fail', 'high'),
      item('GUESTOS.Grub', 'pass', 'high'),
      item('X', 'error', 'low'),
    ];
    expect(filterItems(items, { text: 'fstab', failuresOnly: false }).map((i) => i.name)).toEqual([
      'GUESTOS.Fstab',
    ]);
    expect(filterItems(items, { text: '', failuresOnly: true }).map((i) => i.name)).toEqual([
      'GUESTOS.Fstab',
      'X',
    ]);
  });

  it('escapes control characters, C1 controls and bidi overrides', () => {
    expect(clean('a\u001b[31mb\u009bc\u202ed\ne')).toBe('a\\x1b[31mb\\u{9b}c\\u{202e}d\\x0ae');
    expect(clean('a\nb', true)).toBe('a\nb');
  });

  it('reflows Markdown paragraphs to the width, keeps lists and code lines', () => {
    const text = 'one two three\nfour five\n\n- a list item\n- another\n    code  line';
    expect(wrapText(text, 12)).toEqual([
      'one two',
      'three four',
      'five',
      '',
      '- a list',
      'item',
      '- another',
      '    code',
      '    line',
    ]);
    expect(wrapText('x'.repeat(20), 8)).toEqual(['xxxxxxxx', 'xxxxxxxx', 'xxxx']);
    expect(wrapLines('  abcdefghij\n\nk', 8)).toEqual(['  abcdef', 'ghij', '', 'k']);
  });

  it('names the saved report after the image', () => {
    const r = (path: string) => ({ image: { path } }) as Report;
    expect(defaultSaveName([r('/images/centos79.qcow2')])).toBe('centos79.imagecheck.json');
    expect(defaultSaveName([r('/a.raw'), r('/b.raw')])).toBe('imagecheck-report.json');
  });
});
