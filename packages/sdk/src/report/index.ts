export * from './create.js';
export * from './formats.js';
export * from './risk.js';
export * from './types.js';
