#!/usr/bin/env node
import { nodeVersionProblem } from './node-version.js';

// Checked before anything else loads: on an older Node the rest fails to link with a raw
// SyntaxError, which says nothing about the cause.
const problem = nodeVersionProblem(process.versions.node);
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(2);
}

const { processIo } = await import('./io.js');
const { main } = await import('./program.js');

// A reader that stops early (`imagecheck ls ... | head`) closes the pipe: end quietly, as ls does.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

// exitCode rather than process.exit(): lets piped stdout drain before the process ends.
process.exitCode = await main(process.argv.slice(2), processIo());
