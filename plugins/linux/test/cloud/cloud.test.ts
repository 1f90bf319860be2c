import { describe, expect, it } from 'vitest';
import type { AgentsFact, CloudInitFact, PackagesFact } from '../../src/cloud/index.js';
import { parseDpkgStatus } from '../../src/cloud/index.js';
import { factsOf, kernelsWith, okValue, rootOnly } from '../storage/helpers.js';

type Files = Record<string, unknown>;
const link = (target: string) => ({ symlink: target });

/** cloud.cfg as Debian 12's cloud-init 22.4 ships it (the parts that matter here). */
const DEBIAN_CLOUD_CFG = `# The top level settings are used as module
# and base configuration.
users:
   - default
disable_root: true
preserve_hostname: false

# The modules that run in the 'init' stage
cloud_init_modules:
 - migrator
 - seed_random
 - bootcmd
 - write-files
 - growpart
 - resizefs
 - disk_setup
 - mounts
 - set_hostname
 - update_hostname
 - update_etc_hosts
 - ca-certs
 - rsyslog
 - users-groups
 - ssh

cloud_config_modules:
 - locale
 - apt-configure
 - ntp
 - runcmd

cloud_final_modules:
 - scripts-user
 - final-message
`;

function debianWithCloudInit(
  extra: Files = {},
  units = ['cloud-init-local', 'cloud-init', 'cloud-config', 'cloud-final'],
): Files {
  return {
    '/etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
    '/usr/bin/cloud-init': { content: '#!/usr/bin/python3\n', mode: 0o755 },
    '/usr/lib/python3/dist-packages/cloudinit/version.py':
      '__VERSION__ = "22.4.2"\n_PACKAGED_VERSION = "@@PACKAGED_VERSION@@"\n',
    '/usr/bin/growpart': { content: '#!/bin/sh\n', mode: 0o755 },
    '/etc/cloud/cloud.cfg': DEBIAN_CLOUD_CFG,
    ...Object.fromEntries(
      ['cloud-init-local', 'cloud-init', 'cloud-config', 'cloud-final'].map((u) => [
        `/lib/systemd/system/${u}.service`,
        '[Unit]\n',
      ]),
    ),
    ...Object.fromEntries(
      units.map((u) => [
        `/etc/systemd/system/cloud-init.target.wants/${u}.service`,
        link(`/lib/systemd/system/${u}.service`),
      ]),
    ),
    ...extra,
  };
}

async function cloudInitOf(files: Files, kernels?: string): Promise<CloudInitFact> {
  const facts = await factsOf(
    rootOnly(files),
    ['linux.cloudInit'],
    kernels === undefined ? [] : [kernelsWith(kernels)],
  );
  return okValue<CloudInitFact>(facts['linux.cloudInit']);
}

