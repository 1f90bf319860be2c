import { describe, expect, it } from 'vitest';
import { initialUi, type KeyContext, onKey, type UiState } from './keys.js';

const ctx: KeyContext = {
  allDone: true,
  imageCount: 1,
  itemCount: 5,
  hasSelection: true,
  page: 3,
  paneLines: 40,
  paneHeight: 10,
  defaultSaveName: 'disk.imagecheck.json',
};

function press(ui: UiState, ...keys: (string | Record<string, boolean>)[]): UiState {
  const c = { ...ctx, imageCount: ui.view === 'images' ? 2 : ctx.imageCount };
  let s = ui;
  for (const k of keys) s = typeof k === 'string' ? onKey(s, k, {}, c).ui : onKey(s, '', k, c).ui;
  return s;
}

describe('keys', () => {
  it('moves with j/k and the arrows, and stops at both ends', () => {
    const ui = initialUi(1);
    expect(press(ui, 'k').itemCursor).toBe(0);
    expect(press(ui, 'j', 'j', { downArrow: true }).itemCursor).toBe(3);
    expect(press(ui, 'j', 'j', 'j', 'j', 'j', 'j', 'j').itemCursor).toBe(4);
    expect(press(ui, { pageDown: true }).itemCursor).toBe(3);
  });

  it('opens details with Enter, the repair with r, and goes back with Esc to where it came from', () => {
    const ui = initialUi(1);
    const details = press(ui, { return: true });
    expect(details.view).toBe('details');
    expect(press(details, 'r').view).toBe('repair');
    expect(press(details, 'r', { escape: true }).view).toBe('details');
    expect(press(ui, 'r', { escape: true }).view).toBe('items');
    expect(press(details, { escape: true }).view).toBe('items');
  });

  it('scrolls the details pane within its lines', () => {
    const d = press(initialUi(1), { return: true });
    expect(press(d, 'k').scroll).toBe(0);
    expect(press(d, 'j', 'j').scroll).toBe(2);
    expect(
      press(d, { pageDown: true }, { pageDown: true }, { pageDown: true }, { pageDown: true }).scroll,
    ).toBe(30);
  });

  it('edits the filter after /, keeps it on Enter and clears it on Esc', () => {
    const typed = press(initialUi(1), '/', 'h', 'o', 's', 't');
    expect(typed.prompt).toEqual({ kind: 'filter', value: 'host' });
    expect(typed.filterText).toBe('host');
    expect(press(typed, { backspace: true }).filterText).toBe('hos');
    const kept = press(typed, { return: true });
    expect(kept.prompt).toBeUndefined();
    expect(kept.filterText).toBe('host');
    expect(press(typed, { escape: true }).filterText).toBe('');
    // In the filter, q and j are text, not commands.
    expect(onKey(press(initialUi(1), '/'), 'q', {}, ctx).effects).toEqual([]);
  });

  it('splits a chunk of characters into key presses, Enter included', () => {
    const s = onKey(initialUi(1), 'j/host\rr', {}, ctx).ui;
    expect(s.filterText).toBe('host');
    expect(s.view).toBe('repair');
  });

  it('f toggles failures only; Esc clears filters before leaving the list', () => {
    const f = press(initialUi(2), { return: true }, 'f');
    expect(f.view).toBe('items');
    expect(f.failuresOnly).toBe(true);
    const cleared = press(f, { escape: true });
    expect(cleared.failuresOnly).toBe(false);
    expect(cleared.view).toBe('items');
    expect(onKey(cleared, '', { escape: true }, { ...ctx, imageCount: 2 }).ui.view).toBe('images');
  });

  it('s asks for a file name (prefilled) and saves on Enter; q quits; nothing but q while running', () => {
    const prompt = press(initialUi(1), 's');
    expect(prompt.prompt).toEqual({ kind: 'save', value: 'disk.imagecheck.json' });
    expect(onKey(prompt, '', { return: true }, ctx).effects).toEqual([
      { kind: 'save', fileName: 'disk.imagecheck.json' },
    ]);
    expect(onKey(initialUi(1), 'q', {}, ctx).effects).toEqual([{ kind: 'quit' }]);
    const runningCtx = { ...ctx, allDone: false };
    expect(onKey(initialUi(1), 'j', {}, runningCtx).ui.itemCursor).toBe(0);
    expect(onKey(initialUi(1), 'q', {}, runningCtx).effects).toEqual([{ kind: 'quit' }]);
  });
});
