/**
 * Rule docs: one Markdown page per rule (`docs/<id>.md`) and an index (`docs/README.md`),
 * rendered from a pack's rule files alone, so the docs can never say something the rules do not.
 * One generator for every pack (each pack's `scripts/docs.ts` calls `updatePackDocs`); output is
 * deterministic: no dates, rules in file order.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { loadPack } from './loader.js';
import type { LoadedPack, LoadedRule, LocalizedText } from './types.js';

/** Rendered pages, by file name inside the docs folder. */
export type DocPages = Map<string, string>;

const GENERATED = (src: string): string =>
  `<!-- Generated from ${src} by scripts/docs.ts. Do not edit: change the rule file and run the script. -->\n`;

function text(t: LocalizedText | undefined): string {
  if (t === undefined) return '';
  return typeof t === 'string' ? t : (t.en ?? Object.values(t)[0] ?? '');
}

/** Escapes a value for a Markdown table cell. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').trim();
}

function json(v: unknown): string {
  return JSON.stringify(v);
}

function paramsSection(rule: LoadedRule): string[] {
  const schema = rule.source.paramsSchema as
    | { properties?: Record<string, Record<string, unknown>> }
    | undefined;
  const props = schema?.properties;
  if (!props || Object.keys(props).length === 0) return [];
  const out = [
    '## Parameters',
    '',
    "Override in a config file under this rule's id; defaults below.",
    '',
    '| name | type | default | description |',
    '|---|---|---|---|',
  ];
  for (const [name, p] of Object.entries(props)) {
    const type = p.enum
      ? (p.enum as unknown[]).map((e) => `\`${json(e)}\``).join(', ')
      : String(p.type ?? '');
    const def =
      p.default === undefined
        ? ''
        : Array.isArray(p.default) && json(p.default).length > 60
          ? 'see below'
          : `\`${json(p.default)}\``;
    out.push(`| \`${name}\` | ${cell(type)} | ${cell(def)} | ${cell(String(p.description ?? ''))} |`);
  }
  for (const [name, p] of Object.entries(props)) {
    if (Array.isArray(p.default) && json(p.default).length > 60) {
      out.push('', `Default of \`${name}\`:`, '', '```json', JSON.stringify(p.default, null, 2), '```');
    }
  }
  out.push('');
  return out;
}

function fixScript(pack: LoadedPack, rule: LoadedRule): string | undefined {
  const fix = rule.source.remediation?.fix;
  if (!fix) return undefined;
  if (fix.inline !== undefined) return fix.inline;
  if (fix.file !== undefined) {
    const p = resolve(pack.dir, fix.file);
    return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  }
  return undefined;
}

/** The Markdown page of one rule. */
export function renderRule(pack: LoadedPack, rule: LoadedRule): string {
  const s = rule.source;
  const src = relative(pack.dir, rule.file).split('\\').join('/');
  const facts = rule.facts.map((f) => `\`${f.id}\`${f.required ? '' : ' (optional)'}`).join(', ');
  const out: string[] = [
    GENERATED(src).trimEnd(),
    '',
    `# ${rule.id}`,
    '',
    `> ${s.title}`,
    '',
    '| | |',
    '|---|---|',
    `| Kind | ${rule.kind === 'info' ? 'info (reports a value; fails only as described below)' : 'check'} |`,
    `| Default risk level | ${rule.riskLevel} |`,
    ...(s.category ? [`| Category | ${s.category} |`] : []),
    ...(rule.tags.length ? [`| Tags | ${rule.tags.map((t) => `\`${t}\``).join(' ')} |`] : []),
    `| Facts | ${facts} |`,
    ...(s.value ? [`| Value | \`${cell(s.value)}\` |`] : []),
    ...(s.imageTag ? [`| Image tag | \`${s.imageTag}\` |`] : []),
    ...(s.applicability?.platforms
      ? [`| Platforms | ${s.applicability.platforms.map((p) => p.os).join(', ')} |`]
      : []),
    `| Rule file | [\`${src}\`](../${src}) (version ${s.version ?? 1}) |`,
    '',
    '## Description',
    '',
    s.description.trim(),
    '',
  ];
  if (s.rationale) out.push('## Rationale', '', s.rationale.trim(), '');
  if (s.assertions?.length) {
    out.push(
      '## What is checked',
      '',
      '| assertion | on failure | message | description |',
      '|---|---|---|---|',
    );
    for (const a of s.assertions) {
      const onFail = `${a.onFail ?? 'fail'}${a.riskLevel ? ` (${a.riskLevel})` : ''}`;
      out.push(
        `| \`${a.id}\`${a.forEach ? ' (each element)' : ''} | ${onFail} | \`${a.message}\` | ${cell(a.description ?? '')} |`,
      );
    }
    out.push('');
  }
  const messages = Object.entries(s.messages ?? {});
  if (messages.length) {
    out.push('## Messages', '', '| id | text |', '|---|---|');
    for (const [id, t] of messages) out.push(`| \`${id}\` | ${cell(text(t))} |`);
    out.push('');
  }
  out.push(...paramsSection(rule));
  if (s.remediation) {
    out.push('## Remediation', '', text(s.remediation.text).trim(), '');
    const script = fixScript(pack, rule);
    const fix = s.remediation.fix;
    if (script !== undefined && fix) {
      out.push(
        `Repair script (${fix.language}, ${fix.scope}${fix.runIn ? `, run in ${fix.runIn}` : ''}${fix.reboot ? ', reboot after' : ''}):`,
        '',
        `\`\`\`${fix.language}`,
        script.trimEnd(),
        '```',
        '',
      );
    }
  }
  if (s.references?.length) {
    out.push('## References', '');
    for (const r of s.references)
      out.push(`- [${r.title ?? r.url}](${r.url})${r.kind ? ` (${r.kind})` : ''}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The index page: every rule with its title, kind and risk level. */
export function renderIndex(pack: LoadedPack): string {
  const out = [
    GENERATED('pack.yaml and rules/').trimEnd(),
    '',
    `# ${pack.manifest.title}`,
    '',
    `\`${pack.name}\` ${pack.version}, namespace \`${pack.namespace}\`. ${pack.rules.length} rules.`,
    '',
    ...(pack.manifest.description ? [pack.manifest.description.trim(), ''] : []),
    '| rule | title | kind | risk level |',
    '|---|---|---|---|',
    ...pack.rules.map((r) => `| [${r.id}](${r.id}.md) | ${cell(r.title)} | ${r.kind} | ${r.riskLevel} |`),
  ];
  return `${out.join('\n')}\n`;
}

