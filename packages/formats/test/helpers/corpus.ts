import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusFile } from '@imagecheck/test-kit';

export const corpusDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'corpus');

/** A corpus file's bytes, `.xz` ones decompressed with the xz tool. */
export function corpusBytes(name: string): Uint8Array {
  return new Uint8Array(corpusFile(corpusDir, name));
}

/** Every registry hive in the corpus: the file name and the name without `.xz`. */
export const CORPUS_HIVES = [
  'EricZimmerman-Registry__BCD',
  'aiowinreg__nt4_software.reg',
  'aiowinreg__nt4_system.reg',
  'regipy__BCD.xz',
  'regipy__SYSTEM.xz',
  'regipy__SYSTEM_WIN_10_1709.xz',
  'windeploy-linux__BCD',
  'windeploy-linux__BCD-efi',
  'yarp__BigDataHive',
  'yarp__ExtendedASCIIHive',
  'yarp__ManySubkeysHive',
  'yarp__UnicodeHive',
] as const;

/** The four BCD stores among them. */
export const CORPUS_BCD = [
  'EricZimmerman-Registry__BCD',
  'regipy__BCD.xz',
  'windeploy-linux__BCD',
  'windeploy-linux__BCD-efi',
] as const;
