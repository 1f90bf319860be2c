import type { ReportItem } from '@imagecheck/sdk';
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import { clean, wrapLines, wrapText } from '../view.js';

/**
 * The repair of one item on its own: what to do in words, then the script exactly as the report
 * has it (escaped, so a crafted value cannot reach the terminal), ready to read before running.
 */
export function repairLines(item: ReportItem, width = 80): ReactElement[] {
  const lines: ReactElement[] = [];
  let n = 0;
  const push = (el: ReactElement): void => {
    lines.push(<Box key={n++}>{el}</Box>);
  };
  push(
    <Text bold wrap="truncate-end">
      Repair of {clean(item.name)}
      {item.title !== undefined ? <Text color="gray"> — {clean(item.title)}</Text> : null}
    </Text>,
  );
  push(<Text> </Text>);
  if (item.repair === undefined) {
    push(<Text color="gray">This item has no repair suggestion.</Text>);
    return lines;
  }
  for (const l of wrapText(clean(item.repair.text, true), width)) push(<Text>{l}</Text>);
  push(<Text> </Text>);
  const script = item.repair.script;
  if (script === undefined) {
    push(<Text color="gray">No script: this repair is done by hand.</Text>);
    return lines;
  }
  push(
    <Text color="gray">
      {script.language === 'bash' ? '#!/usr/bin/env bash' : '# PowerShell'}
      {script.runIn !== undefined ? `  # run in ${clean(script.runIn)}` : ''}
    </Text>,
  );
  for (const l of wrapLines(clean(script.content.replace(/\n+$/, ''), true), width))
    push(<Text color="green">{l}</Text>);
  return lines;
}
