/**
 * One cold measurement for bench/hives.ts, in a fresh process, from the built dist of the native
 * backend and the Windows plugin. Prints one JSON line with the backend's counters and this
 * process's CPU time and peak RSS.
 *
 *   node bench/hives-child.ts hives IMAGE   every value of SYSTEM and SOFTWARE, read through the
 *                                           NTFS reader and the regf reader
 *   node bench/hives-child.ts check IMAGE   a full check (native backend, Windows plugin and pack)
 */
import { createGuestTree } from '@imagecheck/access';
import { openNative } from '@imagecheck/access-native';
import { findSystemRoot, loadHive, plugin } from '@imagecheck/plugin-windows';
import { loadPack, runCheck } from '@imagecheck/sdk';

const [mode, image] = process.argv.slice(2);
if ((mode !== 'hives' && mode !== 'check') || image === undefined)
  throw new Error('usage: hives-child.ts hives|check IMAGE');
const t0 = performance.now();
const access = await openNative(image);
let out: Record<string, unknown>;
try {
  if (mode === 'check') {
    const knownFacts = new Set(plugin.facts.map((f) => f.id));
    const packs = await Promise.all((plugin.packs ?? []).map((dir) => loadPack(dir, { knownFacts })));
    const report = await runCheck({ access, packs, plugins: [plugin] });
    const statuses: Record<string, number> = {};
    for (const i of report.items) statuses[i.status] = (statuses[i.status] ?? 0) + 1;
    out = { statuses };
  } else {
    // The Windows root is looked for on every NTFS filesystem, as the OS provider does.
    const layout = await access.inspect();
    let root: { tree: ReturnType<typeof createGuestTree>; systemRoot: string } | undefined;
    for (const fs of layout.filesystems) {
      if (fs.type !== 'ntfs') continue;
      const tree = createGuestTree([{ mountpoint: '/', fs: await access.openFilesystem(fs.id) }]);
      const systemRoot = await findSystemRoot(tree);
      if (systemRoot !== undefined) {
        root = { tree, systemRoot };
        break;
      }
    }
    if (root === undefined) throw new Error(`${image}: no Windows root`);
    const counts: Record<string, { keys: number; values: number; dataBytes: number }> = {};
    for (const name of ['SYSTEM', 'SOFTWARE'] as const) {
      const loaded = await loadHive(root.tree, root.systemRoot, name);
      if (loaded.hive === null) throw new Error(`${loaded.path}: ${loaded.error?.message ?? 'absent'}`);
      const c = { keys: 0, values: 0, dataBytes: 0 };
      for (const key of loaded.hive.walk()) {
        c.keys++;
        for (const v of key.values()) {
          c.values++;
          c.dataBytes += v.data.length;
        }
      }
      counts[name] = c;
    }
    out = { hives: counts };
  }
  out = { ...out, ms: performance.now() - t0, stats: access.stats?.() ?? {} };
} finally {
  await access.close();
}
// maxRSS is in kilobytes (getrusage's ru_maxrss); CPU time is user + system.
const cpu = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({ ...out, cpuMs: (cpu.user + cpu.system) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);
