// Checks the layer rules of .dependency-cruiser.cjs on the workspace, after proving on a small
// throw-away tree that the rules reject what they are meant to reject: a rule whose path
// pattern no longer matches anything would otherwise pass forever.
//
// Usage: node scripts/lint-deps.mjs (the workspace must be built: `npm run lint:deps` does).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const config = join(root, '.dependency-cruiser.cjs');
const known = join(root, '.dependency-cruiser-known-violations.json');
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
const SOURCES = '{packages,plugins,apps,rules}/*/{src,test,bench,scripts}';

/** Runs dependency-cruiser in `cwd` and returns its JSON result. */
function cruise(cwd, args) {
  const r = spawnSync(process.execPath, [depcruise, '--config', config, '--output-type', 'json', ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.stdout.trim() === '')
    throw new Error(`dependency-cruiser printed nothing (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

function violationsByFile(result) {
  const out = new Map();
  for (const v of result.summary.violations) {
    if (v.rule.severity === 'ignore') continue;
    const rules = out.get(v.from) ?? new Set();
    rules.add(v.rule.name);
    out.set(v.from, rules);
  }
  return out;
}

/**
 * A miniature workspace laid out like the real one: each file says which rules it must break.
 * Packages resolve by name through node_modules to their dist/, as the built workspace does.
 */
function selfTest() {
  const dir = mkdtempSync(join(tmpdir(), 'imagecheck-lint-deps-'));
  try {
    const write = (path, text) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    const pkg = (folder, name) => {
      write(
        `${folder}/package.json`,
        JSON.stringify({ name, type: 'module', exports: { '.': { import: './dist/index.js' } } }),
      );
      write(`${folder}/dist/index.js`, 'export const x = 1;\n');
      write(`${folder}/src/index.ts`, 'export const x = 1;\n');
      mkdirSync(join(dir, 'node_modules/@imagecheck'), { recursive: true });
      symlinkSync(join(dir, folder), join(dir, 'node_modules', name));
    };
    pkg('packages/access', '@imagecheck/access');
    pkg('packages/native', '@imagecheck/access-native');
    pkg('packages/sdk', '@imagecheck/sdk');
    pkg('packages/test-kit', '@imagecheck/test-kit');

    const cases = {
      'plugins/demo/src/uses-native.ts': [
        "import { x } from '@imagecheck/access-native';\nexport const y = x;\n",
        ['layers:plugins/*'],
      ],
      'plugins/demo/src/reaches-in.ts': [
        "import { x } from '../../../packages/native/src/index.js';\nexport const y = x;\n",
        ['layers:plugins/*', 'no-relative-import-across-packages', 'no-deep-import-into-another-package'],
      ],
      'plugins/demo/src/uses-test-kit.ts': [
        "import { x } from '@imagecheck/test-kit';\nexport const y = x;\n",
        ['layers:plugins/*', 'test-kit-only-in-tests'],
      ],
      'plugins/demo/src/uses-sdk.ts': ["import { x } from '@imagecheck/sdk';\nexport const y = x;\n", []],
      'plugins/demo/test/opens-images.test.ts': [
        "import { x } from '@imagecheck/access-native';\nimport { x as k } from '@imagecheck/test-kit';\nexport const y = x + k;\n",
        [],
      ],
      'packages/sdk/src/uses-native.ts': [
        "import { x } from '@imagecheck/access-native';\nexport const y = x;\n",
        ['layers:packages/sdk'],
      ],
      'packages/native/src/uses-sdk.ts': [
        "import { x } from '@imagecheck/sdk';\nexport const y = x;\n",
        ['layers:packages/native'],
      ],
      // A cycle is reported once, from the module the cruise reaches first.
      'packages/native/src/a.ts': [
        "import { b } from './b.js';\nexport const a = () => b;\n",
        ['no-circular'],
      ],
      'packages/native/src/b.ts': ["import { a } from './a.js';\nexport const b = () => a;\n", []],
      'apps/demo/src/index.ts': [
        "import { x } from '@imagecheck/sdk';\nexport const y = x;\n",
        ['layers:unlisted-package'],
      ],
    };
    for (const [path, [text]] of Object.entries(cases)) write(path, text);

    const found = violationsByFile(
      cruise(dir, ['plugins', 'packages/sdk/src', 'packages/native/src', 'apps']),
    );
    const problems = [];
    for (const [path, [, expected]] of Object.entries(cases)) {
      const got = [...(found.get(path) ?? [])].sort();
      const want = [...expected].sort();
      if (got.join() !== want.join())
        problems.push(`  ${path}: expected [${want.join(', ')}], got [${got.join(', ')}]`);
    }
    if (problems.length > 0) {
      console.error(`lint:deps: the layer rules do not reject what they should:\n${problems.join('\n')}`);
      process.exit(1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

selfTest();

const args = [SOURCES];
if (existsSync(known)) args.unshift('--ignore-known', known);
const result = cruise(root, args);

// The rules only mean something if the workspace's packages were found and resolved.
const crossPackage = result.modules.some((m) =>
  m.dependencies.some(
    (d) =>
      !d.couldNotResolve &&
      /^packages\/access\//.test(d.resolved) &&
      !m.source.startsWith('packages/access/'),
  ),
);
if (result.summary.totalCruised < 100 || !crossPackage) {
  console.error(
    `lint:deps: cruised ${result.summary.totalCruised} modules and found no import of @imagecheck/access: the source globs or the resolution are wrong`,
  );
  process.exit(1);
}

const errors = result.summary.violations.filter((v) => v.rule.severity === 'error');
for (const v of errors) {
  const via = v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name ?? c).join(' → ')})` : '';
  console.error(`error ${v.rule.name}: ${v.from} → ${v.to}${via}`);
}
const comments = new Map(createRequire(import.meta.url)(config).forbidden.map((r) => [r.name, r.comment]));
for (const name of new Set(errors.map((v) => v.rule.name))) console.error(`\n${name}: ${comments.get(name)}`);
const ignored = result.summary.ignore ?? 0;
console.log(
  `lint:deps: ${result.summary.totalCruised} modules, ${result.summary.totalDependenciesCruised} dependencies, ${errors.length} violations${ignored > 0 ? `, ${ignored} known and ignored (${known.slice(root.length + 1)})` : ''}`,
);
if (errors.length > 0) process.exit(1);
