/**
 * The dashboard's keys as a pure function of the UI state, so every key can be tested without a
 * terminal, and a chunk of several characters (a paste, a fast typist, tmux send-keys) is applied
 * one character at a time in order.
 */

export type View = 'images' | 'items' | 'details' | 'repair';

export interface UiState {
  readonly view: View;
  readonly imageCursor: number;
  readonly itemCursor: number;
  /** First line shown in the details and repair panes. */
  readonly scroll: number;
  /** Where Esc goes from the repair view: the view `r` was pressed in. */
  readonly repairFrom: 'items' | 'details';
  readonly failuresOnly: boolean;
  readonly filterText: string;
  /** A line being edited at the bottom: the filter, or the file name to save to. */
  readonly prompt: { readonly kind: 'filter' | 'save'; readonly value: string } | undefined;
}

/** What the screen shows now, which bounds the cursors. */
export interface KeyContext {
  readonly allDone: boolean;
  readonly imageCount: number;
  readonly itemCount: number;
  readonly hasSelection: boolean;
  /** Rows of the list, for page up/down. */
  readonly page: number;
  /** Lines of the details or repair pane, and how many fit. */
  readonly paneLines: number;
  readonly paneHeight: number;
  readonly defaultSaveName: string;
}

/** The subset of Ink's `Key` the dashboard reads. */
export interface KeyFlags {
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly ctrl?: boolean;
  readonly meta?: boolean;
}

export type Effect = { readonly kind: 'quit' } | { readonly kind: 'save'; readonly fileName: string };

export function initialUi(imageCount: number): UiState {
  return {
    view: imageCount > 1 ? 'images' : 'items',
    imageCursor: 0,
    itemCursor: 0,
    scroll: 0,
    repairFrom: 'items',
    failuresOnly: false,
    filterText: '',
    prompt: undefined,
  };
}

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Applies one key press. Ink reports a chunk of plain characters as one `input`; `onInput`
 * splits it so `j/host` means j, /, h, o, s, t.
 */
export function onKey(
  ui: UiState,
  input: string,
  key: KeyFlags,
  ctx: KeyContext,
): { ui: UiState; effects: Effect[] } {
  const special =
    key.upArrow ||
    key.downArrow ||
    key.pageUp ||
    key.pageDown ||
    key.return ||
    key.escape ||
    key.backspace ||
    key.delete;
  if (!special && !key.ctrl && !key.meta && [...input].length > 1) {
    let state = ui;
    const effects: Effect[] = [];
    for (const ch of input) {
      // Enter and Backspace can arrive inside a chunk as raw bytes.
      const flags: KeyFlags =
        ch === '\r' || ch === '\n'
          ? { return: true }
          : ch === '\x7f' || ch === '\b'
            ? { backspace: true }
            : {};
      const r = onKey(state, flags.return || flags.backspace ? '' : ch, flags, ctx);
      state = r.ui;
      effects.push(...r.effects);
      if (r.effects.some((e) => e.kind === 'quit')) break;
    }
    return { ui: state, effects };
  }
  const none = (next: UiState) => ({ ui: next, effects: [] as Effect[] });

  if (ui.prompt !== undefined) {
    const p = ui.prompt;
    if (key.escape)
      return none({ ...ui, prompt: undefined, ...(p.kind === 'filter' ? { filterText: '' } : {}) });
    if (key.return) {
      if (p.kind === 'filter') return none({ ...ui, prompt: undefined });
      const name = p.value.trim();
      return name === ''
        ? none(ui)
        : { ui: { ...ui, prompt: undefined }, effects: [{ kind: 'save', fileName: name }] };
    }
    if (key.backspace || key.delete) {
      const value = [...p.value].slice(0, -1).join('');
      return none({
        ...ui,
        prompt: { ...p, value },
        ...(p.kind === 'filter' ? { filterText: value, itemCursor: 0 } : {}),
      });
    }
    if (input === '' || key.ctrl || key.meta || CONTROL.test(input)) return none(ui);
    const value = p.value + input;
    return none({
      ...ui,
      prompt: { ...p, value },
      ...(p.kind === 'filter' ? { filterText: value, itemCursor: 0 } : {}),
    });
  }

  if (input === 'q' && !key.ctrl) return { ui, effects: [{ kind: 'quit' }] };
  if (!ctx.allDone) return none(ui);
  const up = key.upArrow || input === 'k';
  const down = key.downArrow || input === 'j';
  if (input === 's') return none({ ...ui, prompt: { kind: 'save', value: ctx.defaultSaveName } });

  switch (ui.view) {
    case 'images': {
      const last = Math.max(0, ctx.imageCount - 1);
      if (up) return none({ ...ui, imageCursor: clamp(ui.imageCursor - 1, 0, last) });
      if (down) return none({ ...ui, imageCursor: clamp(ui.imageCursor + 1, 0, last) });
      if (key.return)
        return none({ ...ui, view: 'items', itemCursor: 0, filterText: '', failuresOnly: false });
      return none(ui);
    }
    case 'items': {
      const last = Math.max(0, ctx.itemCount - 1);
      const cursor = clamp(ui.itemCursor, 0, last);
      if (up) return none({ ...ui, itemCursor: clamp(cursor - 1, 0, last) });
      if (down) return none({ ...ui, itemCursor: clamp(cursor + 1, 0, last) });
      if (key.pageUp) return none({ ...ui, itemCursor: clamp(cursor - ctx.page, 0, last) });
      if (key.pageDown) return none({ ...ui, itemCursor: clamp(cursor + ctx.page, 0, last) });
      if (key.return && ctx.hasSelection)
        return none({ ...ui, itemCursor: cursor, view: 'details', scroll: 0 });
      if (input === 'r' && ctx.hasSelection)
        return none({ ...ui, itemCursor: cursor, view: 'repair', repairFrom: 'items', scroll: 0 });
      if (input === 'f') return none({ ...ui, failuresOnly: !ui.failuresOnly, itemCursor: 0 });
      if (input === '/') return none({ ...ui, prompt: { kind: 'filter', value: ui.filterText } });
      if (key.escape) {
        if (ui.filterText !== '' || ui.failuresOnly)
          return none({ ...ui, filterText: '', failuresOnly: false, itemCursor: 0 });
        if (ctx.imageCount > 1) return none({ ...ui, view: 'images' });
      }
      return none(ui);
    }
    case 'details':
    case 'repair': {
      const last = Math.max(0, ctx.paneLines - Math.max(1, ctx.paneHeight));
      if (up) return none({ ...ui, scroll: clamp(ui.scroll - 1, 0, last) });
      if (down) return none({ ...ui, scroll: clamp(ui.scroll + 1, 0, last) });
      if (key.pageUp) return none({ ...ui, scroll: clamp(ui.scroll - ctx.paneHeight, 0, last) });
      if (key.pageDown || input === ' ')
        return none({ ...ui, scroll: clamp(ui.scroll + ctx.paneHeight, 0, last) });
      if (input === 'r' && ui.view === 'details')
        return none({ ...ui, view: 'repair', repairFrom: 'details', scroll: 0 });
      if (key.escape) return none({ ...ui, view: ui.view === 'repair' ? ui.repairFrom : 'items', scroll: 0 });
      return none(ui);
    }
  }
}
