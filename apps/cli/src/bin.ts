#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './program.js';

// exitCode rather than process.exit(): lets piped stdout drain before the process ends.
process.exitCode = await main(process.argv.slice(2), processIo());
