import type { ReportItem } from '@imagecheck/sdk';
import { Box, Text } from 'ink';
import { ItemHeaderRow, ItemRow, nameColumnWidth } from './ItemRow.js';

export interface ItemListProps {
  readonly items: readonly ReportItem[];
  readonly cursor: number;
  readonly width: number;
  /** Rows available for items (the column header is extra). */
  readonly height: number;
  readonly emptyText: string;
}

/** The first visible row that keeps the cursor on screen, a little context below it. */
export function windowStart(cursor: number, count: number, height: number): number {
  if (count <= height) return 0;
  const start = Math.max(0, cursor - Math.floor(height / 2));
  return Math.min(start, count - height);
}

/** The results: a window of rows around the cursor, with the column titles above. */
export function ItemList({ items, cursor, width, height, emptyText }: ItemListProps) {
  const nameWidth = nameColumnWidth(items, width);
  const rows = Math.max(1, height);
  const start = windowStart(cursor, items.length, rows);
  const visible = items.slice(start, start + rows);
  return (
    <Box flexDirection="column" width={width} height={rows + 1}>
      <ItemHeaderRow width={width} nameWidth={nameWidth} />
      {items.length === 0 ? <Text color="gray">{`  ${emptyText}`}</Text> : null}
      {visible.map((item, i) => (
        <ItemRow
          key={`${item.pack ?? ''}/${item.name}`}
          item={item}
          width={width}
          nameWidth={nameWidth}
          selected={start + i === cursor}
        />
      ))}
    </Box>
  );
}
