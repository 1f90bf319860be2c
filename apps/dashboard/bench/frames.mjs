// Measures what the dashboard writes to the terminal while a check runs: bytes per finished item
// (finished rows go through <Static>, so each is written once and the live region stays small)
// and the time the store and Ink take per progress event. Run after `npx tsup`:
//   NODE_ENV=production node bench/frames.mjs [items]   (as the command runs it)
import { EventEmitter } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { nativeBackend } from '@imagecheck/access-native';
import { loadPack, runCheck } from '@imagecheck/sdk';
import { runDashboard } from '../dist/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const count = Number(process.argv[2] ?? 1000);

const packs = [await loadPack(join(root, 'rules/examples'))];
const access = await nativeBackend.open(join(root, 'samples/sample-linux.qcow2'), {});
const report = await runCheck({ access, packs });
await access.close();

// A large check: the sample's items repeated under new names, as a pack with `count` rules would give.
const items = Array.from({ length: count }, (_, i) => {
  const base = report.items[i % report.items.length];
  return { ...base, name: `${base.name}.${i}` };
});
const plan = items.map((it) => ({
  name: it.name,
  title: it.title ?? '',
  description: '',
  riskLevel: it.riskLevel,
  facts: ['f'],
}));

let bytes = 0;
let writes = 0;
const stdout = Object.assign(
  new Writable({
    write(chunk, _e, cb) {
      bytes += chunk.length;
      writes++;
      cb();
    },
  }),
  { isTTY: true, columns: 120, rows: 40 },
);
const stdin = Object.assign(new EventEmitter(), {
  isTTY: true,
  setRawMode() {},
  setEncoding() {},
  resume() {},
  pause() {},
  ref() {},
  unref() {},
  read: () => null,
});

const tick = () => new Promise((r) => setImmediate(r));
let phase = {};
const done = runDashboard({
  images: ['/bench.qcow2'],
  plan,
  stdin,
  stdout,
  run: async (_image, hooks) => {
    hooks.onHeader({ format: 'qcow2', virtualSize: 50 * 2 ** 20, backend: 'native' });
    for (const stage of ['open', 'layout', 'guest', 'facts']) hooks.onProgress({ type: 'stage', stage });
    hooks.onProgress({ type: 'fact-start', id: 'f' });
    hooks.onProgress({ type: 'fact-finish', id: 'f', result: { status: 'ok', value: 1, evidence: [] } });
    hooks.onProgress({ type: 'stage', stage: 'rules' });
    await tick();
    const b0 = bytes;
    const w0 = writes;
    const t0 = performance.now();
    for (const item of items) {
      hooks.onProgress({ type: 'item-start', name: item.name });
      hooks.onProgress({ type: 'item-finish', item });
      // Yield as a real check does between items, so Ink renders as it would.
      await tick();
    }
    phase = { ms: performance.now() - t0, bytes: bytes - b0, writes: writes - w0 };
    hooks.onProgress({ type: 'stage', stage: 'done' });
    return { ...report, items };
  },
});
await new Promise((r) => setTimeout(r, 300));
const b1 = bytes;
stdin.emit('data', 'j');
await new Promise((r) => setTimeout(r, 100));
const moveBytes = bytes - b1;
stdin.emit('data', 'q');
await done;

const perItem = phase.bytes / count;
console.log(`items                      ${count}`);
console.log(
  `time for all item events   ${phase.ms.toFixed(0)} ms (${((phase.ms / count) * 1000).toFixed(0)} µs per item)`,
);
console.log(`terminal writes            ${phase.writes} (Ink throttles to 30 frames/s)`);
console.log(`bytes written while live   ${phase.bytes} (${perItem.toFixed(0)} per finished item)`);
console.log(`bytes for one cursor move  ${moveBytes} (the browser, ${stdout.rows - 1} rows)`);
