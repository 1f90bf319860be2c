import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PackError } from '@imagecheck/access';
import picomatch from 'picomatch';
import sdkPackage from '../../package.json' with { type: 'json' };
import { compileRule, factRefs, rememberCompiled } from './compile.js';
import { packErrorAt, schemaValidators, validateAgainst } from './schemas.js';
import { readSourceFile, type SourceFile } from './source.js';
import type { LoadedPack, LoadedRule, LoadPackOptions, PackManifest, RuleSource } from './types.js';
import { satisfiesSemverRange } from './versions.js';

/** This SDK's version, checked against a pack's `engine.sdk` range. */
export const SDK_VERSION: string = sdkPackage.version;

/** Manifest names tried in this order. */
export const PACK_MANIFEST_NAMES = ['pack.yaml', 'pack.yml', 'pack.json'] as const;
/** Facts the engine itself provides; always known. */
export const BUILTIN_FACTS: ReadonlySet<string> = new Set(['disk.layout', 'guest.os']);
/** A pack is a folder of hand-written files: bound the walk. */
export const MAX_PACK_FILES = 5000;
export const MAX_PACK_DEPTH = 8;
export const MAX_PACK_RULES = 2000;
/** Fix scripts are short; a bigger file is a mistake. */
export const MAX_FIX_BYTES = 64 * 1024;

const RULE_FILE = /\.rule\.(ya?ml|json)$/;

/**
 * Loads and checks a rule pack folder. Every problem is a `PackError` whose `data` has `file`,
 * `line` (where known), `field` (a JSON Pointer into the file) and `expected`.
 */
export async function loadPack(dir: string, options: LoadPackOptions = {}): Promise<LoadedPack> {
  const root = resolve(dir);
  const manifestName = PACK_MANIFEST_NAMES.find((n) => existsSync(join(root, n)));
  if (!manifestName) {
    throw new PackError('pack/no-manifest', `${root}: no ${PACK_MANIFEST_NAMES.join(', ')} found`, {
      data: { file: root, field: '', expected: PACK_MANIFEST_NAMES.join(' or ') },
    });
  }
  const manifestFile = join(root, manifestName);
  const { pack: validatePack } = schemaValidators();
  const src = await readSourceFile(manifestFile, 'pack/manifest');
  validateAgainst(validatePack, src, 'pack/invalid-manifest', 'pack manifest');
  const manifest = src.value as PackManifest;

  const range = manifest.engine?.sdk;
  if (range !== undefined) {
    let ok: boolean;
    try {
      ok = satisfiesSemverRange(SDK_VERSION, range);
    } catch {
      throw packErrorAt(
        src,
        'pack/invalid-manifest',
        ['engine', 'sdk'],
        `"${range}" is not a semver range`,
        'a range such as ^1.2.0',
      );
    }
    if (!ok) {
      throw packErrorAt(
        src,
        'pack/incompatible-sdk',
        ['engine', 'sdk'],
        `the pack needs @imagecheck/sdk ${range}, this is ${SDK_VERSION}`,
        `an SDK version satisfying ${range}`,
      );
    }
  }

  const declaredFacts = manifest.facts?.declare ?? [];
  const declaredIds = new Set<string>();
  declaredFacts.forEach((d, i) => {
    const id = d !== null && typeof d === 'object' ? (d as { id?: unknown }).id : undefined;
    if (typeof id !== 'string') return;
    const full = `${manifest.namespace}.${id}`;
    if (declaredIds.has(full)) {
      throw packErrorAt(
        src,
        'pack/duplicate-fact',
        ['facts', 'declare', i, 'id'],
        `declared fact "${id}" is declared twice`,
        'unique declared fact ids',
      );
    }
    declaredIds.add(full);
  });

  const files = await expandRuleGlobs(root, src, manifest.rules);
  const rules: LoadedRule[] = [];
  const byId = new Map<string, string>();
  for (const file of files) {
    const rule = await loadRuleFile(root, file, manifest, options.knownFacts, declaredIds);
    const prev = byId.get(rule.id) ?? rule.source.aliases?.map((a) => byId.get(a)).find((x) => x);
    if (prev) {
      const rsrc = await readSourceFile(file, 'pack/rule');
      throw packErrorAt(
        rsrc,
        'pack/duplicate-rule',
        ['id'],
        `rule id "${rule.id}" is already used by ${prev}`,
        'rule ids (and aliases) unique within the pack',
      );
    }
    byId.set(rule.id, file);
    for (const a of rule.source.aliases ?? []) {
      if (byId.has(a)) {
        const rsrc = await readSourceFile(file, 'pack/rule');
        throw packErrorAt(
          rsrc,
          'pack/duplicate-rule',
          ['aliases'],
          `alias "${a}" is already used by ${byId.get(a)}`,
          'rule ids (and aliases) unique within the pack',
        );
      }
      byId.set(a, file);
    }
    rules.push(rule);
  }
  return {
    dir: root,
    manifestFile,
    manifest,
    name: manifest.name,
    namespace: manifest.namespace,
    version: manifest.version,
    rules,
    declaredFacts,
  };
}

