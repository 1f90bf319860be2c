// The access contract lives in its own package so that backends need not depend on the SDK;
// the SDK re-exports it for plugin and application authors.
export * from '@imagecheck/access';
export * from './fstypes.js';
