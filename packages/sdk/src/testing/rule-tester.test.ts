import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPack } from '../rules/loader.js';
import { RuleTester } from './rule-tester.js';

const PACK = fileURLToPath(new URL('../../test/fixtures/packs/linux-good', import.meta.url));
const pack = await loadPack(PACK);

RuleTester.describe = describe;
RuleTester.it = it;

const selinux = {
  present: true,
  path: '/etc/selinux/config',
  mode: 'enforcing',
  modeLine: 7,
  policyType: 'targeted',
};

// The per-case fixture files of the example pack, each one a test.
new RuleTester({ pack: PACK }).runFixtureDir();

// The inline table form.
new RuleTester({ pack }).run('GUESTOS.Selinux', {
  valid: [
    { name: 'permissive', facts: { 'linux.selinux': { ...selinux, mode: 'permissive' } } },
    {
      name: 'enforcing allowed by params',
      facts: { 'linux.selinux': selinux },
      params: { allowEnforcing: true },
    },
  ],
  invalid: [
    {
      name: 'enforcing',
      facts: { 'linux.selinux': selinux },
      status: 'fail',
      riskLevel: 'medium',
      findings: [{ messageId: 'enforcing', assertion: 'not-enforcing', line: 7 }],
      message: /SELinux is enforcing \(targeted policy\)/,
    },
    {
      name: 'selinux fact unavailable',
      unavailable: { 'linux.selinux': 'unreadable' },
      status: 'error',
      message: /linux\.selinux \(unreadable\)/,
    },
    {
      name: 'zh-CN message',
      facts: { 'linux.selinux': selinux },
      locale: 'zh-CN',
      status: 'fail',
      message: '镜像中 SELinux 处于 enforcing 模式（targeted 策略）。',
    },
  ],
});

describe('RuleTester rejects bad tables', () => {
  // No framework: `run` evaluates itself and rejects on the first failure.
  const bare = () => new RuleTester({ pack, describe: undefined as never, it: undefined as never });
  const noFramework = () => {
    const saved = [RuleTester.describe, RuleTester.it];
    RuleTester.describe = undefined;
    RuleTester.it = undefined;
    return () => {
      [RuleTester.describe, RuleTester.it] = saved;
    };
  };

  it('throws on duplicate cases (same content, names aside)', () => {
    expect(() =>
      bare().run('GUESTOS.Selinux', {
        valid: [
          { name: 'a', facts: { 'linux.selinux': selinux } },
          { name: 'b', facts: { 'linux.selinux': selinux } },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'rule-tester/duplicate-case' }));
  });

  it('throws on two cases with one name', () => {
    expect(() =>
      bare().run('GUESTOS.Selinux', {
        valid: [
          { name: 'a', facts: { 'linux.selinux': selinux } },
          { name: 'a', facts: { 'linux.selinux': { ...selinux, mode: 'disabled' } } },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'rule-tester/duplicate-name' }));
  });

  it('throws on an invalid case with no expectation', () => {
    expect(() =>
      bare().run('GUESTOS.Selinux', { invalid: [{ facts: { 'linux.selinux': selinux } }] }),
    ).toThrow(expect.objectContaining({ code: 'rule-tester/no-expectation' }));
  });

  it('rejects a message id the rule does not define', async () => {
    const restore = noFramework();
    try {
      await expect(
        bare().run('GUESTOS.Selinux', {
          invalid: [
            { facts: { 'linux.selinux': selinux }, status: 'fail', findings: [{ messageId: 'enforcingg' }] },
          ],
        }),
      ).rejects.toMatchObject({ code: 'rule-tester/unknown-message' });
    } finally {
      restore();
    }
  });

  it('rejects an unknown rule id', async () => {
    const restore = noFramework();
    try {
      await expect(bare().run('GUESTOS.Nope', { valid: [{ facts: {} }] })).rejects.toMatchObject({
        code: 'rule-tester/unknown-rule',
      });
    } finally {
      restore();
    }
  });

  it('fails a case whose expectation is wrong, naming what differs', async () => {
    const restore = noFramework();
    try {
      await expect(
        bare().run('GUESTOS.Selinux', {
          valid: [{ name: 'not actually valid', facts: { 'linux.selinux': selinux } }],
        }),
      ).rejects.toThrow(/GUESTOS.Selinux › valid › not actually valid: expected status pass, got fail/);
      await expect(
        bare().run('GUESTOS.Selinux', {
          invalid: [
            { facts: { 'linux.selinux': selinux }, status: 'fail', findings: [{ messageId: 'invalidMode' }] },
          ],
        }),
      ).rejects.toThrow(/findings differ/);
    } finally {
      restore();
    }
  });
});

// Cases that describe a guest inline: the pack's declared fact is collected from the files.
new RuleTester({ pack: fileURLToPath(new URL('../../test/fixtures/packs/declared', import.meta.url)) }).run(
  'GUESTOS.RtcTimeMode',
  {
    valid: [
      { name: 'UTC', files: { '/etc/adjtime': '0.0 0 0.0\n0\nUTC\n' } },
      { name: 'no /etc/adjtime', files: { '/etc/hostname': 'h\n' } },
    ],
    invalid: [
      {
        name: 'LOCAL',
        files: { '/etc/adjtime': '0.0 0 0.0\n0\nLOCAL\n' },
        status: 'fail',
        riskLevel: 'low',
        findings: [{ messageId: 'local', line: 3 }],
      },
    ],
  },
);
