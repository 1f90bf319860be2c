export * from './bytes.js';
export * from './lru.js';
