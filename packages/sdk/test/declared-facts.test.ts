import { fileURLToPath } from 'node:url';
import type { GuestAccessV2, NodeFileSystem } from '@imagecheck/access';
import { FormatError, InternalError } from '@imagecheck/access';
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

/** The guest, with every file read failing with `err` (a reader's damage report, or its misuse). */
function failingReads(access: GuestAccessV2, err: Error): GuestAccessV2 {
  const open = access.openFilesystem.bind(access);
  return Object.assign(Object.create(access) as GuestAccessV2, {
    async openFilesystem(...args: Parameters<GuestAccessV2['openFilesystem']>): Promise<NodeFileSystem> {
      const fs = await open(...args);
      return new Proxy(fs, {
        get(target, key) {
          if (key === 'read') {
            return async () => {
              throw err;
            };
          }
          const v = Reflect.get(target, key);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    },
  });
}

describe('a declared fact and errors', () => {
  it("damage reading the file makes the fact unavailable with the reader's code", async () => {
    const pack = await loadPack(PACK, { knownFacts: new Set() });
    const access = failingReads(
      guestWith({ '/etc/adjtime': '0.0 0 0.0\n0\nLOCAL\n' }),
      new FormatError('ext/bad-extent-header', 'inode 12: bad extent header in the inode'),
    );
    const report = await runCheck({ access, packs: [pack] });
    expect(report.items[0]?.status).toBe('error');
    expect(report.items[0]?.message).toContain('ext/bad-extent-header');
  });

  it('a reader misused (an InternalError) makes the check reject, not a result', async () => {
    const pack = await loadPack(PACK, { knownFacts: new Set() });
    const misuse = new InternalError('ext/bad-read', 'bad read range -1+10', { data: { offset: -1 } });
    const access = failingReads(guestWith({ '/etc/adjtime': '0.0 0 0.0\n0\nLOCAL\n' }), misuse);
    await expect(runCheck({ access, packs: [pack] })).rejects.toBe(misuse);
  });
});
