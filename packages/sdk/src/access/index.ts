export * from './v1.js';
export * from './node-fs.js';
export * from './tree.js';
export * from './fstypes.js';
