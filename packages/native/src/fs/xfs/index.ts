export { openXfs, XfsFileSystem } from './reader.js';