describe('linux.cloudInit', () => {
  it('Debian 12 with cloud-init and cloud-guest-utils: installed, enabled, grows the root', async () => {
    const c = await cloudInitOf(debianWithCloudInit());
    expect(c).toMatchObject({
      installed: true,
      version: '22.4.2',
      pythonPackage: '/usr/lib/python3/dist-packages/cloudinit',
      unitsEnabled: true,
      disabledBy: null,
      active: true,
      rendersNetwork: true,
      kernelCmdline: null,
      growpart: { listed: true, mode: 'auto', devices: ['/'], enabled: true },
      resizeRootfs: { listed: true, value: 'true', enabled: true },
      onlineResize: { ok: true, by: ['cloud-init'], problems: [] },
    });
    expect(c.units.map((u) => [u.name, u.enabled])).toEqual([
      ['cloud-init-local.service', true],
      ['cloud-init.service', true],
      ['cloud-config.service', true],
      ['cloud-final.service', true],
    ]);
  });

  it('units not enabled are listed', async () => {
    const c = await cloudInitOf(debianWithCloudInit({}, ['cloud-init-local', 'cloud-final']));
    expect(c.unitsEnabled).toBe(false);
    expect(c.notEnabledUnits).toEqual(['cloud-init.service', 'cloud-config.service']);
  });

  it('a masked unit is not enabled', async () => {
    const c = await cloudInitOf(
      debianWithCloudInit({ '/etc/systemd/system/cloud-init.service': link('/dev/null') }),
    );
    expect(c.units.find((u) => u.name === 'cloud-init.service')).toMatchObject({
      enabled: false,
      masked: true,
    });
  });

  it('cloud-init 24.3+: cloud-init-main and cloud-init-network', async () => {
    const units = [
      'cloud-init-main',
      'cloud-init-local',
      'cloud-init-network',
      'cloud-config',
      'cloud-final',
    ];
    const c = await cloudInitOf(
      debianWithCloudInit(
        Object.fromEntries(units.map((u) => [`/usr/lib/systemd/system/${u}.service`, '[Unit]\n'])),
        units,
      ),
    );
    expect(c.units.map((u) => u.name)).toEqual(units.map((u) => `${u}.service`));
    expect(c.unitsEnabled).toBe(true);
  });

  it('disabled by /etc/cloud/cloud-init.disabled', async () => {
    const c = await cloudInitOf(debianWithCloudInit({ '/etc/cloud/cloud-init.disabled': '' }));
    expect(c).toMatchObject({ disabledBy: 'file', active: false, rendersNetwork: false });
    expect(c.onlineResize.problems[0]?.reason).toMatch(/disabled by \/etc\/cloud\/cloud-init.disabled/);
  });

  it('disabled by cloud-init=disabled on the default kernel command line', async () => {
    const c = await cloudInitOf(
      debianWithCloudInit(),
      'BOOT_IMAGE=/boot/vmlinuz-6.1.0-13-amd64 root=UUID=x ro cloud-init=disabled quiet',
    );
    expect(c).toMatchObject({
      disabledBy: 'cmdline',
      disabledWhere: { path: '/boot/grub/grub.cfg', line: 12 },
    });
  });

  it('cloud.cfg.d overrides in name order, with the line of the deciding key', async () => {
    const c = await cloudInitOf(
      debianWithCloudInit({
        '/etc/cloud/cloud.cfg.d/10-growpart.cfg': 'growpart:\n  mode: auto\n  devices: ["/", "/data"]\n',
        '/etc/cloud/cloud.cfg.d/90-off.cfg':
          '# the image builder turned these off\ngrowpart:\n  mode: off\nresize_rootfs: false\n',
      }),
    );
    expect(c.growpart).toMatchObject({ mode: 'off', devices: ['/', '/data'], enabled: false });
    expect(c.resizeRootfs).toMatchObject({
      value: 'false',
      enabled: false,
      where: { path: '/etc/cloud/cloud.cfg.d/90-off.cfg', line: 4 },
    });
    expect(c.onlineResize.ok).toBe(false);
    expect(c.onlineResize.problems).toEqual([
      { reason: 'growpart mode is off', path: '/etc/cloud/cloud.cfg.d/90-off.cfg', line: 3 },
      { reason: 'resize_rootfs is false', path: '/etc/cloud/cloud.cfg.d/90-off.cfg', line: 4 },
    ]);
  });

  it('growpart missing from the module list, and the growpart tool absent', async () => {
    const c = await cloudInitOf(
      debianWithCloudInit({
        '/usr/bin/growpart': link('/nonexistent'),
        '/etc/cloud/cloud.cfg': 'cloud_init_modules:\n - resizefs\n',
      }),
    );
    expect(c.onlineResize.problems.map((p) => [p.reason.slice(0, 30), p.path, p.line])).toEqual([
      ['the growpart module is not in ', '/etc/cloud/cloud.cfg', 1],
      ['the growpart tool is missing (', '/usr/bin/growpart', null],
    ]);
  });

  it('no cloud-init, but a dracut growroot module (RHEL family) or the initramfs-tools hook', async () => {
    const d = await cloudInitOf({
      '/etc/os-release': 'ID=almalinux\n',
      '/usr/lib/dracut/modules.d/50growroot/module-setup.sh': '#!/bin/bash\n',
    });
    expect(d).toMatchObject({ installed: false, onlineResize: { ok: true, by: ['dracut growroot'] } });
    const i = await cloudInitOf({
      '/etc/os-release': 'ID=ubuntu\n',
      '/usr/bin/growpart': { content: '#!/bin/sh\n', mode: 0o755 },
      '/usr/share/initramfs-tools/scripts/local-bottom/growroot': '#!/bin/sh\n',
    });
    expect(i.onlineResize).toMatchObject({ ok: true, by: ['initramfs-tools growroot'] });
  });

  it('systemd-growfs by x-systemd.growfs on the root entry', async () => {
    const c = await cloudInitOf({
      '/etc/os-release': 'ID=fedora\n',
      '/etc/fstab': 'UUID=0b9e4f4e-8a53-4c54-9b1f-6f0b0c2e0d11 / ext4 defaults,x-systemd.growfs 0 1\n',
    });
    expect(c.growroot.systemdGrowfs).toBe('/etc/fstab:1');
    expect(c.onlineResize.by).toEqual(['systemd-growfs']);
  });

  it('not installed, nothing else grows the root', async () => {
    const c = await cloudInitOf({ '/etc/os-release': 'ID=debian\n', '/lib/systemd/system/ssh.service': '' });
    expect(c).toMatchObject({
      installed: false,
      executable: null,
      active: false,
      onlineResize: { ok: false },
    });
    expect(c.onlineResize.problems).toEqual([
      { reason: 'cloud-init is not installed', path: '/usr/bin/cloud-init', line: null },
    ]);
  });

  it('Alpine: OpenRC runlevels', async () => {
    const c = await cloudInitOf({
      '/etc/os-release': 'ID=alpine\n',
      '/usr/bin/cloud-init': { content: '#!/usr/bin/python3\n', mode: 0o755 },
      '/usr/lib/python3.12/site-packages/cloudinit/__init__.py': '',
      '/etc/runlevels/boot/cloud-init-local': link('/etc/init.d/cloud-init-local'),
      '/etc/runlevels/default/cloud-init': link('/etc/init.d/cloud-init'),
      '/etc/runlevels/default/cloud-config': link('/etc/init.d/cloud-config'),
      '/etc/runlevels/default/cloud-final': link('/etc/init.d/cloud-final'),
    });
    expect(c).toMatchObject({
      installed: true,
      initSystem: 'sysvinit-or-openrc',
      unitsEnabled: true,
      pythonPackage: '/usr/lib/python3.12/site-packages/cloudinit',
    });
  });

  describe('corrupted input: throws a typed error, does not hang', () => {
    it('flip: cloud.cfg that is not YAML', async () => {
      const r = (
        await factsOf(rootOnly(debianWithCloudInit({ '/etc/cloud/cloud.cfg': 'a: [\n  b: {' })), [
          'linux.cloudInit',
        ])
      )['linux.cloudInit'];
      expect(r).toMatchObject({ status: 'unavailable', code: 'cloud-init/bad-yaml' });
    });
    it('inflate: an alias bomb in cloud.cfg.d', async () => {
      const bomb =
        'a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
      const r = (
        await factsOf(rootOnly(debianWithCloudInit({ '/etc/cloud/cloud.cfg.d/x.cfg': bomb })), [
          'linux.cloudInit',
        ])
      )['linux.cloudInit'];
      expect(r?.status).toBe('unavailable');
      expect(r).toMatchObject({ code: 'cloud-init/bad-yaml' });
    });
  });
});

