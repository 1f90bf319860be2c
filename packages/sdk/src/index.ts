export * from './access/index.js';
export * from './config/index.js';
export * from './engine/index.js';
export * from './facts/index.js';
export * from './report/index.js';
export * from './report/renderers/index.js';
export * from './rules/index.js';
