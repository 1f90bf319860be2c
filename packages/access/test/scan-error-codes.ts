import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Finds the error codes the source throws, by reading it (TypeScript's parser, no type checking):
 *
 * - `new XxxError('code', ...)` with a string literal: a code, with its class;
 * - a function whose error code comes from its parameters (`pathError(code, ...)`,
 *   `` fail(`gpt/${code}`) ``) is a factory; a call of it (in the same package) with literals in
 *   those places is a code too, and a call passing its own parameters makes another factory;
 * - a code computed from anything else (`` `host/${err.code}` ``) is a dynamic site, kept with its
 *   literal prefix so that a registry pattern (`host/*`) can cover it.
 */

/** Error classes of the access package; a class declared `extends` one of them is added. */
const BASE_CLASSES = [
  'ImagecheckError',
  'FormatError',
  'UnsupportedError',
  'GuestPathError',
  'PackError',
  'UsageError',
  'InternalError',
];

export interface CodeSite {
  readonly code: string;
  readonly className: string;
  readonly file: string;
  readonly line: number;
}

export interface DynamicSite {
  /** The code's literal start (`host/`), empty when none. */
  readonly prefix: string;
  readonly className: string;
  readonly file: string;
  readonly line: number;
}

export interface ScanResult {
  /** Codes passed to an error constructor, directly or through a factory. */
  readonly codes: readonly CodeSite[];
  /** Codes set as `code:` on a result (a layout warning, an unavailable fact, a rule issue). */
  readonly reported: readonly CodeSite[];
  readonly dynamic: readonly DynamicSite[];
  readonly files: number;
}

/** A code template: literal text and parameter positions, alternating. */
type Part = { readonly text: string } | { readonly param: number };

interface Factory {
  readonly parts: readonly Part[];
  readonly className: string;
}

/** Source folders scanned: every package's, plugin's and app's `src`, tests left out. */
export function sourceFiles(repoRoot: string): string[] {
  const out: string[] = [];
  for (const group of ['packages', 'plugins', 'apps']) {
    let names: string[];
    try {
      names = readdirSync(join(repoRoot, group));
    } catch {
      continue;
    }
    for (const name of names.sort()) walk(join(repoRoot, group, name, 'src'), out);
  }
  return out;
}

function walk(dir: string, out: string[]): void {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== '__tests__') walk(p, out);
    } else if (/\.tsx?$/.test(e.name) && !/\.(test|spec)\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) {
      out.push(p);
    }
  }
}

