export * from './manifest.js';
export * from './suite.js';
