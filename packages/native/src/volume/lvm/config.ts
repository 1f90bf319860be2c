import { FormatError } from '@imagecheck/access';

/**
 * The LVM2 text metadata language (lvm2 lib/config/config.c; the format in `man lvm.conf`):
 *   section  := (name '=' value | name '{' section '}')*
 *   value    := "string" | number | '[' (value (',' value)*)? ']'
 * with `#` comments to the end of the line. Names may hold letters, digits and `_ . + -`.
 * The tokenizer and parser are bounded: a token budget, a nesting depth and an array length cap,
 * so crafted metadata cannot make them run away.
 */
export type LvmValue = string | number | LvmValue[] | LvmSection;
export type LvmSection = Map<string, LvmValue>;

export const MAX_CONFIG_TOKENS = 1_000_000;
export const MAX_CONFIG_DEPTH = 32;
export const MAX_CONFIG_ARRAY = 100_000;

type Token =
  | { kind: 'name'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'punct'; text: '=' | '{' | '}' | '[' | ']' | ','; at: number };

function fail(message: string, at: number): FormatError {
  return new FormatError('lvm/bad-metadata', `LVM metadata: ${message} at character ${at}`, {
    data: { offset: at },
  });
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\0') {
      i++;
      continue;
    }
    if (out.length >= MAX_CONFIG_TOKENS) {
      throw new FormatError(
        'lvm/metadata-too-large',
        `LVM metadata has more than ${MAX_CONFIG_TOKENS} tokens`,
        {
          data: { cap: MAX_CONFIG_TOKENS },
        },
      );
    }
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
      continue;
    }
    if (c === '=' || c === '{' || c === '}' || c === '[' || c === ']' || c === ',') {
      out.push({ kind: 'punct', text: c, at: i });
      i++;
      continue;
    }
    if (c === '"') {
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= n) throw fail('unterminated string', i);
        const d = text[j] as string;
        if (d === '"') break;
        if (d === '\\' && j + 1 < n) {
          s += text[j + 1];
          j += 2;
          continue;
        }
        s += d;
        j++;
      }
      out.push({ kind: 'string', text: s, at: i });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < n && /[A-Za-z0-9_.+-]/.test(text[j] as string)) j++;
    if (j === i) throw fail(`unexpected character ${JSON.stringify(c)}`, i);
    out.push({ kind: 'name', text: text.slice(i, j), at: i });
    i = j;
  }
  return out;
}

/** Parses metadata text into nested sections. Throws `FormatError('lvm/bad-metadata')` on a syntax error. */
export function parseLvmConfig(text: string): LvmSection {
  const tokens = tokenize(text);
  let p = 0;
  const peek = () => tokens[p];
  const section = (depth: number, closing: boolean): LvmSection => {
    if (depth > MAX_CONFIG_DEPTH)
      throw fail(`sections nested deeper than ${MAX_CONFIG_DEPTH}`, peek()?.at ?? text.length);
    const out: LvmSection = new Map();
    for (;;) {
      const t = peek();
      if (t === undefined) {
        if (closing) throw fail('missing "}"', text.length);
        return out;
      }
      if (t.kind === 'punct' && t.text === '}') {
        if (!closing) throw fail('unexpected "}"', t.at);
        p++;
        return out;
      }
      if (t.kind !== 'name') throw fail(`expected a name, got ${JSON.stringify(t.text)}`, t.at);
      p++;
      const op = peek();
      if (op?.kind === 'punct' && op.text === '{') {
        p++;
        out.set(t.text, section(depth + 1, true));
      } else if (op?.kind === 'punct' && op.text === '=') {
        p++;
        out.set(t.text, value());
      } else throw fail(`expected "=" or "{" after ${t.text}`, op?.at ?? text.length);
    }
  };
  const scalar = (t: Token): string | number => {
    if (t.kind === 'string') return t.text;
    if (t.kind === 'name') {
      const v = Number(t.text);
      if (!Number.isFinite(v)) throw fail(`bad number ${t.text}`, t.at);
      return v;
    }
    throw fail(`unexpected ${JSON.stringify(t.text)}`, t.at);
  };
  const value = (): LvmValue => {
    const t = peek();
    if (t === undefined) throw fail('missing value', text.length);
    p++;
    if (t.kind === 'punct' && t.text === '[') {
      const arr: LvmValue[] = [];
      for (;;) {
        const u = peek();
        if (u === undefined) throw fail('missing "]"', text.length);
        p++;
        if (u.kind === 'punct' && u.text === ']') return arr;
        if (u.kind === 'punct' && u.text === ',') continue;
        if (arr.length >= MAX_CONFIG_ARRAY) throw fail(`array longer than ${MAX_CONFIG_ARRAY}`, u.at);
        arr.push(scalar(u));
      }
    }
    return scalar(t);
  };
  return section(0, false);
}
