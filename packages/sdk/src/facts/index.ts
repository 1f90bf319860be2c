export * from './types.js';
export * from './declared/index.js';
