import { FormatError } from '@imagecheck/sdk';

/**
 * A tokenizer and parser for the part of GRUB 2's script language that grub.cfg files written by
 * grub-mkconfig, distribution stubs and people use (GRUB manual §6.3 "Writing full configuration
 * files directly", §16 "Shell-like scripting"): words with `'…'`, `"…"`, `\` quoting and `$var` /
 * `${var}` expansion (kept unexpanded here), commands separated by newlines or `;`, `if/elif/else/fi`,
 * `menuentry`/`submenu` and `function` bodies in braces. `while`/`for` loops are parsed and skipped.
 */

/** Caps: a grub.cfg is a few hundred lines; these keep a hostile one bounded. */
export const MAX_GRUB_TOKENS = 200_000;
export const MAX_GRUB_NESTING = 32;

/** One part of a word: text from single quotes is literal; other text is expanded when run. */
export interface WordPart {
  readonly text: string;
  readonly literal: boolean;
}
export type Word = readonly WordPart[];

export interface Command {
  readonly kind: 'command';
  readonly words: readonly Word[];
  readonly line: number;
}
export interface IfNode {
  readonly kind: 'if';
  readonly branches: readonly { readonly cond: readonly Node[]; readonly body: readonly Node[] }[];
  readonly otherwise: readonly Node[];
  readonly line: number;
}
export interface BlockNode {
  readonly kind: 'menuentry' | 'submenu' | 'function' | 'loop';
  /** Words before the `{` (for a menuentry: the title and options). */
  readonly words: readonly Word[];
  readonly body: readonly Node[];
  readonly line: number;
}
export type Node = Command | IfNode | BlockNode;

/** Literal text of a word with no expansion (for keywords). */
export function rawWord(w: Word): string {
  return w.map((p) => p.text).join('');
}

function tokenize(text: string): Command[] {
  const commands: Command[] = [];
  let words: Word[] = [];
  let parts: WordPart[] = [];
  let cur = '';
  let inWord = false;
  let line = 1;
  let cmdLine = 1;
  let tokens = 0;
  const flushPart = (literal: boolean): void => {
    if (cur !== '') parts.push({ text: cur, literal });
    cur = '';
  };
  const endWord = (): void => {
    flushPart(false);
    if (inWord) {
      words.push(parts);
      if (++tokens > MAX_GRUB_TOKENS) {
        throw new FormatError('grub/too-many-tokens', `grub.cfg has more than ${MAX_GRUB_TOKENS} words`, {
          data: { limit: MAX_GRUB_TOKENS },
        });
      }
    }
    parts = [];
    inWord = false;
  };
  const endCommand = (): void => {
    endWord();
    if (words.length > 0) commands.push({ kind: 'command', words, line: cmdLine });
    words = [];
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (!inWord && words.length === 0 && cur === '') cmdLine = line;
    if (c === '\n') {
      endCommand();
      line++;
      i++;
      continue;
    }
    if (c === ';') {
      endCommand();
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
      i++;
      continue;
    }
    if (c === '#' && !inWord) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    inWord = true;
    if (c === '\\') {
      const n = text[i + 1];
      if (n === '\n') line++;
      else if (n !== undefined) {
        flushPart(false);
        parts.push({ text: n, literal: true });
      }
      i += 2;
      continue;
    }
    if (c === "'") {
      flushPart(false);
      const end = text.indexOf("'", i + 1);
      const s = end < 0 ? text.slice(i + 1) : text.slice(i + 1, end);
      line += s.split('\n').length - 1;
      parts.push({ text: s, literal: true });
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    if (c === '"') {
      flushPart(false);
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$'.includes(text[j + 1] as string)) {
          // An escaped `$` stays literal: mark it so expansion leaves it alone.
          if (s !== '') parts.push({ text: s, literal: false });
          s = '';
          parts.push({ text: text[j + 1] as string, literal: true });
          j += 2;
          continue;
        }
        if (text[j] === '\n') line++;
        s += text[j];
        j++;
      }
      if (s !== '') parts.push({ text: s, literal: false });
      else if (parts.length === 0) parts.push({ text: '', literal: true });
      i = j + 1;
      continue;
    }
    if (c === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i);
      const s = end < 0 ? text.slice(i) : text.slice(i, end + 1);
      cur += s;
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    cur += c;
    i++;
  }
  endCommand();
  return commands;
}

