import type { ReportItem } from '@imagecheck/sdk';
import { Box, Text } from 'ink';
import { clean, RISK_COLOR, STATUS_COLOR, STATUS_GLYPH, STATUS_WORD } from '../view.js';

/** Column widths shared by the list header and every row, so columns line up. */
export const COLUMNS = { cursor: 2, status: 10, risk: 8 } as const;

export interface ItemRowProps {
  readonly item: ReportItem;
  readonly width: number;
  readonly nameWidth: number;
  readonly selected?: boolean;
  /** The image's name in a column of its own, for the run log of several images. */
  readonly label?: { readonly text: string; readonly width: number };
}

/** `▸ ✗ failed  high    GUESTOS.Fstab        2 entries do not resolve` */
export function ItemRow({ item, width, nameWidth, selected = false, label }: ItemRowProps) {
  const color = STATUS_COLOR[item.status];
  const labelWidth = label !== undefined ? label.width + 2 : 0;
  const valueWidth = Math.max(
    0,
    width - COLUMNS.cursor - COLUMNS.status - COLUMNS.risk - labelWidth - nameWidth - 2,
  );
  const value = item.value !== '' ? item.value : item.message;
  return (
    <Box width={width}>
      <Box width={COLUMNS.cursor} flexShrink={0}>
        <Text color="cyan">{selected ? '▸' : ' '}</Text>
      </Box>
      <Box width={COLUMNS.status} flexShrink={0}>
        <Text color={color}>
          {STATUS_GLYPH[item.status]} {STATUS_WORD[item.status]}
        </Text>
      </Box>
      <Box width={COLUMNS.risk} flexShrink={0}>
        <Text
          color={RISK_COLOR[item.riskLevel]}
          dimColor={item.status === 'pass' || item.status === 'skipped'}
        >
          {item.riskLevel}
        </Text>
      </Box>
      {label !== undefined ? (
        <Box width={label.width} flexShrink={0} marginRight={2}>
          <Text color="gray" wrap="truncate-end">
            {clean(label.text)}
          </Text>
        </Box>
      ) : null}
      <Box width={nameWidth} flexShrink={0} marginRight={2}>
        <Text bold={selected} color={selected ? 'cyan' : undefined} wrap="truncate-end">
          {clean(item.name)}
        </Text>
      </Box>
      <Box width={valueWidth} flexShrink={0}>
        <Text
          color={item.status === 'pass' || item.status === 'skipped' ? 'gray' : undefined}
          wrap="truncate-end"
        >
          {clean(value)}
        </Text>
      </Box>
    </Box>
  );
}

/** Column titles, aligned with `ItemRow`. */
export function ItemHeaderRow({ width, nameWidth }: { readonly width: number; readonly nameWidth: number }) {
  return (
    <Box width={width}>
      <Box width={COLUMNS.cursor} flexShrink={0} />
      <Box width={COLUMNS.status} flexShrink={0}>
        <Text color="gray">STATUS</Text>
      </Box>
      <Box width={COLUMNS.risk} flexShrink={0}>
        <Text color="gray">RISK</Text>
      </Box>
      <Box width={nameWidth} flexShrink={0} marginRight={2}>
        <Text color="gray">ITEM</Text>
      </Box>
      <Text color="gray">VALUE</Text>
    </Box>
  );
}

/** Wide enough for the longest name, within a third of the screen. */
export function nameColumnWidth(items: readonly { readonly name: string }[], width: number): number {
  const longest = items.reduce((m, i) => Math.max(m, [...i.name].length), 4);
  return Math.max(8, Math.min(longest, Math.floor(width / 3)));
}
