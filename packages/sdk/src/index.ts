// The access contract lives in its own package so that backends need not depend on the SDK; the
// SDK re-exports it for plugin and application authors. (Re-exported here, from the entry point,
// so that the bundler keeps it a static re-export.)
export * from '@imagecheck/access';
export * from './config/index.js';
export type { DeepReadonly } from './deep-readonly.js';
export * from './engine/index.js';
export * from './facts/index.js';
export * from './guest/index.js';
export * from './report/index.js';
export * from './report/renderers/index.js';
export * from './rules/index.js';
