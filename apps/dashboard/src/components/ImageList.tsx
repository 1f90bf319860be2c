import { Box, Text } from 'ink';
import type { ImageState } from '../model.js';
import {
  baseName,
  COUNT_ORDER,
  clean,
  countStatuses,
  formatBytes,
  STATUS_COLOR,
  STATUS_GLYPH,
} from '../view.js';
import { Spinner } from './Spinner.js';

export interface ImageListProps {
  readonly images: readonly ImageState[];
  readonly cursor: number;
  readonly width: number;
  readonly height: number;
}

function Verdict({ image }: { readonly image: ImageState }) {
  if (image.phase === 'running') return <Spinner />;
  if (image.phase === 'waiting') return <Text color="gray">·</Text>;
  if (image.phase === 'failed') return <Text color="magenta">‼</Text>;
  const passed = image.report?.summary.passed ?? false;
  return <Text color={passed ? 'green' : 'red'}>{passed ? '✓' : '✗'}</Text>;
}

/** One row per image: verdict, name, format and size, and its counts (or why it was not checked). */
export function ImageList({ images, cursor, width, height }: ImageListProps) {
  const nameWidth = Math.max(
    12,
    Math.min(Math.floor(width / 3), Math.max(...images.map((i) => baseName(i.path).length))),
  );
  const start = Math.max(0, Math.min(cursor - Math.floor(height / 2), images.length - height));
  return (
    <Box flexDirection="column" width={width}>
      <Box>
        <Box width={4} />
        <Box width={nameWidth} marginRight={2}>
          <Text color="gray">IMAGE</Text>
        </Box>
        <Box width={18}>
          <Text color="gray">FORMAT</Text>
        </Box>
        <Text color="gray">RESULTS</Text>
      </Box>
      {images.slice(start, start + Math.max(1, height)).map((image, i) => {
        const selected = start + i === cursor;
        const counts = countStatuses(image.items);
        const format = [
          image.header.format,
          image.header.virtualSize !== undefined ? formatBytes(image.header.virtualSize) : undefined,
        ]
          .filter(Boolean)
          .join(' ');
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: the same image may be given twice; its place is its identity.
          <Box key={`${start + i}`} width={width}>
            <Box width={2}>
              <Text color="cyan">{selected ? '▸' : ' '}</Text>
            </Box>
            <Box width={2}>
              <Verdict image={image} />
            </Box>
            <Box width={nameWidth} marginRight={2}>
              <Text bold={selected} color={selected ? 'cyan' : undefined} wrap="truncate-end">
                {clean(baseName(image.path))}
              </Text>
            </Box>
            <Box width={18}>
              <Text color="gray" wrap="truncate-end">
                {format || '—'}
              </Text>
            </Box>
            <Box flexGrow={1}>
              {image.error !== undefined ? (
                <Text color="magenta" wrap="truncate-end">
                  could not be checked: {clean(image.error.message)}
                </Text>
              ) : image.phase === 'waiting' ? (
                <Text color="gray">waiting</Text>
              ) : (
                <Text wrap="truncate-end">
                  {COUNT_ORDER.filter((s) => counts[s] > 0).map((s) => (
                    <Text key={s} color={STATUS_COLOR[s]}>
                      {STATUS_GLYPH[s]} {counts[s]}
                      {'  '}
                    </Text>
                  ))}
                </Text>
              )}
            </Box>
          </Box>
        );
      })}
    </Box>
  );
}
