import { Box, Text } from 'ink';
import {
  type ImageState,
  inFlight,
  type PlannedItem,
  planFor,
  progressFraction,
  STAGES,
  stageIndex,
} from '../model.js';
import { clean } from '../view.js';
import { nameColumnWidth } from './ItemRow.js';
import { Spinner } from './Spinner.js';

/** In-flight rows shown at most; the rest are counted, so the live region stays small. */
export const MAX_IN_FLIGHT_ROWS = 8;

export interface ProgressPanelProps {
  readonly image: ImageState;
  readonly plan: readonly PlannedItem[];
  readonly width: number;
}

/** Stages with ticks, a progress bar, and a spinner per item still waiting for its facts. */
export function ProgressPanel({ image, plan, width }: ProgressPanelProps) {
  const current = stageIndex(image.stage);
  const fraction = progressFraction(image, plan);
  const barWidth = Math.max(10, Math.min(40, width - 30));
  const filled = Math.round(fraction * barWidth);
  const pending = inFlight(image, plan);
  const shown = pending.slice(0, MAX_IN_FLIGHT_ROWS);
  const factsDone = Object.keys(image.factsFinished).length;
  const nameWidth = nameColumnWidth(plan, width);
  return (
    <Box flexDirection="column" width={width} marginTop={1}>
      <Box>
        {STAGES.map((s, i) => (
          <Box key={s.stage} marginRight={2}>
            {i < current ? (
              <Text color="green">✓</Text>
            ) : i === current ? (
              <Spinner />
            ) : (
              <Text color="gray">·</Text>
            )}
            <Text color={i <= current ? undefined : 'gray'}> {s.label}</Text>
          </Box>
        ))}
      </Box>
      <Box>
        <Text color="cyan">{'█'.repeat(filled)}</Text>
        <Text color="gray">{'░'.repeat(barWidth - filled)}</Text>
        <Text> {String(Math.round(fraction * 100)).padStart(3)}%</Text>
        <Text color="gray">
          {'  '}
          {image.items.length}/{planFor(image, plan).length || '?'} items · {factsDone} facts
        </Text>
      </Box>
      {shown.map(({ item, factsDone: done }) => (
        <Box key={item.name}>
          <Box width={2} flexShrink={0}>
            <Spinner color="gray" />
          </Box>
          <Box width={nameWidth} flexShrink={0} marginRight={2}>
            <Text wrap="truncate-end">{clean(item.name)}</Text>
          </Box>
          <Text color="gray" wrap="truncate-end">
            {done < item.facts.length ? `reading facts ${done}/${item.facts.length}` : 'evaluating'}
          </Text>
        </Box>
      ))}
      {pending.length > shown.length ? (
        <Text color="gray">{`  … and ${pending.length - shown.length} more`}</Text>
      ) : null}
    </Box>
  );
}
