// Benchmark of the rule side of a check: pack loading (cold and warm) and rule evaluation.
// Run after `npx tsup`: node test/bench/engine.bench.mjs [iterations]
// Prints figures; asserts nothing (speed is measured here, never in tests).
import { fileURLToPath } from 'node:url';
import { evaluateRule, loadPack } from '../../dist/index.js';

const PACK = fileURLToPath(new URL('../fixtures/packs/linux-good', import.meta.url));
const iterations = Number(process.argv[2] ?? 2000);
const ms = (t0) => (performance.now() - t0).toFixed(2);

let t0 = performance.now();
const pack = await loadPack(PACK);
console.log(`loadPack cold (schemas compiled, ${pack.rules.length} rules): ${ms(t0)} ms`);
t0 = performance.now();
for (let i = 0; i < 20; i++) await loadPack(PACK);
console.log(`loadPack warm: ${((performance.now() - t0) / 20).toFixed(2)} ms per pack`);

// A large fstab: 500 entries, a third of them unresolvable.
const entries = Array.from({ length: 500 }, (_, i) => ({
  line: i + 1,
  spec: `UUID=${i}`,
  specKind: 'uuid',
  specValue: String(i),
  mountpoint: `/m${i}`,
  fstype: 'ext4',
  options: ['defaults'],
}));
const ok = (value) => ({ status: 'ok', value, evidence: [] });
const facts = {
  'linux.fstab': ok({ present: true, path: '/etc/fstab', entries }),
  'linux.blockdevices': ok({
    uuids: entries.filter((_, i) => i % 3).map((e) => e.specValue),
    labels: [],
    partuuids: [],
    partlabels: [],
  }),
  'linux.selinux': ok({ present: true, mode: 'enforcing', modeLine: 7, policyType: 'targeted' }),
  'linux.osRelease': ok({ id: 'centos', versionId: '7.9.2009', prettyName: 'CentOS Linux 7 (Core)' }),
};
const byId = Object.fromEntries(pack.rules.map((r) => [r.id, r]));
for (const id of ['GUESTOS.Selinux', 'GUESTOS.Platform', 'GUESTOS.Fstab']) {
  const n = id === 'GUESTOS.Fstab' ? Math.max(1, Math.floor(iterations / 20)) : iterations;
  evaluateRule(byId[id], facts);
  t0 = performance.now();
  let item;
  for (let i = 0; i < n; i++) item = evaluateRule(byId[id], facts);
  const per = (performance.now() - t0) / n;
  console.log(
    `evaluateRule ${id}: ${(per * 1000).toFixed(1)} µs per evaluation (${n} runs, status ${item.status}, ${item.findings?.length ?? 0} findings)`,
  );
}

// A whole check over the in-memory guest: layout, guest, declared fact collection, evaluation.
const { runCheck } = await import('../../dist/index.js');
const { createMemoryGuest } = await import('../../dist/testing/index.js');
const declared = await loadPack(fileURLToPath(new URL('../fixtures/packs/declared', import.meta.url)));
const checks = Math.max(1, Math.floor(iterations / 10));
t0 = performance.now();
let report;
for (let i = 0; i < checks; i++) {
  const access = createMemoryGuest({
    filesystems: [{ type: 'ext4', mount: '/', files: { '/etc/adjtime': '0.0 0 0.0\n0\nLOCAL\n' } }],
  });
  report = await runCheck({ access, packs: [declared] });
}
console.log(
  `runCheck (memory guest, declared-fact pack): ${((performance.now() - t0) / checks).toFixed(3)} ms per check (${checks} checks, ${report.items[0].status})`,
);
