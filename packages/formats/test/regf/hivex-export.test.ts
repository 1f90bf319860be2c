import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools, runBytes } from '@imagecheck/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { openHive } from '../../src/index.js';
import { CORPUS_HIVES, corpusBytes } from '../helpers/corpus.js';
import { exportLikeHivex, firstDifference } from '../helpers/reg-export.js';

// Ground truth: hivexregedit (libhivex through Win::Hivex) exports every key and value of every
// corpus hive; our reader's export of the same hive in the same format must be byte-identical.
describe.skipIf(!requireTools('hivexregedit', 'xz'))(
  'every corpus hive against hivexregedit --export',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'regf-export-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    for (const name of CORPUS_HIVES) {
      it(name, async () => {
        const bytes = corpusBytes(name);
        const file = join(dir, name.replace(/\.xz$/, ''));
        writeFileSync(file, bytes);
        const truth = await runBytes('hivexregedit', ['--export', file, '\\']);
        const hive = await openHive(bytes);
        const ours = exportLikeHivex(hive);
        expect(firstDifference(ours, truth)).toBeNull();
        expect(truth.length).toBeGreaterThan(60);
        expect(ours.length).toBe(truth.length);
      }, 120_000);
    }
  },
);
