export * from '@imagecheck/access/testing';
export * from './fact-shapes.js';
export * from './memory-guest.js';
export * from './rule-tester.js';
