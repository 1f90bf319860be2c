#!/usr/bin/env node
// Prints, per image, the cost of the storage, network and cloud facts (linux.fstab,
// linux.network, linux.cloudInit, linux.agents, linux.packages; and linux.kernels, which
// linux.cloudInit reads) twice in one process: `cold` is the first collection (module loading,
// JIT, fact-schema compilation included), `warm` a second one on a freshly opened image (nothing
// cached but the compiled code). Per fact: the time from its start to its finish (a fact's time
// includes the facts it reads first). Also bytes read from the image file and peak RSS.
//
//   node plugins/linux/test/cloud/bench-facts.mjs IMAGE...      (after `npx turbo run build`)
import { performance } from 'node:perf_hooks';
import { openNative } from '@imagecheck/access-native';
import { plugin } from '@imagecheck/plugin-linux';
import { collectFacts } from '@imagecheck/sdk';

const IDS = [
  'linux.kernels',
  'linux.fstab',
  'linux.agents',
  'linux.packages',
  'linux.cloudInit',
  'linux.network',
];
const images = process.argv.slice(2);
if (images.length === 0) {
  console.error('usage: bench-facts.mjs IMAGE...');
  process.exit(2);
}
for (const image of images) {
  for (const round of ['cold', 'warm']) {
    const access = await openNative(image);
    const started = new Map();
    const times = [];
    const t0 = performance.now();
    const { facts } = await collectFacts({
      access,
      plugins: [plugin],
      ids: IDS,
      onProgress: (e) => {
        if (e.type === 'fact-start') started.set(e.id, performance.now());
        if (e.type === 'fact-finish' && IDS.includes(e.id)) {
          times.push(`${e.id.slice(6)} ${(performance.now() - started.get(e.id)).toFixed(1)}`);
        }
      },
    });
    const total = performance.now() - t0;
    const stats = access.stats?.() ?? {};
    await access.close();
    const failed = IDS.filter((id) => facts[id]?.status !== 'ok');
    console.log(
      [
        `${image.split('/').pop()} ${round}`,
        `total ${total.toFixed(1)} ms (open root + facts)`,
        `ms: ${times.join(', ')}`,
        `read ${((stats.bytesRead ?? Number.NaN) / 1024).toFixed(0)} KiB`,
        `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
        failed.length ? `unavailable: ${failed.join(', ')}` : 'all ok',
      ].join(' | '),
    );
  }
}
