import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PackError } from '@imagecheck/access';
import picomatch from 'picomatch';
import { packErrorAt, schemaValidators, validateAgainst } from '../rules/schemas.js';
import { readSourceFile } from '../rules/source.js';
import type { ImagecheckConfig, ResolvedConfig } from './types.js';

/** Config file names, tried in this order in each folder. */
export const CONFIG_FILE_NAMES = [
  'imagecheck.config.json',
  'imagecheck.config.yaml',
  'imagecheck.config.yml',
] as const;
/** Folders climbed by `findConfig` before giving up (a bound, not a policy: the root comes first). */
const MAX_CONFIG_DEPTH = 64;

/**
 * Loads and validates a config file. Errors are `PackError`s with `file`, `line`, `field`,
 * `expected` (codes `config/invalid`, `config/syntax`, `config/bad-glob`).
 */
export async function loadConfig(path: string): Promise<ResolvedConfig> {
  const file = resolve(path);
  const src = await readSourceFile(file, 'config/file');
  // An empty file is an empty config.
  const doc = src.value === null || src.value === undefined ? { ...src, value: {} } : src;
  validateAgainst(schemaValidators().config, doc, 'config/invalid', 'config');
  const cfg = doc.value as ImagecheckConfig;
  const dir = dirname(file);
  const rules = Object.entries(cfg.rules ?? {});
  for (const [pattern] of rules)
    checkGlob(pattern, () =>
      packErrorAt(
        src,
        'config/bad-glob',
        ['rules', pattern],
        `"${pattern}" is not a valid glob`,
        'a rule id or glob',
      ),
    );
  for (const [i, w] of (cfg.waivers ?? []).entries()) {
    checkGlob(w.rule, () =>
      packErrorAt(
        src,
        'config/bad-glob',
        ['waivers', i, 'rule'],
        `"${w.rule}" is not a valid glob`,
        'a rule id or glob',
      ),
    );
  }
  return {
    file,
    rules,
    waivers: cfg.waivers ?? [],
    packs: (cfg.packs ?? []).map((p) => resolve(dir, p)),
    ...(cfg.failOn ? { failOn: cfg.failOn } : {}),
  };
}

/** A config from an object (the SDK used without a file); validated like a file. */
export function resolveConfig(config: ImagecheckConfig, baseDir = process.cwd()): ResolvedConfig {
  const validate = schemaValidators().config;
  if (!validate(config)) {
    const e = validate.errors?.[0];
    throw new PackError('config/invalid', `config: ${e?.instancePath || '/'} ${e?.message ?? 'invalid'}`, {
      data: { field: e?.instancePath ?? '', expected: e?.message },
    });
  }
  return {
    rules: Object.entries(config.rules ?? {}),
    waivers: config.waivers ?? [],
    packs: (config.packs ?? []).map((p) => resolve(baseDir, p)),
    ...(config.failOn ? { failOn: config.failOn } : {}),
  };
}

/** The nearest config file in `startDir` or above, or undefined. */
export function findConfig(startDir: string): string | undefined {
  let dir = resolve(startDir);
  for (let i = 0; i < MAX_CONFIG_DEPTH; i++) {
    for (const name of CONFIG_FILE_NAMES) {
      const f = join(dir, name);
      if (existsSync(f)) return f;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

function checkGlob(pattern: string, fail: () => Error): void {
  try {
    picomatch(pattern, { strictBrackets: true });
  } catch {
    throw fail();
  }
}
