import type { ReportItem } from '@imagecheck/sdk';
import { Box, Static, Text, useApp, useInput, useWindowSize } from 'ink';
import { type ReactNode, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { type Effect, initialUi, type KeyContext, onKey, type UiState, type View } from '../keys.js';
import type { ImageState, PlannedItem } from '../model.js';
import type { DashboardStore, LogEntry } from '../store.js';
import {
  baseName,
  COUNT_ORDER,
  clean,
  countStatuses,
  filterItems,
  STATUS_COLOR,
  STATUS_GLYPH,
  sortItems,
} from '../view.js';
import { detailLines, maxOffset, ScrollPane } from './DetailsPane.js';
import { Footer, type KeyHelp } from './Footer.js';
import { Header } from './Header.js';
import { ImageList } from './ImageList.js';
import { ItemList } from './ItemList.js';
import { ItemRow, nameColumnWidth } from './ItemRow.js';
import { ProgressPanel } from './ProgressPanel.js';
import { repairLines } from './RepairPane.js';

export interface DashboardProps {
  readonly store: DashboardStore;
  readonly plan: readonly PlannedItem[];
  /** Writes the report (JSON) to a file named by the user; resolves to the path written. */
  readonly save: (fileName: string) => Promise<string>;
  readonly defaultSaveName: string;
  /** Fixed size, for tests; a real terminal's size (and its resizes) otherwise. */
  readonly size?: { readonly columns: number; readonly rows: number };
}

/** Lines outside the list and preview in the items view: header 2, gap 1, column titles 1, rule 1, footer 4. */
const ITEMS_CHROME = 9;
/** Lines the details and repair views spend outside the pane: header 2, gap 1, footer 3. */
const PANE_CHROME = 6;
/** The preview under the list keeps at least this many lines: status, message, evidence, repair. */
const MIN_PREVIEW = 6;

const HELP: Readonly<Record<View, KeyHelp>> = {
  images: [
    ['↑↓/jk', 'move'],
    ['⏎', 'open'],
    ['s', 'save'],
    ['q', 'quit'],
  ],
  items: [
    ['↑↓/jk', 'move'],
    ['⏎', 'details'],
    ['/', 'filter'],
    ['f', 'failures'],
    ['r', 'repair'],
    ['s', 'save'],
    ['esc', 'back'],
    ['q', 'quit'],
  ],
  details: [
    ['↑↓/jk', 'scroll'],
    ['r', 'repair'],
    ['s', 'save'],
    ['esc', 'back'],
    ['q', 'quit'],
  ],
  repair: [
    ['↑↓/jk', 'scroll'],
    ['s', 'save'],
    ['esc', 'back'],
    ['q', 'quit'],
  ],
};

/**
 * The dashboard. While checks run: the finished items as a log written once (`<Static>`, so they
 * never flicker) and, below it, the live progress. When every image is done: a browser one line
 * shorter than the terminal, with the image list (several images), the items with a details
 * preview of the selected one, the full details, and the repair of one item.
 */
export function Dashboard({ store, plan, save, defaultSaveName, size }: DashboardProps) {
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const terminal = useWindowSize();
  const columns = Math.max(40, (size ?? terminal).columns);
  // A frame as tall as the terminal makes Ink clear the screen and redraw everything.
  const rows = Math.max(16, (size ?? terminal).rows - 1);
  const width = columns - 1;
  const { exit } = useApp();
  const { images, log } = snapshot;
  const many = images.length > 1;
  const running = images.findIndex((i) => i.phase === 'running' || i.phase === 'waiting');
  const allDone = running < 0;

  const [ui, setUi] = useState<UiState>(() => initialUi(images.length));
  // Ink can deliver several key events before React renders again: each must see the last one's state.
  const uiRef = useRef(ui);
  const [flash, setFlash] = useState<{ text: string; tone: 'ok' | 'error' } | undefined>(undefined);

  const image: ImageState | undefined = images[Math.min(ui.imageCursor, images.length - 1)];
  const shown = useMemo(
    () => filterItems(sortItems(image?.items ?? []), { text: ui.filterText, failuresOnly: ui.failuresOnly }),
    [image, ui.filterText, ui.failuresOnly],
  );
  const cursor = Math.min(ui.itemCursor, Math.max(0, shown.length - 1));
  const selected: ReportItem | undefined = shown[cursor];
  const planned = selected !== undefined ? plan.find((p) => p.name === selected.name) : undefined;
  const paneHeight = rows - PANE_CHROME;
  const paneLines = useMemo(() => {
    if (selected === undefined) return [];
    if (ui.view === 'repair') return repairLines(selected, width);
    return detailLines(selected, planned, { compact: ui.view !== 'details', width });
  }, [selected, planned, ui.view, width]);
  const listRows = Math.max(1, Math.min(shown.length, rows - ITEMS_CHROME - MIN_PREVIEW));

  const ctx: KeyContext = {
    allDone,
    imageCount: images.length,
    itemCount: shown.length,
    hasSelection: selected !== undefined,
    page: listRows,
    paneLines: paneLines.length,
    paneHeight,
    defaultSaveName,
  };
  const run = (effects: readonly Effect[]): void => {
    for (const e of effects) {
      if (e.kind === 'quit') exit();
      else
        save(e.fileName).then(
          (path) => setFlash({ text: `Saved the report (JSON) to ${path}`, tone: 'ok' }),
          (err: unknown) => setFlash({ text: `Could not save: ${(err as Error).message}`, tone: 'error' }),
        );
    }
  };
  useInput((input, key) => {
    const { ui: next, effects } = onKey(uiRef.current, input, key, ctx);
    if (next !== uiRef.current) {
      uiRef.current = next;
      setUi(next);
      setFlash(undefined);
    }
    run(effects);
  });

  // The plan knows every name before the first item finishes, so the log's columns never shift.
  const logNameWidth = nameColumnWidth(
    plan.length > 0 ? plan : log.flatMap((e) => (e.kind === 'item' ? [e.item] : [])),
    width,
  );
  const labelWidth = Math.min(24, Math.max(...images.map((i) => [...baseName(i.path)].length)));
  const staticLog = (
    <Static items={log as LogEntry[]}>
      {(entry) =>
        entry.kind === 'item' ? (
          <ItemRow
            key={entry.key}
            item={entry.item}
            width={width}
            nameWidth={logNameWidth}
            {...(many ? { label: { text: baseName(entry.image), width: labelWidth } } : {})}
          />
        ) : (
          <ImageDoneLine key={entry.key} image={entry.image} />
        )
      }
    </Static>
  );

  if (!allDone) {
    const current = images[running] as ImageState;
    return (
      <>
        {staticLog}
        <Box flexDirection="column" width={width} marginTop={1}>
          <Header image={current} width={width} />
          {many ? (
            <Text color="gray">
              image {running + 1} of {images.length}
            </Text>
          ) : null}
          <ProgressPanel image={current} plan={plan} width={width} />
          <Footer width={width} keys={[['q', 'quit']]} />
        </Box>
      </>
    );
  }

  const promptProp =
    ui.prompt === undefined
      ? undefined
      : { label: ui.prompt.kind === 'filter' ? 'filter: ' : 'save report to: ', value: ui.prompt.value };
  let body: ReactNode;
  let footer: ReactNode;

  if (ui.view === 'images') {
    body = (
      <Box flexDirection="column">
        <Text bold>
          <Text color="cyan">imagecheck</Text> {images.length} images{' '}
          <Text color="gray">— select one to see its items</Text>
        </Text>
        <Box marginTop={1}>
          <ImageList images={images} cursor={ui.imageCursor} width={width} height={rows - 8} />
        </Box>
      </Box>
    );
    footer = (
      <Footer
        width={width}
        counts={countStatuses(images.flatMap((i) => i.items))}
        position={`${ui.imageCursor + 1}/${images.length}`}
        keys={HELP.images}
        prompt={promptProp}
        flash={flash}
      />
    );
  } else if (image?.error !== undefined) {
    body = (
      <Box flexDirection="column">
        <Header image={image} width={width} />
        <Box marginTop={1}>
          <OpenError image={image} width={width} />
        </Box>
      </Box>
    );
    const keys: KeyHelp = many
      ? [
          ['esc', 'back'],
          ['q', 'quit'],
        ]
      : [['q', 'quit']];
    footer = <Footer width={width} keys={keys} prompt={promptProp} flash={flash} />;
  } else if (ui.view === 'items' || selected === undefined) {
    const filters = [
      ui.failuresOnly ? 'failures only' : '',
      ui.filterText !== '' ? `“${clean(ui.filterText)}”` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const previewHeight = rows - ITEMS_CHROME - listRows;
    body = (
      <Box flexDirection="column">
        {image !== undefined ? <Header image={image} width={width} /> : null}
        <Box marginTop={1}>
          <ItemList
            items={shown}
            cursor={cursor}
            width={width}
            height={listRows}
            emptyText={filters !== '' ? 'No item matches the filter (esc clears it).' : 'No items.'}
          />
        </Box>
        <Text color="gray">{'─'.repeat(Math.max(0, width))}</Text>
        <ScrollPane lines={paneLines} offset={0} height={previewHeight} width={width} />
      </Box>
    );
    footer = (
      <Footer
        width={width}
        counts={countStatuses(image?.items ?? [])}
        position={`${shown.length === 0 ? 0 : cursor + 1}/${shown.length}${filters !== '' ? ` · ${filters}` : ''}`}
        keys={HELP.items}
        prompt={promptProp}
        flash={flash}
      />
    );
  } else {
    const offset = Math.min(ui.scroll, maxOffset(paneLines.length, paneHeight));
    body = (
      <Box flexDirection="column">
        {image !== undefined ? <Header image={image} width={width} /> : null}
        <Box marginTop={1}>
          <ScrollPane lines={paneLines} offset={offset} height={paneHeight} width={width} />
        </Box>
      </Box>
    );
    const more =
      paneLines.length > paneHeight
        ? `lines ${offset + 1}–${Math.min(paneLines.length, offset + paneHeight)} of ${paneLines.length}`
        : undefined;
    footer = (
      <Footer
        width={width}
        keys={HELP[ui.view]}
        prompt={promptProp}
        flash={flash ?? (more !== undefined ? { text: more, tone: 'note' } : undefined)}
      />
    );
  }

  return (
    <>
      {staticLog}
      <Box flexDirection="column" width={width} height={rows} justifyContent="space-between">
        {body}
        {footer}
      </Box>
    </>
  );
}

/** The image could not be checked at all: say so in words, with what to do. */
function OpenError({ image, width }: { readonly image: ImageState; readonly width: number }) {
  const error = image.error ?? { code: 'unknown', message: 'unknown error' };
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="magenta" paddingX={1} width={width}>
      <Text bold color="magenta">
        ‼ Could not open {clean(baseName(image.path))}
      </Text>
      <Text> </Text>
      <Text>{clean(error.message)}</Text>
      <Text> </Text>
      <Text color="gray">
        No items were checked (code {clean(error.code)}). Check the path, and that the file is a disk image
        imagecheck reads: raw, qcow2, vmdk, vhd, vhdx or vdi.
      </Text>
    </Box>
  );
}

/** The log line written when an image's check is over. */
function ImageDoneLine({ image }: { readonly image: ImageState }) {
  const counts = countStatuses(image.items);
  return (
    <Box marginBottom={1}>
      <Text>
        <Text bold>{clean(baseName(image.path))}</Text>
        {image.error !== undefined ? (
          <Text color="magenta"> ‼ could not be checked: {clean(image.error.message)}</Text>
        ) : (
          <Text>
            {COUNT_ORDER.filter((s) => counts[s] > 0).map((s) => (
              <Text key={s} color={STATUS_COLOR[s]}>
                {'  '}
                {STATUS_GLYPH[s]} {counts[s]}
              </Text>
            ))}
          </Text>
        )}
      </Text>
    </Box>
  );
}
