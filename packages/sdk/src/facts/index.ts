export * from './declared/index.js';
export * from './types.js';
export * from './glob.js';
