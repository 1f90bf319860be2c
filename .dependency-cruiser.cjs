// Layer rules for the workspace (DESIGN.md, "Layers"), checked by `npm run lint:deps` as part of
// `npm test`. Dependencies run one way: apps → plugins → sdk → access ← backends, with the byte
// and format packages below whoever reads bytes. Paths are relative to the repository root;
// workspace packages are imported by name and resolve through node_modules to their `dist/`,
// which is why `lint:deps` builds first (an unresolved import fails, it does not pass silently).
// scripts/lint-deps.mjs also proves on a throw-away tree that these rules reject a plugin that
// imports a backend, so a pattern that stops matching cannot pass unnoticed.
//
// .dependency-cruiser-known-violations.json lists the violations the tree had when the rules came
// in (tests reaching into packages/native/test before @imagecheck/test-kit); they are ignored so
// that nothing new is added. Shrink it as they go, and delete it when it is empty:
//   npx depcruise --config .dependency-cruiser.cjs --baseline .dependency-cruiser-known-violations.json \
//     --baseline-mode shrink-only '{packages,plugins,apps,rules}/*/{src,test,bench,scripts}'

/** Test code: tests, benchmarks and test helpers, which may import any package by name. */
const TEST_CODE = [
  '(^|/)(test|bench)/',
  '\\.(test|slow-test)\\.[cm]?tsx?$',
  '(^|/)vitest[^/]*\\.config\\.[cm]?ts$',
  // The private fixture and tool helpers for tests (`@imagecheck/test-kit`).
  '^packages/test-kit/',
];

const PACKAGE = '(?:packages|plugins|apps|rules)/[^/]+';

/**
 * Which workspace folders each folder's shipped code may import (by package name). A folder not
 * listed here may import no other workspace package until it is given a place in the layers.
 * Backends (`packages/native`, later guestfs and live) implement `@imagecheck/access` and know
 * no OS; plugins reach images only through the access contract the sdk hands them, never a
 * backend; only the apps pick a backend.
 */
const FOUNDATION = ['packages/access', 'packages/binary', 'packages/formats'];
const ALLOWED = {
  'packages/access': [],
  'packages/binary': ['packages/access'],
  'packages/formats': ['packages/access', 'packages/binary'],
  'packages/native': FOUNDATION,
  'packages/sdk': FOUNDATION,
  'plugins/[^/]+': [...FOUNDATION, 'packages/sdk', 'rules/[^/]+'],
  'rules/[^/]+': ['packages/sdk'],
  'apps/dashboard': [...FOUNDATION, 'packages/sdk', 'plugins/[^/]+'],
  'apps/cli': [...FOUNDATION, 'packages/sdk', 'packages/native', 'plugins/[^/]+', 'apps/dashboard'],
};

const layerRules = Object.entries(ALLOWED).map(([folder, allowed]) => ({
  name: `layers:${folder.replace('[^/]+', '*')}`,
  comment: `Shipped code in ${folder} may import only ${allowed.length === 0 ? 'no other workspace package' : allowed.join(', ')} (DESIGN.md, Layers).`,
  severity: 'error',
  from: { path: `^(${folder})/`, pathNot: TEST_CODE },
  to: { path: `^${PACKAGE}/`, pathNot: ['^$1/', ...allowed.map((a) => `^${a}/`)] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layers:unlisted-package',
      comment:
        'A workspace package outside the layer table imports another one: give it a place in ALLOWED in .dependency-cruiser.cjs.',
      severity: 'error',
      from: {
        path: `^(${PACKAGE})/`,
        pathNot: [...Object.keys(ALLOWED).map((f) => `^${f}/`), ...TEST_CODE],
      },
      to: { path: `^${PACKAGE}/`, pathNot: '^$1/' },
    },
    {
      name: 'no-relative-import-across-packages',
      comment:
        'Another package is imported by name, never by a relative path into its folder (its src/ or test/ is not its interface). Test helpers shared between packages live in @imagecheck/test-kit.',
      severity: 'error',
      from: { path: `^(${PACKAGE})/` },
      to: { dependencyTypes: ['local'], path: `^${PACKAGE}/`, pathNot: '^$1/' },
    },
    {
      name: 'no-deep-import-into-another-package',
      comment:
        "Another package's src/, test/, bench/ or scripts/ is not its interface: import what its package.json exports.",
      severity: 'error',
      from: { path: `^(${PACKAGE})/` },
      to: {
        path: `^${PACKAGE}/(src|test|bench|scripts)/`,
        pathNot: ['^$1/', '^packages/test-kit/'],
      },
    },
    {
      name: 'test-kit-only-in-tests',
      comment: '@imagecheck/test-kit is private test infrastructure: shipped code never imports it.',
      severity: 'error',
      from: { pathNot: TEST_CODE },
      to: { path: '^packages/test-kit/' },
    },
    {
      name: 'no-circular',
      comment:
        'Modules of a package import each other in one direction; a cycle means a layer is missing. Cycles through a type-only import are left alone: types are erased and impose no load order.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment:
        'An import that cannot be resolved cannot be checked: build the workspace first (`npm run lint:deps` does).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '/dist/'] },
    exclude: { path: ['/test/fixtures/corpus/', '/\\.fixtures-cache/', '/\\.tmp/'] },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'node', 'default'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