describe('linux.agents', () => {
  it('Cloud Assistant from its versioned directory, enabled; Security Center installed', async () => {
    const facts = await factsOf(
      rootOnly({
        '/etc/os-release': 'ID="alinux"\nVERSION_ID="3"\n',
        '/usr/local/share/aliyun-assist/2.2.403/aliyun-service': { content: '\x7fELF', mode: 0o755 },
        '/usr/local/share/aliyun-assist/2.5.3.606/aliyun-service': { content: '\x7fELF', mode: 0o755 },
        '/usr/lib/systemd/system/aliyun.service': '[Unit]\nDescription=aliyun-assist\n',
        '/etc/systemd/system/multi-user.target.wants/aliyun.service': link(
          '/usr/lib/systemd/system/aliyun.service',
        ),
        '/usr/local/aegis/aegis_client/aegis_11_91/AliYunDun': { content: '\x7fELF', mode: 0o755 },
        '/usr/local/aegis/aegis_update/AliYunDunUpdate': { content: '\x7fELF', mode: 0o755 },
      }),
      ['linux.agents'],
    );
    const a = okValue<AgentsFact>(facts['linux.agents']);
    expect(a.cloudAssistant).toMatchObject({
      installed: true,
      binary: '/usr/local/share/aliyun-assist/2.5.3.606/aliyun-service',
      version: '2.5.3.606',
      service: { enabled: true, via: '/etc/systemd/system/multi-user.target.wants/aliyun.service' },
    });
    expect(a.securityCenter).toMatchObject({
      installed: true,
      client: '/usr/local/aegis/aegis_client/aegis_11_91',
      version: '11.91',
    });
  });

  it('neither agent', async () => {
    const a = okValue<AgentsFact>(
      (await factsOf(rootOnly({ '/etc/os-release': 'ID=debian\n' }), ['linux.agents']))['linux.agents'],
    );
    expect(a.cloudAssistant).toMatchObject({
      installed: false,
      binary: null,
      service: { present: false, enabled: false },
    });
    expect(a.securityCenter.installed).toBe(false);
  });

  it('installed in /usr/sbin but the unit not enabled', async () => {
    const a = okValue<AgentsFact>(
      (
        await factsOf(
          rootOnly({
            '/usr/sbin/aliyun-service': { content: 'x', mode: 0o755 },
            '/etc/systemd/system/aliyun.service': '[Unit]\n',
          }),
          ['linux.agents'],
        )
      )['linux.agents'],
    );
    expect(a.cloudAssistant).toMatchObject({
      installed: true,
      binary: '/usr/sbin/aliyun-service',
      service: { present: true, enabled: false },
    });
  });
});

