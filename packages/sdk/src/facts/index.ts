export { diskLayoutFact, guestOsFact } from './builtin.js';
export * from './declared/index.js';
export * from './define.js';
export * from './glob.js';
export * from './types.js';
