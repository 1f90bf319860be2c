/**
 * One full check of one image in a fresh process, for bench/check.ts: the same libraries and
 * steps as `imagecheck check` (native backend, the Linux plugin and its pack, from their built
 * dist). Prints one JSON line: the item statuses, the backend's counters, and this process's
 * CPU time and peak RSS.
 *
 *   node bench/check-child.ts IMAGE
 */
import { openNative } from '@imagecheck/access-native';
import { plugin } from '@imagecheck/plugin-linux';
import { loadPack, runCheck } from '@imagecheck/sdk';

const image = process.argv[2];
if (image === undefined) throw new Error('usage: check-child.ts IMAGE');
const t0 = performance.now();
const knownFacts = new Set(plugin.facts.map((f) => f.id));
const packs = await Promise.all((plugin.packs ?? []).map((dir) => loadPack(dir, { knownFacts })));
const access = await openNative(image);
let out: Record<string, unknown>;
try {
  const report = await runCheck({ access, packs, plugins: [plugin] });
  out = {
    checkMs: performance.now() - t0,
    items: Object.fromEntries(report.items.map((i) => [i.name, i.status])),
    stats: access.stats?.() ?? {},
  };
} finally {
  await access.close();
}
// maxRSS is in kilobytes (getrusage's ru_maxrss).
// CPU time (user + system) moves less than wall time when other work shares the machine.
const cpu = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({ ...out, cpuMs: (cpu.user + cpu.system) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);