const DPKG = `Package: cloud-init
Status: install ok installed
Priority: optional
Section: admin
Installed-Size: 2974
Maintainer: Debian Cloud Team <debian-cloud@lists.debian.org>
Architecture: all
Version: 22.4.2-1+deb12u1
Depends: fdisk | util-linux (<< 2.29.2-3~), isc-dhcp-client, python3-configobj,
 python3-jinja2, python3-jsonpatch, python3-jsonschema, python3-netifaces
Description: initialization and customization tool for cloud instances
 Cloud-init is the industry standard multi-distribution method for
 .
 cross-platform cloud instance initialization.

Package: cloud-guest-utils
Status: install ok installed
Architecture: all
Version: 0.33-1

Package: oldthing
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
`;

describe('linux.packages', () => {
  it('parses installed packages from the dpkg status file', () => {
    expect(parseDpkgStatus(DPKG)).toEqual([
      { name: 'cloud-init', version: '22.4.2-1+deb12u1', architecture: 'all', line: 1 },
      { name: 'cloud-guest-utils', version: '0.33-1', architecture: 'all', line: 16 },
    ]);
  });

  it('collects them', async () => {
    const p = okValue<PackagesFact>(
      (await factsOf(rootOnly({ '/var/lib/dpkg/status': DPKG }), ['linux.packages']))['linux.packages'],
    );
    expect(p).toMatchObject({ manager: 'dpkg', count: 2 });
  });

  it('an RPM database is reported as not read yet', async () => {
    const r = (
      await factsOf(rootOnly({ '/var/lib/rpm/rpmdb.sqlite': 'SQLite format 3\0' }), ['linux.packages'])
    )['linux.packages'];
    expect(r).toMatchObject({ status: 'unavailable', code: 'packages/rpm-unsupported' });
  });

  it('corrupted input: a line that is not a field throws a typed error', async () => {
    const r = (
      await factsOf(rootOnly({ '/var/lib/dpkg/status': `${DPKG}\n\u0000\u0001garbage\n` }), [
        'linux.packages',
      ])
    )['linux.packages'];
    expect(r).toMatchObject({ status: 'unavailable', code: 'dpkg/bad-line' });
  });
});
