/**
 * Windows-shaped fixture images built from real parts (mkntfs + ntfs-3g volumes, corpus hives and
 * BCD stores edited with hivex, PE files from mingw-w64), and the ground truth other tools give
 * about them. A subpath of its own: its helper names (`fls`, `icat`, `sfdisk`) are Windows-specific.
 */
export * from './corpus.js';
export * from './image.js';
export * from './pe.js';
export * from './reg.js';
export * from './specs.js';
export * from './truth.js';
