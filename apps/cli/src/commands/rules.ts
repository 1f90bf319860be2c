import type { LoadedPack, LoadedRule } from '@imagecheck/sdk';
import { UsageError } from '@imagecheck/sdk';
import { table } from '../format.js';
import type { CliIo } from '../io.js';
import { EXIT } from '../io.js';
import { loadPacks, requirePacks } from '../packs.js';
import { loadDefaultPlugins } from '../plugins.js';

async function packsFor(io: CliIo, packDirs: string[] | undefined): Promise<LoadedPack[]> {
  const packs = await loadPacks(await loadDefaultPlugins(), packDirs ?? [], io.cwd);
  requirePacks(packs);
  return packs;
}

function summary(rule: LoadedRule) {
  return {
    id: rule.id,
    pack: rule.pack,
    title: rule.title,
    kind: rule.kind,
    riskLevel: rule.riskLevel,
    tags: rule.tags,
    description: rule.description,
    file: rule.file,
  };
}

export async function runRulesList(io: CliIo, opts: { pack?: string[]; json?: boolean }): Promise<number> {
  const packs = await packsFor(io, opts.pack);
  const rules = packs.flatMap((p) => p.rules);
  if (opts.json) {
    io.stdout(`${JSON.stringify(rules.map(summary), null, 2)}\n`);
  } else {
    io.stdout(
      `${table([['ID', 'RISK', 'KIND', 'PACK', 'TITLE'], ...rules.map((r) => [r.id, r.riskLevel, r.kind, r.pack, r.title])])}\n`,
    );
  }
  return EXIT.ok;
}

export async function runRulesShow(io: CliIo, id: string, opts: { pack?: string[] }): Promise<number> {
  const packs = await packsFor(io, opts.pack);
  const rule = packs.flatMap((p) => p.rules).find((r) => r.id === id || `${r.pack}/${r.id}` === id);
  if (rule === undefined) {
    throw new UsageError(
      'cli/unknown-rule',
      `no rule ${id} in the loaded packs (see \`imagecheck rules list\`)`,
      { data: { id } },
    );
  }
  const src = rule.source as {
    remediation?: { text?: unknown };
    references?: { title?: string; url: string }[];
    paramsSchema?: unknown;
  };
  const lines = [
    `${rule.id}  (${rule.pack})`,
    rule.title,
    '',
    `risk level: ${rule.riskLevel}    kind: ${rule.kind}    tags: ${rule.tags.join(', ') || '-'}`,
    `facts: ${rule.facts.map((f) => (f.required ? f.id : `${f.id} (optional)`)).join(', ')}`,
    `file: ${rule.file}`,
    '',
    rule.description.trim(),
  ];
  if (Object.keys(rule.params).length > 0)
    lines.push('', `parameters (defaults): ${JSON.stringify(rule.params)}`);
  const text = src.remediation?.text;
  const repair = typeof text === 'string' ? text : (text as { en?: string } | undefined)?.en;
  if (repair) lines.push('', 'Repair:', repair.trim());
  if (src.references?.length) {
    lines.push('', 'References:', ...src.references.map((r) => `  ${r.title ? `${r.title}: ` : ''}${r.url}`));
  }
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