/** Every page of a pack's docs, by file name. */
export async function renderPackDocs(packDir: string): Promise<DocPages> {
  const pack = await loadPack(packDir);
  const pages: DocPages = new Map();
  pages.set('README.md', renderIndex(pack));
  for (const rule of pack.rules) pages.set(`${rule.id}.md`, renderRule(pack, rule));
  return pages;
}

/** Pages that differ from what is on disk: changed, missing, or stale (a page whose rule is gone). */
export function driftedPages(docsDir: string, pages: DocPages): string[] {
  const drift: string[] = [];
  for (const [name, content] of pages) {
    const p = join(docsDir, name);
    if (!existsSync(p) || readFileSync(p, 'utf8') !== content) drift.push(name);
  }
  if (existsSync(docsDir)) {
    for (const name of readdirSync(docsDir)) if (name.endsWith('.md') && !pages.has(name)) drift.push(name);
  }
  return drift.sort();
}

/** What `updatePackDocs` found and did. */
export interface PackDocsUpdate {
  readonly docsDir: string;
  readonly pages: number;
  /** Pages that differed from the rule files: written or removed, or with `check` only listed. */
  readonly drifted: readonly string[];
}

/**
 * Brings a pack's `docs/` in line with its rule files; with `check`, writes nothing and only
 * reports what differs (for CI).
 */
export async function updatePackDocs(
  packDir: string,
  options: { check?: boolean } = {},
): Promise<PackDocsUpdate> {
  const docsDir = join(packDir, 'docs');
  const pages = await renderPackDocs(packDir);
  const drifted = driftedPages(docsDir, pages);
  if (options.check !== true) {
    mkdirSync(docsDir, { recursive: true });
    for (const name of drifted) {
      const content = pages.get(name);
      if (content === undefined) rmSync(join(docsDir, name));
      else writeFileSync(join(docsDir, name), content);
    }
  }
  return { docsDir, pages: pages.size, drifted };
}

/**
 * A pack's `scripts/docs.ts` in one call: writes the pack's docs, or with `--check` in `argv`
 * writes nothing and fails (exit code 1) listing the pages that differ. Returns the exit code.
 */
export async function packDocsMain(packDir: string, argv: readonly string[]): Promise<number> {
  const check = argv.includes('--check');
  try {
    const { docsDir, pages, drifted } = await updatePackDocs(resolve(packDir), { check });
    if (check && drifted.length > 0) {
      process.stderr.write(
        `docs out of date in ${docsDir}: ${drifted.join(', ')}\nrun: node scripts/docs.ts\n`,
      );
      return 1;
    }
    if (!check)
      process.stdout.write(
        `${basename(resolve(packDir))}: ${pages} pages, ${drifted.length} written or removed\n`,
      );
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
}
