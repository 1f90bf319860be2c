export * from './errors/index.js';
export * from './access/index.js';
export * from './facts/index.js';
export * from './report/index.js';
