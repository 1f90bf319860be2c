// Writes this pack's rule docs from its rule files: `node scripts/docs.ts [--check]`.
import { fileURLToPath } from 'node:url';
import { packDocsMain } from '@imagecheck/sdk';

process.exitCode = await packDocsMain(fileURLToPath(new URL('..', import.meta.url)), process.argv.slice(2));
