export * from './block/index.js';
