export * from '@imagecheck/access/testing';
export * from './memory-guest.js';
export * from './rule-tester.js';
