export * from './fstypes.js';
