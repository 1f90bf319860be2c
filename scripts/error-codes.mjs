#!/usr/bin/env node
// Writes docs/errors.md from the error code registry (packages/access/src/error-codes.ts, read from
// its build: run `npm run build` first). With --check, writes nothing and fails when the file is
// stale, for CI.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'docs', 'errors.md');
const check = process.argv.includes('--check');

let access;
try {
  access = await import('@imagecheck/access');
} catch (err) {
  console.error(`error-codes: cannot load @imagecheck/access (run npm run build first): ${err.message}`);
  process.exit(2);
}
const text = access.errorCodesMarkdown();
const count = Object.keys(access.ERROR_CODES).length;

if (check) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file is stale.
  }
  if (current !== text) {
    console.error('error-codes: docs/errors.md is stale; run npm run error-codes and commit it');
    process.exit(1);
  }
  console.log(`error-codes: docs/errors.md is up to date (${count} codes)`);
} else {
  writeFileSync(target, text);
  console.log(`error-codes: wrote docs/errors.md (${count} codes)`);
}
