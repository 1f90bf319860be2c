export { probeXfs } from './probe.js';
export { openXfs, XfsFileSystem } from './reader.js';
