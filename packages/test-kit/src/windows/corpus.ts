import { join } from 'node:path';
import { testKitDir } from '../cache.js';

/**
 * A file of the Windows corpus (real hives and BCD stores written by others; where each comes
 * from and under which licence: `corpus/windows/ATTRIBUTION.md`).
 */
export function windowsCorpusFile(name: string): string {
  return join(testKitDir(), 'corpus/windows', name);
}
