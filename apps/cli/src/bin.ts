#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './program.js';

// A reader that stops early (`imagecheck ls ... | head`) closes the pipe: end quietly, as ls does.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

// exitCode rather than process.exit(): lets piped stdout drain before the process ends.
process.exitCode = await main(process.argv.slice(2), processIo());
