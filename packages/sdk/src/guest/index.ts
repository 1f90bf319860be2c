export * from './device-spec.js';
export * from './roots.js';
export * from './types.js';