async function expandRuleGlobs(root: string, src: SourceFile, globs: readonly string[]): Promise<string[]> {
  const matchers = globs.map((g, i) => {
    const at = ['rules', i];
    if (isAbsolute(g) || g.includes('\\') || g.split('/').includes('..')) {
      throw packErrorAt(
        src,
        'pack/bad-glob',
        at,
        `glob "${g}" leaves the pack folder`,
        'a relative glob inside the pack, using "/"',
      );
    }
    try {
      return picomatch(g, { strictBrackets: true, dot: false });
    } catch (err) {
      throw packErrorAt(
        src,
        'pack/bad-glob',
        at,
        `glob "${g}" is invalid: ${(err as Error).message}`,
        'a valid glob',
      );
    }
  });
  const all = await listFiles(root);
  const seen = new Set<string>();
  const out: string[] = [];
  matchers.forEach((m, i) => {
    const hits = all.filter((f) => m(f)).sort();
    if (hits.length === 0) {
      throw packErrorAt(
        src,
        'pack/glob-matched-nothing',
        ['rules', i],
        `glob "${globs[i]}" matches no file`,
        'a glob matching at least one *.rule.yaml or *.rule.json file',
      );
    }
    for (const h of hits) {
      if (!RULE_FILE.test(h)) {
        throw packErrorAt(
          src,
          'pack/bad-rule-file-name',
          ['rules', i],
          `glob "${globs[i]}" matches "${h}", which is not a rule file`,
          'files named *.rule.yaml, *.rule.yml or *.rule.json',
        );
      }
      if (!seen.has(h)) {
        seen.add(h);
        out.push(h);
      }
    }
  });
  if (out.length > MAX_PACK_RULES) {
    throw packErrorAt(
      src,
      'pack/too-many-rules',
      ['rules'],
      `${out.length} rule files exceed ${MAX_PACK_RULES}`,
      `at most ${MAX_PACK_RULES} rules`,
    );
  }
  return out.map((f) => join(root, ...f.split('/')));
}

/** Pack-relative `/`-separated paths of the regular files under `root`, skipping dot folders and node_modules. */
async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    if (depth > MAX_PACK_DEPTH) return;
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(dir, e.name), r, depth + 1);
      else if (e.isFile()) {
        out.push(r);
        if (out.length > MAX_PACK_FILES) {
          throw new PackError('pack/too-many-files', `${root}: more than ${MAX_PACK_FILES} files`, {
            data: { file: root, expected: `at most ${MAX_PACK_FILES} files` },
          });
        }
      }
    }
  };
  await walk(root, '', 0);
  return out;
}

async function loadRuleFile(
  root: string,
  file: string,
  manifest: PackManifest,
  knownFacts: ReadonlySet<string> | undefined,
  declaredIds: ReadonlySet<string>,
): Promise<LoadedRule> {
  const { rule: validateRule } = schemaValidators();
  const src = await readSourceFile(file, 'pack/rule');
  validateAgainst(validateRule, src, 'pack/invalid-rule', 'rule');
  const source = src.value as RuleSource;

  const facts = factRefs(source);
  if (knownFacts) {
    facts.forEach((f, i) => {
      if (!knownFacts.has(f.id) && !declaredIds.has(f.id) && !BUILTIN_FACTS.has(f.id)) {
        throw packErrorAt(
          src,
          'pack/unknown-fact',
          ['facts', i],
          `no plugin or pack provides the fact "${f.id}"`,
          'a fact id a loaded plugin or this pack declares',
        );
      }
    });
  }

  let fixText: string | undefined;
  const fixFile = source.remediation?.fix?.file;
  if (fixFile !== undefined) fixText = await readFixFile(root, fixFile, src);

  const r = compileRule(source, fixText, manifest.platforms);
  if (!r.ok) {
    const first = r.issues[0];
    if (!first) throw new PackError('pack/invalid-rule', `${file}: invalid rule`, { data: { file } });
    throw packErrorAt(src, first.code, first.path, first.message, first.expected);
  }
  const rule: LoadedRule = Object.freeze({
    id: source.id,
    pack: manifest.namespace,
    file,
    title: source.title,
    description: source.description,
    kind: source.kind ?? 'check',
    riskLevel: source.riskLevel,
    tags: source.tags ?? [],
    facts,
    params: Object.freeze(r.params),
    messages: source.messages ?? {},
    source,
  });
  rememberCompiled(rule, r.compiled);
  return rule;
}

async function readFixFile(root: string, rel: string, src: SourceFile): Promise<string> {
  const at = ['remediation', 'fix', 'file'];
  if (isAbsolute(rel) || rel.split(/[/\\]/).includes('..')) {
    throw packErrorAt(
      src,
      'pack/bad-fix-file',
      at,
      `fix file "${rel}" leaves the pack folder`,
      'a path relative to the pack folder',
    );
  }
  const full = join(root, rel);
  let real: string;
  try {
    real = await realpath(full);
  } catch {
    throw packErrorAt(
      src,
      'pack/missing-fix-file',
      at,
      `fix file "${rel}" does not exist`,
      'an existing file in the pack',
    );
  }
  const realRoot = await realpath(root);
  if (!(real + sep).startsWith(realRoot + sep) || relative(realRoot, real).startsWith('..')) {
    throw packErrorAt(
      src,
      'pack/bad-fix-file',
      at,
      `fix file "${rel}" resolves outside the pack folder`,
      'a file inside the pack',
    );
  }
  const st = await lstat(real);
  if (!st.isFile() || st.size > MAX_FIX_BYTES) {
    throw packErrorAt(
      src,
      'pack/bad-fix-file',
      at,
      `fix file "${rel}" is not a regular file of at most ${MAX_FIX_BYTES} bytes`,
      `a regular file of at most ${MAX_FIX_BYTES} bytes`,
    );
  }
  return readFile(real, 'utf8');
}
