/**
 * Writes this pack's rule docs from its rule files: `node scripts/docs.ts [--check]`. With
 * `--check` it writes nothing and exits 1 listing the pages that differ.
 */
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updatePackDocs } from '@imagecheck/sdk';

const packDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const check = process.argv.includes('--check');
try {
  const { docsDir, pages, drifted } = await updatePackDocs(packDir, { check });
  if (check && drifted.length > 0) {
    process.stderr.write(
      `docs out of date in ${docsDir}: ${drifted.join(', ')}\nrun: node scripts/docs.ts\n`,
    );
    process.exitCode = 1;
  } else if (!check) {
    process.stdout.write(`${basename(packDir)}: ${pages} pages, ${drifted.length} written or removed\n`);
  }
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 2;
}
