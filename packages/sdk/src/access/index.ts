export * from './fstypes.js';
export * from './node-fs.js';
export * from './tree.js';
export * from './v1.js';
