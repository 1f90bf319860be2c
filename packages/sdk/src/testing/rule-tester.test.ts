import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { defineFact } from '../facts/define.js';
import type { Plugin } from '../facts/types.js';
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

describe("RuleTester checks hand-written facts against the plugins' fact schemas", () => {
  // A plugin whose linux.selinux has the shape the example pack's rule reads.
  const selinuxFact = defineFact({
    id: 'linux.selinux',
    version: '1.0.0',
    description: 'SELinux mode, as the example pack reads it',
    schema: Type.Object({
      present: Type.Boolean(),
      path: Type.String(),
      mode: Type.Enum(['enforcing', 'permissive', 'disabled']),
      modeLine: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
      policyType: Type.Union([Type.String(), Type.Null()]),
    }),
  });
  const plugin: Plugin = { name: 'test-selinux', version: '1.0.0', facts: [selinuxFact], collectors: [] };
  const tester = () =>
    new RuleTester({ pack, plugins: [plugin], describe: undefined as never, it: undefined as never });
  const noFramework = () => {
    const saved = [RuleTester.describe, RuleTester.it];
    RuleTester.describe = undefined;
    RuleTester.it = undefined;
    return () => {
      [RuleTester.describe, RuleTester.it] = saved;
    };
  };

  it("passes a case whose facts have the schema's shape", async () => {
    const restore = noFramework();
    try {
      await expect(
        tester().run('GUESTOS.Selinux', {
          valid: [{ facts: { 'linux.selinux': { ...selinux, mode: 'permissive' } } }],
          invalid: [{ facts: { 'linux.selinux': selinux }, status: 'fail' }],
        }),
      ).resolves.toBeUndefined();
    } finally {
      restore();
    }
  });

  it('fails a case whose fact has another shape, naming the fact and the path in it', async () => {
    const restore = noFramework();
    try {
      const run = tester().run('GUESTOS.Selinux', {
        invalid: [
          { name: 'line as text', facts: { 'linux.selinux': { ...selinux, modeLine: '7' } }, status: 'fail' },
        ],
      });
      const err = await run.then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.name).toBe('AssertionError');
      // Each branch of the nullable integer says what it wanted; anyOf's own summary is left out.
      expect(err?.message).toBe(
        'GUESTOS.Selinux › invalid › line as text: fact linux.selinux given by the case does not match its schema (from plugin test-selinux):\n  /modeLine must be integer\n  /modeLine must be null',
      );
    } finally {
      restore();
    }
  });

  it('lists a missing property and a value outside an enum', async () => {
    const restore = noFramework();
    const { present: _p, ...noPresent } = selinux;
    try {
      await expect(
        tester().run('GUESTOS.Selinux', {
          valid: [{ facts: { 'linux.selinux': { ...noPresent, mode: 'Permissive' } } }],
        }),
      ).rejects.toThrow(
        /linux\.selinux given by the case does not match[^\n]*\n {2}\/ must have required property 'present'\n {2}\/mode must be equal to one of the allowed values \(\["enforcing","permissive","disabled"\]\)/,
      );
    } finally {
      restore();
    }
  });

  it("checks the engine's own facts without any plugin", async () => {
    const restore = noFramework();
    try {
      await expect(
        new RuleTester({ pack, describe: undefined as never, it: undefined as never }).run(
          'GUESTOS.Selinux',
          {
            valid: [
              { facts: { 'guest.os': { os: 7 }, 'linux.selinux': { ...selinux, mode: 'permissive' } } },
            ],
          },
        ),
      ).rejects.toThrow(
        /fact guest\.os given by the case does not match its schema \(from the engine\):\n {2}\/os must be string/,
      );
    } finally {
      restore();
    }
  });
});
