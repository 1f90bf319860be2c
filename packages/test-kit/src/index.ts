/**
 * The test kit every imagecheck package's tests and benchmarks share: finding and running the
 * system tools fixtures are built with, the one guard that skips a test without its tools (and
 * fails it under `CI=true`), the locked fixture cache, the named test kernel, tree walks, and the
 * fixture image builders. Private: only test and bench code imports it.
 */
export * from './cache.js';
export * from './fixtures/btrfs.js';
export * from './fixtures/containers.js';
export * from './fixtures/disks.js';
export * from './fixtures/ext.js';
export * from './fixtures/fat.js';
export * from './fixtures/guest.js';
export * from './fixtures/ntfs.js';
export * from './fixtures/xfs.js';
export * from './kernel.js';
export * from './tools.js';
export * from './tree.js';