export function scanErrorCodes(repoRoot: string): ScanResult {
  const files = sourceFiles(repoRoot).map((path) => {
    const rel = relative(repoRoot, path);
    const text = readFileSync(path, 'utf8');
    const kind = path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
    return {
      rel,
      pkg: rel.split('/').slice(0, 2).join('/'),
      sf: ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind),
    };
  });
  const known = new Set(files.map((f) => f.rel));
  const packageDirs = new Map<string, string>();
  for (const f of files) {
    if (packageDirs.has(f.pkg)) continue;
    try {
      const name = (
        JSON.parse(readFileSync(join(repoRoot, f.pkg, 'package.json'), 'utf8')) as { name: string }
      ).name;
      packageDirs.set(name, f.pkg);
    } catch {
      // A folder without a package.json has no importers by name.
    }
  }
  /** Per file: local name → where it is defined (`file:name`), for its imports; own names resolve to itself. */
  const importsOf = new Map<string, Map<string, string[]>>();
  for (const f of files) {
    const map = new Map<string, string[]>();
    for (const st of f.sf.statements) {
      if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
      const named = st.importClause?.namedBindings;
      if (!named || !ts.isNamedImports(named)) continue;
      const spec = st.moduleSpecifier.text;
      let targets: string[];
      if (spec.startsWith('.')) {
        const base = join(dirname(f.rel), spec).replace(/\.js$/, '');
        targets = [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`].filter((t) => known.has(t));
      } else {
        const dir = packageDirs.get(spec.split('/').slice(0, 2).join('/'));
        targets = dir === undefined ? [] : files.filter((g) => g.pkg === dir).map((g) => g.rel);
      }
      for (const el of named.elements) {
        const original = (el.propertyName ?? el.name).text;
        map.set(
          el.name.text,
          targets.map((t) => `${t}:${original}`),
        );
      }
    }
    importsOf.set(f.rel, map);
  }
  /** Factories a call in `file` may reach by `name`: its own, one it imports, or (through a package's index) a re-export. */
  const calleeKeys = (file: string, name: string, member: boolean): string[] => {
    if (member) return [`${file}:${name}`];
    return [`${file}:${name}`, ...(importsOf.get(file)?.get(name) ?? [])];
  };

  // Classes that extend ours, to a fixpoint (a subclass of a subclass).
  const classes = new Set(BASE_CLASSES);
  for (let grew = true; grew; ) {
    grew = false;
    for (const { sf } of files) {
      visit(sf, (node) => {
        if (!ts.isClassDeclaration(node) || !node.name || classes.has(node.name.text)) return;
        const base = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
        if (base && ts.isIdentifier(base.expression) && classes.has(base.expression.text)) {
          classes.add(node.name.text);
          grew = true;
        }
      });
    }
  }

  const codes: CodeSite[] = [];
  const dynamic: DynamicSite[] = [];
  const factories = new Map<string, Factory[]>();
  const lineOf = (sf: ts.SourceFile, node: ts.Node): number =>
    sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;

  /**
   * What a code argument can be, seen from inside its function: alternatives (a conditional, a
   * local `const` set from one), each of literal parts and parameter slots; undefined when unknown.
   */
  const partsOf = (expr: ts.Expression, params: readonly string[], depth = 0): Part[][] | undefined => {
    if (depth > 8) return undefined;
    if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return [[{ text: expr.text }]];
    if (ts.isParenthesizedExpression(expr)) return partsOf(expr.expression, params, depth + 1);
    if (ts.isConditionalExpression(expr)) {
      const a = partsOf(expr.whenTrue, params, depth + 1);
      const b = partsOf(expr.whenFalse, params, depth + 1);
      return a && b ? [...a, ...b] : undefined;
    }
    if (ts.isIdentifier(expr)) {
      const i = params.indexOf(expr.text);
      if (i >= 0) return [[{ param: i }]];
      const init = localConst(expr);
      return init === undefined ? undefined : partsOf(init, params, depth + 1);
    }
    if (ts.isTemplateExpression(expr)) {
      let out: Part[][] = [[{ text: expr.head.text }]];
      for (const span of expr.templateSpans) {
        const sub = partsOf(span.expression, params, depth + 1);
        if (sub === undefined) return undefined;
        out = out.flatMap((o) => sub.map((x) => [...o, ...x, { text: span.literal.text }]));
      }
      return out;
    }
    return undefined;
  };

  const prefixOf = (expr: ts.Node): string =>
    ts.isTemplateExpression(expr)
      ? expr.head.text
      : ts.isNoSubstitutionTemplateLiteral(expr)
        ? expr.text
        : '';

  /**
   * Records a code argument: a literal is a code; one made of the enclosing function's parameters
   * makes that function a factory (true when it did, for the fixpoint); anything else is dynamic.
   */
  const record = (
    file: { rel: string; pkg: string; sf: ts.SourceFile },
    at: ts.Node,
    parts: readonly Part[],
    className: string,
    fn: { name: string; params: string[] } | undefined,
  ): boolean => {
    if (parts.every((p) => 'text' in p)) {
      codes.push({
        code: parts.map((p) => (p as { text: string }).text).join(''),
        className,
        file: file.rel,
        line: lineOf(file.sf, at),
      });
      return false;
    }
    if (fn !== undefined) {
      // One function may build several codes (`${code}-syntax`, `${code}-unreadable`).
      const key = `${file.rel}:${fn.name}`;
      const list = factories.get(key) ?? [];
      const id = JSON.stringify(parts);
      if (list.some((f) => JSON.stringify(f.parts) === id)) return false;
      list.push({ parts, className });
      factories.set(key, list);
      return true;
    }
    dynamic.push({ prefix: literalPrefix(parts), className, file: file.rel, line: lineOf(file.sf, at) });
    return false;
  };

  // Direct constructions.
  for (const file of files) {
    visit(file.sf, (node) => {
      if (!ts.isNewExpression(node) || !ts.isIdentifier(node.expression)) return;
      const className = node.expression.text;
      if (!classes.has(className)) return;
      const arg = node.arguments?.[0];
      if (arg === undefined) return;
      const fn = enclosingFunction(node);
      const alternatives = partsOf(arg, fn?.params ?? []);
      if (alternatives === undefined) {
        dynamic.push({ prefix: prefixOf(arg), className, file: file.rel, line: lineOf(file.sf, node) });
        return;
      }
      for (const parts of alternatives) record(file, node, parts, className, fn);
    });
  }

  // Calls of factories, to a fixpoint: a call that passes its own parameters on is a new factory.
  const seenCalls = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const file of files) {
      visit(file.sf, (node) => {
        if (!ts.isCallExpression(node)) return;
        const member = ts.isPropertyAccessExpression(node.expression);
        const callee = ts.isIdentifier(node.expression)
          ? node.expression.text
          : ts.isPropertyAccessExpression(node.expression)
            ? node.expression.name.text.replace(/^#/, '')
            : undefined;
        const found =
          callee === undefined
            ? undefined
            : calleeKeys(file.rel, callee, member)
                .map((k) => factories.get(k))
                .find((x) => x !== undefined);
        if (found === undefined) return;
        for (const factory of found) {
          // Seen per factory template: a function may gain templates in a later round.
          const seenKey = `${factory.className}:${JSON.stringify(factory.parts)}:${node.pos}:${file.rel}`;
          if (seenCalls.has(seenKey)) continue;
          seenCalls.add(seenKey);
          const fn = enclosingFunction(node);
          const params = fn?.params ?? [];
          let combos: Part[][] | undefined = [[]];
          for (const p of factory.parts) {
            if ('text' in p) {
              combos = combos.map((c) => [...c, p]);
              continue;
            }
            const arg = node.arguments[p.param];
            const sub = arg === undefined ? undefined : partsOf(arg, params);
            if (sub === undefined) {
              combos = undefined;
              break;
            }
            const current: Part[][] = combos;
            combos = current.flatMap((c) => sub.map((x) => [...c, ...x]));
          }
          if (combos === undefined) {
            dynamic.push({
              prefix: literalPrefix(factory.parts),
              className: factory.className,
              file: file.rel,
              line: lineOf(file.sf, node),
            });
            continue;
          }
          for (const parts of combos)
            if (record(file, node, merge(parts), factory.className, fn)) grew = true;
        }
      });
    }
  }

  // Codes set on results rather than thrown: layout warnings, unavailable facts, rule issues.
  const reported: CodeSite[] = [];
  for (const file of files) {
    visit(file.sf, (node) => {
      if (!ts.isPropertyAssignment(node) || !ts.isIdentifier(node.name) || node.name.text !== 'code') return;
      const v = node.initializer;
      if ((ts.isStringLiteral(v) || ts.isNoSubstitutionTemplateLiteral(v)) && CODE_SHAPE.test(v.text)) {
        reported.push({ code: v.text, className: '', file: file.rel, line: lineOf(file.sf, node) });
      }
    });
  }

  return { codes, reported, dynamic, files: files.length };
}

/** What a code looks like: a namespace, a slash, a name. */
export const CODE_SHAPE = /^[a-z][a-z0-9-]*\/[A-Za-z0-9_.-]+$/;

/** Adjacent literal parts joined, so that a template filled with literals reads as one code. */
function merge(parts: readonly Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if ('text' in p && last !== undefined && 'text' in last)
      out[out.length - 1] = { text: last.text + p.text };
    else out.push(p);
  }
  return out;
}

function literalPrefix(parts: readonly Part[]): string {
  const first = parts[0];
  return first !== undefined && 'text' in first ? first.text : '';
}

function visit(node: ts.Node, f: (n: ts.Node) => void): void {
  f(node);
  node.forEachChild((c) => visit(c, f));
}

/** The nearest named function around `node` and its parameter names. */
function enclosingFunction(node: ts.Node): { name: string; params: string[] } | undefined {
  for (let cur = node.parent; cur !== undefined; cur = cur.parent) {
    if (ts.isFunctionDeclaration(cur) || ts.isMethodDeclaration(cur)) {
      const name =
        cur.name && (ts.isIdentifier(cur.name) || ts.isPrivateIdentifier(cur.name))
          ? cur.name.text
          : undefined;
      return name === undefined ? undefined : { name: name.replace(/^#/, ''), params: paramNames(cur) };
    }
    if (ts.isArrowFunction(cur) || ts.isFunctionExpression(cur)) {
      const parent = cur.parent;
      if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
        return { name: parent.name.text, params: paramNames(cur) };
      }
      if (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
        const n = parent.name;
        if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n))
          return { name: n.text.replace(/^#/, ''), params: paramNames(cur) };
      }
    }
  }
  return undefined;
}

/** The initialiser of the `const` that `id` names, declared in a block around it. */
function localConst(id: ts.Identifier): ts.Expression | undefined {
  for (let cur: ts.Node | undefined = id.parent; cur !== undefined; cur = cur.parent) {
    if (!ts.isBlock(cur) && !ts.isSourceFile(cur)) continue;
    for (const st of cur.statements) {
      if (!ts.isVariableStatement(st) || (st.declarationList.flags & ts.NodeFlags.Const) === 0) continue;
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.name.text === id.text && d.initializer !== undefined)
          return d.initializer;
      }
    }
  }
  return undefined;
}

function paramNames(fn: ts.SignatureDeclarationBase): string[] {
  return fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
}
