export * from './memory-fs.js';
