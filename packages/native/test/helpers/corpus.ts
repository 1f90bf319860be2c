import { fileURLToPath } from 'node:url';
import { corpusFile } from '@imagecheck/test-kit';

const corpusDir = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));

/** The bytes of a file in test/fixtures/corpus, with its .gz/.xz wrapper removed (xz needs the `xz` tool). */
export function corpusBytes(name: string): Uint8Array {
  return corpusFile(corpusDir, name);
}