/** Parses grub.cfg text into a tree of commands, conditionals and blocks. */
export function parseGrubScript(text: string): Node[] {
  const cmds = tokenize(text);
  // `then foo`, `else foo`, `do foo`, `{ foo`: a keyword followed by a command on the same line.
  const flat: Command[] = [];
  for (const c of cmds) {
    const first = c.words[0] ? rawWord(c.words[0]) : '';
    if (['then', 'else', 'do', '{'].includes(first) && c.words.length > 1) {
      flat.push({ kind: 'command', words: [c.words[0] as Word], line: c.line });
      flat.push({ kind: 'command', words: c.words.slice(1), line: c.line });
    } else if (
      c.words.length > 1 &&
      rawWord(c.words[c.words.length - 1] as Word) === '}' &&
      !['menuentry', 'submenu', 'function'].includes(first)
    ) {
      // `foo }` closes a block on the command's own line.
      flat.push({ kind: 'command', words: c.words.slice(0, -1), line: c.line });
      flat.push({ kind: 'command', words: [c.words[c.words.length - 1] as Word], line: c.line });
    } else flat.push(c);
  }
  let pos = 0;
  const kw = (c: Command | undefined): string => (c?.words[0] ? rawWord(c.words[0]) : '');

  function parseList(stops: readonly string[], depth: number): Node[] {
    if (depth > MAX_GRUB_NESTING) {
      throw new FormatError('grub/too-deep', `grub.cfg nests blocks deeper than ${MAX_GRUB_NESTING}`, {
        data: { limit: MAX_GRUB_NESTING, line: flat[pos]?.line },
      });
    }
    const out: Node[] = [];
    while (pos < flat.length) {
      const c = flat[pos] as Command;
      const k = kw(c);
      if (stops.includes(k)) return out;
      pos++;
      if (k === 'if') {
        const branches: { cond: Node[]; body: Node[] }[] = [];
        let cond: Node[] = [{ kind: 'command', words: c.words.slice(1), line: c.line }];
        let otherwise: Node[] = [];
        for (;;) {
          cond = [...cond, ...parseList(['then'], depth + 1)];
          pos++;
          const body = parseList(['elif', 'else', 'fi'], depth + 1);
          branches.push({ cond, body });
          const end = flat[pos];
          pos++;
          if (kw(end) === 'elif') {
            cond = [{ kind: 'command', words: (end as Command).words.slice(1), line: (end as Command).line }];
            continue;
          }
          if (kw(end) === 'else') {
            otherwise = parseList(['fi'], depth + 1);
            pos++;
          }
          break;
        }
        out.push({ kind: 'if', branches, otherwise, line: c.line });
      } else if (k === 'while' || k === 'until' || k === 'for') {
        parseList(['do'], depth + 1);
        pos++;
        const body = parseList(['done'], depth + 1);
        pos++;
        out.push({ kind: 'loop', words: c.words, body, line: c.line });
      } else if (k === 'menuentry' || k === 'submenu' || k === 'function') {
        const words = c.words.slice(1);
        const last = words[words.length - 1];
        const hasBrace = last !== undefined && rawWord(last) === '{';
        if (!hasBrace) {
          // `{` on the next line.
          if (kw(flat[pos]) === '{') pos++;
        }
        const body = parseList(['}'], depth + 1);
        pos++;
        out.push({ kind: k, words: hasBrace ? words.slice(0, -1) : words, body, line: c.line });
      } else if (k === '}' || k === 'fi' || k === 'done' || k === 'then' || k === 'do') {
        // A stray closer (an unbalanced file): ignored, as GRUB reports a syntax error and goes on.
      } else {
        out.push(c);
      }
    }
    return out;
  }
  return parseList([], 0);
}
