export * from './error-codes.js';
export * from './errors.js';
export * from './node-fs.js';
export * from './partition-types.js';
export * from './tree.js';
export * from './v2.js';
