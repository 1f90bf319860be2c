import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exitCodeFor, runCheck } from '../src/engine/index.js';
import { loadPack } from '../src/rules/index.js';
import { createMemoryGuest } from '../src/testing/memory-guest.js';

const PACK = fileURLToPath(new URL('./fixtures/packs/declared', import.meta.url));

const guestWith = (files: Record<string, string>) =>
  createMemoryGuest({ filesystems: [{ type: 'ext4', mount: '/', files }] });

describe('a pack that declares its own fact, end to end over the in-memory guest', () => {
  it('loads, knows its declared fact, and checks it', async () => {
    const pack = await loadPack(PACK, { knownFacts: new Set() });
    expect(pack.declaredFacts).toHaveLength(1);
    const local = await runCheck({
      access: guestWith({ '/etc/adjtime': '0.0 0 0.0\n0\nLOCAL\n' }),
      packs: [pack],
    });
    expect(local.items[0]).toMatchObject({
      name: 'GUESTOS.RtcTimeMode',
      status: 'fail',
      riskLevel: 'low',
      value: 'LOCAL',
      evidence: [{ kind: 'file', path: '/etc/adjtime', line: 3 }],
      message: 'The hardware clock is read as local time (/etc/adjtime line 3).',
    });
    expect(exitCodeFor([local], 'low')).toBe(1);
    expect(exitCodeFor([local], 'medium')).toBe(0);

    const utc = await runCheck({
      access: guestWith({ '/etc/adjtime': '0.0 0 0.0\n0\nUTC\n' }),
      packs: [pack],
    });
    expect(utc.items[0]).toMatchObject({
      status: 'pass',
      value: 'UTC',
      message: 'The hardware clock keeps UTC.',
    });

    const absent = await runCheck({ access: guestWith({ '/etc/hostname': 'x\n' }), packs: [pack] });
    expect(absent.items[0]?.status).toBe('pass');
  });
});
