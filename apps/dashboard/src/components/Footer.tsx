import type { Status } from '@imagecheck/sdk';
import { Box, Text } from 'ink';
import { COUNT_ORDER, STATUS_COLOR, STATUS_GLYPH, STATUS_WORD } from '../view.js';

export type KeyHelp = readonly (readonly [key: string, what: string])[];

export interface FooterProps {
  readonly width: number;
  readonly counts?: Readonly<Record<Status, number>>;
  /** `12/30` and the filters in force, right of the counts. */
  readonly position?: string;
  readonly keys: KeyHelp;
  /** A prompt being edited (filter, save) or a short message after an action. */
  readonly prompt?: { readonly label: string; readonly value: string } | undefined;
  readonly flash?: { readonly text: string; readonly tone: 'ok' | 'error' | 'note' } | undefined;
}

/** Counts per status, then the line that is being edited or the last message, then the keys. */
export function Footer({ width, counts, position, keys, prompt, flash }: FooterProps) {
  return (
    <Box flexDirection="column" width={width}>
      <Text color="gray">{'─'.repeat(Math.max(0, width))}</Text>
      {counts !== undefined ? (
        <Box justifyContent="space-between" width={width}>
          <Text wrap="truncate-end">
            {COUNT_ORDER.filter((s) => counts[s] > 0).map((s) => (
              <Text key={s} color={STATUS_COLOR[s]}>
                {STATUS_GLYPH[s]} {counts[s]} {STATUS_WORD[s]}
                {'   '}
              </Text>
            ))}
          </Text>
          {position !== undefined ? <Text color="gray">{position}</Text> : null}
        </Box>
      ) : null}
      {prompt !== undefined ? (
        <Text>
          <Text color="cyan">{prompt.label}</Text>
          {prompt.value}
          <Text inverse> </Text>
        </Text>
      ) : flash !== undefined ? (
        <Text
          color={flash.tone === 'ok' ? 'green' : flash.tone === 'error' ? 'red' : 'gray'}
          wrap="truncate-end"
        >
          {flash.text}
        </Text>
      ) : null}
      <Text wrap="truncate-end">
        {keys.map(([k, what], i) => (
          <Text key={k}>
            {i > 0 ? '  ' : ''}
            <Text bold>{k}</Text>
            <Text color="gray"> {what}</Text>
          </Text>
        ))}
      </Text>
    </Box>
  );
}
