import { readFile, stat } from 'node:fs/promises';
import { PackError } from '@imagecheck/access';
import { type Document, isMap, isSeq, LineCounter, parseDocument } from 'yaml';

/**
 * A YAML or JSON file parsed with its node positions, so that a problem found later (by ajv, by
 * the logic checker) can be reported with the file's line. JSON is parsed by the YAML parser too
 * (JSON is YAML 1.2), which gives JSON files line numbers for free.
 */
export interface SourceFile {
  readonly file: string;
  readonly value: unknown;
  /** 1-based line of the node at `path` (or of its nearest ancestor that exists). */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** Rule, pack and config files are hand-written text; anything bigger is not one. */
export const MAX_SOURCE_BYTES = 1 << 20;
/** YAML aliases expand on conversion; cap them against "billion laughs" documents. */
const MAX_ALIAS_COUNT = 100;

export async function readSourceFile(file: string, code: string): Promise<SourceFile> {
  let text: string;
  try {
    const st = await stat(file);
    if (st.size > MAX_SOURCE_BYTES) {
      throw new PackError(
        `${code}-too-large`,
        `${file}: ${st.size} bytes exceeds the ${MAX_SOURCE_BYTES}-byte limit`,
        {
          data: { file, actual: st.size, expected: `at most ${MAX_SOURCE_BYTES} bytes` },
        },
      );
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof PackError) throw err;
    throw new PackError(`${code}-unreadable`, `${file}: cannot read: ${(err as Error).message}`, {
      data: { file },
      cause: err,
    });
  }
  return parseSource(file, text, code);
}

export function parseSource(file: string, text: string, code: string): SourceFile {
  const lineCounter = new LineCounter();
  const doc: Document.Parsed = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line ?? lineCounter.linePos(first.pos[0]).line;
    throw new PackError(`${code}-syntax`, `${file}:${line}: ${first.message.split('\n')[0]}`, {
      data: { file, line, field: '', expected: 'valid YAML or JSON' },
    });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new PackError(`${code}-syntax`, `${file}: ${(err as Error).message}`, {
      data: { file, field: '', expected: `valid YAML with at most ${MAX_ALIAS_COUNT} alias expansions` },
    });
  }
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    let node: unknown = doc.contents;
    let best: number | undefined = rangeLine(node, lineCounter);
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg));
        if (!pair) break;
        // Point at the key: for a missing/invalid value, the key's line is where the author looks.
        best = rangeLine(pair.key, lineCounter) ?? best;
        node = pair.value;
        best = rangeLine(node, lineCounter) ?? best;
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)];
        if (item === undefined) break;
        node = item;
        best = rangeLine(node, lineCounter) ?? best;
      } else {
        break;
      }
    }
    return best;
  };
  return { file, value, lineOf };
}

function keyText(k: unknown): string | undefined {
  if (k !== null && typeof k === 'object' && 'value' in k) return String((k as { value: unknown }).value);
  return k === null || k === undefined ? undefined : String(k);
}

function rangeLine(node: unknown, lc: LineCounter): number | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as { range?: [number, number, number] }).range;
  return range ? lc.linePos(range[0]).line : undefined;
}

/** Splits an ajv instancePath (`/assertions/0/expect`) into segments, undoing JSON Pointer escapes. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function pointerOf(path: readonly (string | number)[]): string {
  return path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
