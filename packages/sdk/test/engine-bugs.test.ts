import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { evaluateRule } from '../src/engine/index.js';
import type { FactResult } from '../src/facts/types.js';
import { type LoadedPack, loadPack } from '../src/rules/index.js';

// An operator with a bug: the real evaluator, made to throw a TypeError while `broken` is set.
const state = vi.hoisted(() => ({ broken: false }));
vi.mock('../src/rules/logic.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/rules/logic.js')>();
  return {
    ...real,
    evaluateLogic: (...args: Parameters<typeof real.evaluateLogic>) => {
      if (state.broken) return (undefined as unknown as { x: () => unknown }).x();
      return real.evaluateLogic(...args);
    },
  };
});

const PACK = fileURLToPath(new URL('./fixtures/packs/linux-good', import.meta.url));
let pack: LoadedPack;
beforeAll(async () => {
  pack = await loadPack(PACK);
});
const rule = (id: string) => {
  const r = pack.rules.find((x) => x.id === id);
  if (!r) throw new Error(id);
  return r;
};
const fstab = (entries: unknown): Record<string, FactResult> => ({
  'linux.fstab': {
    status: 'ok',
    value: { present: true, path: '/etc/fstab', entries },
    evidence: [{ kind: 'file', path: '/etc/fstab' }],
  },
  'linux.blockdevices': {
    status: 'ok',
    value: { uuids: [], labels: [], partuuids: [], partlabels: [] },
    evidence: [],
  },
});

describe('evaluateRule and bugs', () => {
  it('a TypeError while evaluating propagates instead of becoming an error item', () => {
    state.broken = true;
    try {
      expect(() => evaluateRule(rule('GUESTOS.Fstab'), fstab([]))).toThrow(TypeError);
    } finally {
      state.broken = false;
    }
  });

  it('a fact the rule cannot read (forEach over a string) is still an error item, with its code', () => {
    const item = evaluateRule(rule('GUESTOS.Fstab'), fstab('UUID=root / ext4 defaults 0 1'));
    expect(item.status).toBe('error');
    expect(item.message).toBe(
      'Could not be checked: rule/foreach-not-array: assertion source-resolvable: forEach gave string, not an array',
    );
  });
});
