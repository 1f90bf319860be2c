import type { ReportItem } from '@imagecheck/sdk';
import { Box, Text } from 'ink';
import type { ReactElement } from 'react';
import type { PlannedItem } from '../model.js';
import {
  clean,
  evidenceLocation,
  RISK_COLOR,
  STATUS_COLOR,
  STATUS_GLYPH,
  STATUS_WORD,
  wrapLines,
  wrapText,
} from '../view.js';

/** Evidence entries listed per finding; the rest are counted (a forEach can yield hundreds). */
export const MAX_EVIDENCE_LINES = 12;
/** Findings listed; the engine caps them too, this keeps the pane readable. */
export const MAX_FINDING_LINES = 20;

function Section({ title }: { readonly title: string }) {
  return (
    <Text bold color="gray">
      {title}
    </Text>
  );
}

/**
 * The details of one item as lines, so the pane can scroll them: title and status, description,
 * value, message, findings with their evidence (file:line, registry key, with the excerpt seen
 * there), the waiver, the repair in words and its script.
 */
export function detailLines(
  item: ReportItem,
  planned: PlannedItem | undefined,
  options: { readonly compact?: boolean; readonly width?: number } = {},
): ReactElement[] {
  const compact = options.compact === true;
  // Every line is one terminal row (wrapped here, never by Ink), so the pane can count and scroll them.
  const width = Math.max(20, options.width ?? 80);
  const lines: ReactElement[] = [];
  let n = 0;
  const push = (el: ReactElement): void => {
    lines.push(<Box key={n++}>{el}</Box>);
  };
  const blank = (): void => push(<Text> </Text>);
  const prose = (text: string, color?: string): void => {
    for (const l of wrapText(clean(text, true), width - 2)) push(<Text color={color}>{`  ${l}`}</Text>);
  };

  push(
    <Text wrap="truncate-end">
      <Text color={STATUS_COLOR[item.status]} bold>
        {STATUS_GLYPH[item.status]} {STATUS_WORD[item.status]}
      </Text>
      <Text color="gray"> · </Text>
      <Text color={RISK_COLOR[item.riskLevel]}>{item.riskLevel} risk</Text>
      <Text color="gray"> · </Text>
      <Text bold>{clean(item.name)}</Text>
      {item.pack !== undefined ? <Text color="gray"> ({clean(item.pack)})</Text> : null}
    </Text>,
  );
  const title = item.title ?? planned?.title;
  if (title !== undefined) prose(title);
  if (planned?.description && !compact) {
    blank();
    push(<Section title="Description" />);
    prose(planned.description.trim());
  }
  if (!compact) {
    blank();
    push(<Section title="Value" />);
    push(
      <Text>
        {'  '}
        {item.value !== '' ? clean(item.value) : <Text color="gray">(none)</Text>}
      </Text>,
    );
  }
  blank();
  push(<Section title="Message" />);
  prose(item.message);

  const findings = item.findings ?? [];
  const evidence = (list: ReportItem['evidence'], indent: string): void => {
    for (const ev of list.slice(0, MAX_EVIDENCE_LINES)) {
      push(
        <Text wrap="truncate-end">
          {indent}
          <Text color="cyan">{clean(evidenceLocation(ev))}</Text>
          {ev.excerpt !== undefined ? <Text color="gray"> {clean(ev.excerpt)}</Text> : null}
          {ev.note !== undefined ? <Text color="gray"> — {clean(ev.note)}</Text> : null}
        </Text>,
      );
    }
    if (list.length > MAX_EVIDENCE_LINES)
      push(
        <Text color="gray">
          {indent}… {list.length - MAX_EVIDENCE_LINES} more
        </Text>,
      );
  };
  if (findings.length > 0) {
    blank();
    push(<Section title={`Findings (${findings.length})`} />);
    for (const f of findings.slice(0, MAX_FINDING_LINES)) {
      const [first = '', ...more] = wrapText(`${clean(f.message)} (${f.riskLevel})`, width - 4);
      push(
        <Text wrap="truncate-end">
          {'  '}
          <Text color={STATUS_COLOR[f.status]}>{STATUS_GLYPH[f.status]}</Text> {first}
        </Text>,
      );
      for (const l of more) push(<Text>{`    ${l}`}</Text>);
      evidence(f.evidence, '      ');
    }
    if (findings.length > MAX_FINDING_LINES)
      push(<Text color="gray">{`  … ${findings.length - MAX_FINDING_LINES} more findings`}</Text>);
  }
  // The item's evidence often repeats its findings'; list only what they did not show.
  const seen = new Set(findings.flatMap((f) => f.evidence.map(evidenceLocation)));
  const rest = item.evidence.filter((ev) => !seen.has(evidenceLocation(ev)));
  if (rest.length > 0) {
    blank();
    push(<Section title="Evidence" />);
    evidence(rest, '  ');
  }
  if (item.waiver !== undefined) {
    blank();
    push(<Section title="Waiver" />);
    prose(
      `${item.waiver.justification}${item.waiver.expires !== undefined ? ` (expires ${item.waiver.expires})` : ''}`,
    );
  }
  if (item.repair !== undefined) {
    blank();
    push(<Section title="Repair" />);
    prose(item.repair.text);
    const script = item.repair.script;
    if (script !== undefined && compact) {
      push(<Text color="gray">{`  (${script.language} script: press r)`}</Text>);
    } else if (script !== undefined) {
      blank();
      push(
        <Text bold color="gray">
          Script ({script.language}
          {script.runIn !== undefined ? `, run in ${clean(script.runIn)}` : ''}) — press r to show it alone
        </Text>,
      );
      for (const l of wrapLines(clean(script.content.replace(/\n+$/, ''), true), width - 2))
        push(<Text color="green">{`  ${l}`}</Text>);
    }
  }
  return lines;
}

export interface ScrollPaneProps {
  readonly lines: readonly ReactElement[];
  readonly offset: number;
  readonly height: number;
  readonly width: number;
}

/** A window of `height` lines from `offset`; the caller clamps the offset with `maxOffset`. */
export function ScrollPane({ lines, offset, height, width }: ScrollPaneProps) {
  const rows = Math.max(1, height);
  return (
    <Box flexDirection="column" width={width} height={rows} overflow="hidden">
      {lines.slice(offset, offset + rows)}
    </Box>
  );
}

export function maxOffset(lineCount: number, height: number): number {
  return Math.max(0, lineCount - Math.max(1, height));
}
