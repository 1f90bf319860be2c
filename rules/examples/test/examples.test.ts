import { fileURLToPath } from 'node:url';
import {
  type CollectContext,
  declaredFacts,
  inspectGuest,
  loadPack,
  type ReportItem,
  runCheck,
} from '@imagecheck/sdk';
import { createMemoryGuest, type MemoryFiles, RuleTester } from '@imagecheck/sdk/testing';
import { describe, expect, it } from 'vitest';

const PACK_DIR = fileURLToPath(new URL('..', import.meta.url));
const pack = await loadPack(PACK_DIR);

RuleTester.describe = describe;
RuleTester.it = it;
const ruleTester = new RuleTester({ pack });

/**
 * The facts a rule sees for a guest holding `files`, computed by the pack's own declarations over
 * an in-memory guest: the rule tables below test the declarations and the rules together.
 */
async function factsFor(files: MemoryFiles): Promise<Record<string, unknown>> {
  const access = createMemoryGuest({
    filesystems: [{ type: 'ext4', mount: '/', files: { '/etc/os-release': 'ID=debian\n', ...files } }],
  });
  const { layout, roots, root, guest } = await inspectGuest(access);
  const ctx: CollectContext = {
    access,
    layout,
    roots,
    root,
    guest,
    fact: async () => ({ status: 'unavailable', reason: 'not needed', evidence: [] }),
  };
  const { collectors } = declaredFacts(pack.namespace, pack.declaredFacts);
  const facts: Record<string, unknown> = { 'guest.os': { os: 'linux' } };
  for (const c of collectors) {
    const r = await c.collect(ctx);
    if (r.status !== 'ok') throw new Error(`${c.fact}: ${r.reason}`);
    facts[c.fact] = r.value;
  }
  return facts;
}

// A Debian 12 / Ubuntu 24.04 style sshd_config: the drop-ins are included first.
const DEBIAN_SSHD = `# See sshd_config(5)
Include /etc/ssh/sshd_config.d/*.conf

#PermitRootLogin prohibit-password
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
Subsystem sftp /usr/lib/openssh/sftp-server
`;

describe('the pack', () => {
  it('loads, with its declared facts and rules', () => {
    expect(pack.namespace).toBe('examples');
    expect(pack.rules.map((r) => r.id).sort()).toEqual([
      'FILES.ShadowPermissions',
      'SSH.HostKeys',
      'SSH.PermitRootLogin',
    ]);
    const { definitions } = declaredFacts(pack.namespace, pack.declaredFacts);
    expect(definitions.map((d) => d.id)).toEqual([
      'examples.sshd-config',
      'examples.ssh-host-keys',
      'examples.shadow-files',
    ]);
  });
});

ruleTester.run('SSH.PermitRootLogin', {
  valid: [
    {
      name: 'distribution default: keyword commented out',
      facts: await factsFor({ '/etc/ssh/sshd_config': DEBIAN_SSHD }),
    },
    {
      name: 'explicit no',
      facts: await factsFor({ '/etc/ssh/sshd_config': `${DEBIAN_SSHD}PermitRootLogin no\n` }),
    },
    {
      name: 'a drop-in read first wins over yes in sshd_config (sshd keeps the first value)',
      facts: await factsFor({
        '/etc/ssh/sshd_config': `${DEBIAN_SSHD}PermitRootLogin yes\n`,
        '/etc/ssh/sshd_config.d/10-hardening.conf': 'PermitRootLogin prohibit-password\n',
      }),
    },
    {
      name: 'deprecated alias without-password, key=value form, other case',
      facts: await factsFor({ '/etc/ssh/sshd_config': 'permitrootlogin=Without-Password\n' }),
    },
    {
      name: 'a Match block that restricts root further',
      facts: await factsFor({
        '/etc/ssh/sshd_config':
          'PermitRootLogin no\nMatch Address 10.0.0.0/8\n  PermitRootLogin prohibit-password\n',
      }),
    },
  ],
  invalid: [
    {
      name: 'RHEL 8 style PermitRootLogin yes',
      facts: await factsFor({
        '/etc/ssh/sshd_config': '#\tOpenBSD\nSyslogFacility AUTHPRIV\nPermitRootLogin yes\n',
      }),
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'rootPasswordLogin', line: 3 }],
    },
    {
      name: 'yes in the first drop-in beats no in sshd_config',
      facts: await factsFor({
        '/etc/ssh/sshd_config': `${DEBIAN_SSHD}PermitRootLogin no\n`,
        '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\n',
        '/etc/ssh/sshd_config.d/01-permitrootlogin.conf': '# added by the builder\nPermitRootLogin   YES\n',
      }),
      status: 'fail',
      findings: [{ messageId: 'rootPasswordLogin', line: 2 }],
    },
    {
      name: 'a Match block turns it back on',
      facts: await factsFor({
        '/etc/ssh/sshd_config':
          'PermitRootLogin no\n\nMatch User root Address 192.168.0.0/16\n    PermitRootLogin yes\n',
      }),
      status: 'fail',
      findings: [{ messageId: 'rootPasswordLoginInMatch', line: 4 }],
    },
    {
      name: 'a value sshd rejects',
      facts: await factsFor({ '/etc/ssh/sshd_config': 'PermitRootLogin nope\n' }),
      status: 'fail',
      findings: [{ messageId: 'invalidValue', line: 1 }],
    },
    {
      name: 'no sshd configuration: OpenSSH server not installed',
      facts: await factsFor({}),
      status: 'skipped',
    },
    {
      name: 'the configuration could not be read',
      unavailable: {
        'examples.sshd-config': '/etc/ssh/sshd_config: read of 2000000 bytes exceeds the 1048576-byte cap',
      },
      facts: { 'guest.os': { os: 'linux' } },
      status: 'error',
    },
  ],
});

