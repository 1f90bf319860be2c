export { type CliIo, EXIT, processIo } from './io.js';
export { main, reportError } from './program.js';