ruleTester.run('SSH.HostKeys', {
  valid: [
    {
      name: 'keys removed before capture',
      facts: await factsFor({ '/etc/ssh/sshd_config': DEBIAN_SSHD, '/etc/ssh/moduli': '' }),
    },
    {
      name: 'only public keys left',
      facts: await factsFor({ '/etc/ssh/ssh_host_ed25519_key.pub': 'ssh-ed25519 AAAA' }),
    },
  ],
  invalid: [
    {
      name: 'keys from the build machine',
      facts: await factsFor({
        '/etc/ssh/ssh_host_ed25519_key': { content: '-----BEGIN OPENSSH PRIVATE KEY-----\n', mode: 0o600 },
        '/etc/ssh/ssh_host_ed25519_key.pub': 'ssh-ed25519 AAAA',
        '/etc/ssh/ssh_host_rsa_key': { content: '-----BEGIN OPENSSH PRIVATE KEY-----\n', mode: 0o600 },
      }),
      status: 'warn',
      findings: [
        { messageId: 'hostKeyPresent', status: 'warn' },
        { messageId: 'hostKeyPresent', status: 'warn' },
      ],
    },
  ],
});

ruleTester.run('FILES.ShadowPermissions', {
  valid: [
    {
      name: 'Debian: 0640 root:shadow',
      facts: await factsFor({
        '/etc/shadow': { content: 'root:*:19000:0:99999:7:::\n', mode: 0o640, gid: 42 },
        '/etc/gshadow': { content: 'root:*::\n', mode: 0o640, gid: 42 },
      }),
    },
    {
      name: 'RHEL: 0000 root:root, no gshadow',
      facts: await factsFor({ '/etc/shadow': { content: 'root:!!:19000::::::\n', mode: 0o000 } }),
    },
  ],
  invalid: [
    {
      name: 'world-readable shadow',
      facts: await factsFor({
        '/etc/shadow': { content: 'root:$6$x:19000:0:99999:7:::\n', mode: 0o644 },
        '/etc/gshadow': { content: 'root:*::\n', mode: 0o640, gid: 42 },
      }),
      status: 'fail',
      findings: [{ messageId: 'worldAccessible' }],
    },
    {
      name: 'gshadow owned by a user, and world-writable',
      facts: await factsFor({
        '/etc/shadow': { content: 'root:*:1::::::\n', mode: 0o640 },
        '/etc/gshadow': { content: 'root:*::\n', mode: 0o662, uid: 1000 },
      }),
      status: 'fail',
      findings: [{ messageId: 'worldAccessible' }, { messageId: 'notRootOwned' }],
    },
  ],
});

describe('end to end over an in-memory image', () => {
  function byName(items: readonly ReportItem[]): Record<string, ReportItem> {
    return Object.fromEntries(items.map((i) => [i.name, i]));
  }

  it('runCheck collects the declared facts from the guest and reports each item with its location', async () => {
    const access = createMemoryGuest({
      partitions: [{ type: 'EF00' }, { type: '8300' }],
      filesystems: [
        { id: 'p1', type: 'vfat', mount: '/boot/efi', files: {} },
        {
          id: 'p2',
          type: 'ext4',
          mount: '/',
          files: {
            '/etc/os-release': 'ID=ubuntu\nVERSION_ID="24.04"\n',
            '/etc/fstab': 'LABEL=cloudimg-rootfs / ext4 defaults 0 1\n',
            '/etc/ssh/sshd_config': DEBIAN_SSHD,
            '/etc/ssh/sshd_config.d/60-cloudimg-settings.conf': 'PasswordAuthentication no\n',
            '/etc/ssh/sshd_config.d/99-root.conf': 'PermitRootLogin yes\n',
            '/etc/ssh/ssh_host_ecdsa_key': { content: 'PRIVATE', mode: 0o600 },
            '/etc/shadow': { content: 'root:*:19000:0:99999:7:::\n', mode: 0o640, gid: 42 },
            '/etc/gshadow': { symlink: 'shadow' },
          },
        },
      ],
    });
    const report = await runCheck({ access, packs: [pack] });
    const items = byName(report.items);
    expect(items['SSH.PermitRootLogin']).toMatchObject({ status: 'fail', riskLevel: 'high' });
    expect(items['SSH.PermitRootLogin']?.findings?.[0]?.evidence[0]).toMatchObject({
      path: '/etc/ssh/sshd_config.d/99-root.conf',
      line: 1,
    });
    expect(items['SSH.HostKeys']).toMatchObject({ status: 'warn' });
    expect(items['SSH.HostKeys']?.findings?.[0]?.evidence[0]).toMatchObject({
      path: '/etc/ssh/ssh_host_ecdsa_key',
    });
    expect(items['FILES.ShadowPermissions']).toMatchObject({ status: 'pass' });
    expect(report.summary.passed).toBe(false);
  });

  it('an image with no OS root makes the file-based items error, never pass', async () => {
    const report = await runCheck({
      access: createMemoryGuest({ partitions: [{ type: '8200' }], filesystems: [{ type: 'swap' }] }),
      packs: [pack],
    });
    for (const item of report.items) expect(['error', 'skipped']).toContain(item.status);
  });
});
