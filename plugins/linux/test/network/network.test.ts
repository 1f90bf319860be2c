import { describe, expect, it } from 'vitest';
import type { NetworkFact } from '../../src/network/index.js';
import { factsOf, okValue, rootOnly } from '../storage/helpers.js';

type Files = Record<string, unknown>;

async function networkOf(files: Files): Promise<NetworkFact> {
  return okValue<NetworkFact>((await factsOf(rootOnly(files), ['linux.network']))['linux.network']);
}

const link = (target: string) => ({ symlink: target });
const DEBIAN = {
  '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n',
  '/lib/systemd/system/networking.service': '[Unit]\nDescription=Raise network interfaces\n',
  '/etc/systemd/system/multi-user.target.wants/networking.service': link(
    '/lib/systemd/system/networking.service',
  ),
};
const DEBIAN_INTERFACES = `# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback
`;
const NM = {
  '/usr/lib/systemd/system/NetworkManager.service': '[Unit]\n',
  '/etc/systemd/system/multi-user.target.wants/NetworkManager.service': link(
    '/usr/lib/systemd/system/NetworkManager.service',
  ),
};
/** cloud-init as Debian/Ubuntu install it: executable, Python package, units linked into cloud-init.target. */
export const CLOUD_INIT: Files = {
  '/usr/bin/cloud-init': { content: '#!/usr/bin/python3\n', mode: 0o755 },
  '/usr/lib/python3/dist-packages/cloudinit/version.py': '__VERSION__ = "22.4.2"\n',
  ...Object.fromEntries(
    ['cloud-init-local', 'cloud-init', 'cloud-config', 'cloud-final'].flatMap((u) => [
      [`/lib/systemd/system/${u}.service`, '[Unit]\n'],
      [`/etc/systemd/system/cloud-init.target.wants/${u}.service`, link(`/lib/systemd/system/${u}.service`)],
    ]),
  ),
  '/etc/cloud/cloud.cfg': 'cloud_init_modules:\n - growpart\n - resizefs\n',
};

describe('linux.network: ifupdown (Debian, Alpine)', () => {
  it('follows `source` into interfaces.d and finds DHCP on eth0', async () => {
    const n = await networkOf({
      ...DEBIAN,
      '/etc/network/interfaces': DEBIAN_INTERFACES,
      '/etc/network/interfaces.d/eth0': '# primary\nallow-hotplug eth0\niface eth0 inet dhcp\n',
    });
    expect(n.activeStacks).toEqual(['ifupdown']);
    expect(n.primary).toMatchObject({
      name: 'eth0',
      stack: 'ifupdown',
      ipv4: 'dhcp',
      path: '/etc/network/interfaces.d/eth0',
      line: 3,
    });
    expect(n.primaryDhcp).toBe(true);
    expect(n.stacks.find((s) => s.name === 'ifupdown')?.files).toEqual([
      '/etc/network/interfaces',
      '/etc/network/interfaces.d/eth0',
    ]);
  });

  it('reports a static address on the only interface, with its line', async () => {
    const n = await networkOf({
      ...DEBIAN,
      '/etc/network/interfaces': `${DEBIAN_INTERFACES}\nauto eth0\niface eth0 inet static\n    address 192.168.122.10/24\n    gateway 192.168.122.1\n`,
    });
    expect(n.primary).toMatchObject({ name: 'eth0', ipv4: 'static', address: '192.168.122.10/24', line: 11 });
    expect(n.onlyInterface).toBe(true);
    expect(n.primaryDhcp).toBe(false);
  });

  it('source-directory reads run-parts names only, relative paths from the including file', async () => {
    const n = await networkOf({
      ...DEBIAN,
      '/etc/network/interfaces': 'source-directory interfaces.d\n',
      '/etc/network/interfaces.d/eth0': 'auto eth0\niface eth0 inet dhcp\n',
      '/etc/network/interfaces.d/eth0.dpkg-old': 'auto eth0\niface eth0 inet static\n  address 10.9.9.9/24\n',
    });
    expect(n.stacks.find((s) => s.name === 'ifupdown')?.files).toEqual([
      '/etc/network/interfaces',
      '/etc/network/interfaces.d/eth0',
    ]);
    expect(n.primary).toMatchObject({ ipv4: 'dhcp', path: '/etc/network/interfaces.d/eth0' });
  });

  it('an iface stanza without auto/allow-hotplug does not come up at boot', async () => {
    const n = await networkOf({
      ...DEBIAN,
      '/etc/network/interfaces': `${DEBIAN_INTERFACES}iface eth0 inet dhcp\n`,
    });
    expect(n.interfaces.find((i) => i.name === 'eth0')?.onBoot).toBe(false);
    expect(n.primary).toBeNull();
  });

  it('Alpine: networking enabled in the OpenRC boot runlevel', async () => {
    const n = await networkOf({
      '/etc/os-release': 'ID=alpine\n',
      '/etc/runlevels/boot/networking': link('/etc/init.d/networking'),
      '/etc/init.d/networking': { content: '#!/sbin/openrc-run\n', mode: 0o755 },
      '/etc/network/interfaces': 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n',
    });
    expect(n.stacks.find((s) => s.name === 'ifupdown')).toMatchObject({
      active: true,
      via: '/etc/runlevels/boot/networking',
    });
    expect(n.primary).toMatchObject({ name: 'eth0', ipv4: 'dhcp', line: 5 });
  });

  it('a tree with no init system configuration at all: present configuration is taken as active', async () => {
    const n = await networkOf({
      '/etc/os-release': 'ID=debian\n',
      '/etc/network/interfaces': 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n',
    });
    expect(n.stacks.find((s) => s.name === 'ifupdown')).toMatchObject({
      active: true,
      via: '/etc/network/interfaces',
    });
    expect(n.summary).toBe('eth0: dhcp (ifupdown)');
  });

  it('hwaddress in a stanza is MAC pinning', async () => {
    const n = await networkOf({
      ...DEBIAN,
      '/etc/network/interfaces': 'auto eth0\niface eth0 inet dhcp\n  hwaddress ether 52:54:00:12:34:56\n',
    });
    expect(n.macPinned).toEqual([
      {
        kind: 'hwaddress',
        path: '/etc/network/interfaces',
        line: 3,
        excerpt: 'hwaddress ether 52:54:00:12:34:56',
      },
    ]);
  });
});

describe('linux.network: netplan (Ubuntu)', () => {
  const UBUNTU = {
    '/etc/os-release': 'ID=ubuntu\nVERSION_ID="24.04"\n',
    '/usr/libexec/netplan/generate': { content: '\x7fELF', mode: 0o755 },
  };
  it('reads 50-cloud-init.yaml: DHCP on the MAC-matched NIC, and reports the MAC match', async () => {
    const n = await networkOf({
      ...UBUNTU,
      '/etc/netplan/50-cloud-init.yaml': `# This file is generated from information provided by the datasource.
network:
    ethernets:
        ens3:
            dhcp4: true
            match:
                macaddress: fa:16:3e:2b:7c:01
            set-name: ens3
    version: 2
`,
    });
    expect(n.activeStacks).toEqual(['netplan', 'networkd']);
    expect(n.primary).toMatchObject({ name: 'ens3', stack: 'netplan', ipv4: 'dhcp', line: 5 });
    expect(n.macPinned).toEqual([
      {
        kind: 'macaddress',
        path: '/etc/netplan/50-cloud-init.yaml',
        line: 7,
        excerpt: 'macaddress: fa:16:3e:2b:7c:01',
      },
    ]);
  });

  it('with cloud-init rendering the network, its own 50-cloud-init.yaml (static, MAC-matched) is rewritten at first boot', async () => {
    const n = await networkOf({
      ...UBUNTU,
      ...CLOUD_INIT,
      '/etc/netplan/50-cloud-init.yaml':
        'network:\n  version: 2\n  ethernets:\n    ens3:\n      addresses: [192.168.1.7/24]\n      match:\n        macaddress: fa:16:3e:2b:7c:01\n      set-name: ens3\n',
    });
    expect(n.regeneratedByCloudInit).toEqual(['/etc/netplan/50-cloud-init.yaml']);
    expect(n.macPinned).toEqual([]);
    expect(n.primary).toMatchObject({ stack: 'cloud-init', ipv4: 'dhcp' });
    expect(n.summary).toBe('any Ethernet NIC: dhcp (cloud-init)');
  });

  it('merges files in name order: a later dhcp4 overrides an earlier static address', async () => {
    const base = `network:\n  version: 2\n  renderer: networkd\n  ethernets:\n    eth0:\n      addresses: [10.0.0.5/24]\n      routes:\n        - to: default\n          via: 10.0.0.1\n`;
    const n1 = await networkOf({ ...UBUNTU, '/etc/netplan/01-netcfg.yaml': base });
    expect(n1.primary).toMatchObject({
      ipv4: 'static',
      address: '10.0.0.5/24',
      path: '/etc/netplan/01-netcfg.yaml',
      line: 6,
    });
    const n2 = await networkOf({
      ...UBUNTU,
      '/etc/netplan/01-netcfg.yaml': base,
      '/etc/netplan/99-dhcp.yaml': 'network:\n  ethernets:\n    eth0:\n      dhcp4: yes\n',
    });
    expect(n2.primary).toMatchObject({ ipv4: 'dhcp', path: '/etc/netplan/99-dhcp.yaml', line: 4 });
  });

  it('a bond member has no address of its own: the bond is the primary', async () => {
    const n = await networkOf({
      ...UBUNTU,
      '/etc/netplan/10-bond.yaml':
        'network:\n  version: 2\n  ethernets:\n    eno1: {}\n    eno2: {}\n  bonds:\n    bond0:\n      interfaces: [eno1, eno2]\n      dhcp4: true\n',
    });
    expect(n.primary).toMatchObject({ name: 'bond0', ipv4: 'dhcp' });
  });

  it('invalid YAML is a typed error', async () => {
    const r = (
      await factsOf(rootOnly({ ...UBUNTU, '/etc/netplan/a.yaml': 'network: [\n' }), ['linux.network'])
    )['linux.network'];
    expect(r).toMatchObject({ status: 'unavailable', code: 'netplan/bad-yaml' });
  });

  it('an alias bomb is refused, not expanded', async () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nnetwork:\n  ethernets:\n    eth0: {dhcp4: true, x: [*d, *d, *d, *d, *d, *d, *d, *d, *d]}\n`;
    const r = (await factsOf(rootOnly({ ...UBUNTU, '/etc/netplan/a.yaml': bomb }), ['linux.network']))[
      'linux.network'
    ];
    expect(r?.status).toBe('unavailable');
    expect(r).toMatchObject({ code: 'netplan/bad-yaml' });
  });
});

describe('linux.network: NetworkManager (RHEL 9, Rocky, Alibaba Cloud Linux 3)', () => {
  const RHEL9 = { '/etc/os-release': 'ID="rocky"\nVERSION_ID="9.3"\n', ...NM };
  it('keyfile with method=auto', async () => {
    const n = await networkOf({
      ...RHEL9,
      '/etc/NetworkManager/system-connections/eth0.nmconnection': {
        content:
          '[connection]\nid=eth0\nuuid=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\ntype=ethernet\ninterface-name=eth0\n\n[ethernet]\n\n[ipv4]\nmethod=auto\n\n[ipv6]\naddr-gen-mode=eui64\nmethod=auto\n',
        mode: 0o600,
      },
    });
    expect(n.primary).toMatchObject({ name: 'eth0', stack: 'networkmanager', ipv4: 'dhcp', line: 10 });
    expect(n.nmImplicitDefault).toBe(false);
  });

  it('keyfile with method=manual and a MAC address', async () => {
    const n = await networkOf({
      ...RHEL9,
      '/etc/NetworkManager/system-connections/Wired.nmconnection': {
        content:
          '[connection]\nid=Wired\ntype=ethernet\n\n[ethernet]\nmac-address=52:54:00:AA:BB:CC\n\n[ipv4]\naddress1=172.16.0.9/24,172.16.0.1\nmethod=manual\n',
        mode: 0o600,
      },
    });
    expect(n.primary).toMatchObject({ name: '*', ipv4: 'static', address: '172.16.0.9', line: 10 });
    expect(n.macPinned.map((p) => [p.kind, p.line])).toEqual([['mac-address', 6]]);
  });

  it('a keyfile readable by others is ignored by NM; its implicit default gives DHCP', async () => {
    const n = await networkOf({
      ...RHEL9,
      '/etc/NetworkManager/system-connections/eth0.nmconnection': {
        content: '[connection]\ntype=ethernet\n[ipv4]\nmethod=manual\naddress1=10.1.1.1/24\n',
        mode: 0o644,
      },
    });
    expect(n.interfaces[0]?.ignored).toMatch(/mode 644/);
    expect(n.nmImplicitDefault).toBe(true);
    expect(n.primary).toMatchObject({ stack: 'networkmanager', source: 'implicit', ipv4: 'dhcp' });
  });

  it('no-auto-default=* turns the implicit default off', async () => {
    const n = await networkOf({
      ...RHEL9,
      '/etc/NetworkManager/conf.d/00-no-auto.conf': '[main]\nno-auto-default=*\n',
    });
    expect(n.nmImplicitDefault).toBe(false);
    expect(n.primary).toBeNull();
  });
});

describe('linux.network: ifcfg (CentOS 7, SLES/openSUSE)', () => {
  it('CentOS 7: BOOTPROTO=dhcp with HWADDR, network service from rc3.d', async () => {
    const n = await networkOf({
      '/etc/os-release': 'ID="centos"\nVERSION_ID="7"\n',
      '/etc/rc.d/rc3.d/S10network': link('../init.d/network'),
      '/etc/rc.d/init.d/network': { content: '#!/bin/bash\n', mode: 0o755 },
      '/etc/sysconfig/network-scripts/ifcfg-lo': 'DEVICE=lo\nIPADDR=127.0.0.1\n',
      '/etc/sysconfig/network-scripts/ifcfg-eth0':
        'DEVICE="eth0"\nBOOTPROTO="dhcp"\nHWADDR="52:54:00:9a:3b:1c"\nONBOOT="yes"\nTYPE="Ethernet"\n',
    });
    expect(n.activeStacks).toEqual(['ifcfg-rh']);
    expect(n.primary).toMatchObject({ name: 'eth0', stack: 'ifcfg-rh', ipv4: 'dhcp', line: 2 });
    expect(n.macPinned).toEqual([
      {
        kind: 'HWADDR',
        path: '/etc/sysconfig/network-scripts/ifcfg-eth0',
        line: 3,
        excerpt: 'HWADDR="52:54:00:9a:3b:1c"',
      },
    ]);
  });

  it('CentOS 7: BOOTPROTO=none with IPADDR is static', async () => {
    const n = await networkOf({
      '/etc/os-release': 'ID="centos"\n',
      ...NM,
      '/etc/sysconfig/network-scripts/ifcfg-eth0':
        'TYPE=Ethernet\nBOOTPROTO=none\nIPADDR=10.0.2.15\nPREFIX=24\nDEVICE=eth0\nONBOOT=yes\n',
    });
    expect(n.primary).toMatchObject({ ipv4: 'static', address: '10.0.2.15', line: 2 });
  });

  it("SLES 15: BOOTPROTO='dhcp', STARTMODE='auto', wicked enabled", async () => {
    const n = await networkOf({
      '/etc/os-release': 'ID="sles"\nVERSION_ID="15.5"\n',
      '/usr/lib/systemd/system/wicked.service': '[Unit]\n',
      '/etc/systemd/system/multi-user.target.wants/wicked.service': link(
        '/usr/lib/systemd/system/wicked.service',
      ),
      '/etc/systemd/system/network.service': link('/usr/lib/systemd/system/wicked.service'),
      '/etc/sysconfig/network/ifcfg-eth0':
        "BOOTPROTO='dhcp'\nSTARTMODE='auto'\nDHCLIENT_SET_HOSTNAME='yes'\n",
      '/etc/sysconfig/network/ifcfg-lo': "IPADDR='127.0.0.1/8'\nSTARTMODE='nfsroot'\nBOOTPROTO='static'\n",
    });
    expect(n.activeStacks).toEqual(['ifcfg-suse']);
    expect(n.primary).toMatchObject({ name: 'eth0', stack: 'ifcfg-suse', ipv4: 'dhcp', line: 1 });
  });
});

describe('linux.network: systemd-networkd, udev, cloud-init', () => {
  const NETWORKD = {
    '/lib/systemd/system/systemd-networkd.service': '[Unit]\n',
    '/etc/systemd/system/multi-user.target.wants/systemd-networkd.service': link(
      '/lib/systemd/system/systemd-networkd.service',
    ),
  };
  it('DHCP=yes on a Name=en* match', async () => {
    const n = await networkOf({
      '/etc/os-release': 'ID=debian\n',
      ...NETWORKD,
      '/etc/systemd/network/20-wired.network': '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n',
      '/lib/systemd/network/80-container-host0.network':
        '[Match]\nVirtualization=container\nName=host0\n\n[Network]\nDHCP=yes\n',
    });
    expect(n.primary).toMatchObject({ name: 'en* eth*', stack: 'networkd', ipv4: 'dhcp', line: 5 });
    expect(n.interfaces).toHaveLength(1);
  });

  it("systemd's own container and VM-tunnel files do not configure the NIC", async () => {
    const n = await networkOf({
      '/etc/os-release': 'ID=debian\n',
      ...NETWORKD,
      '/usr/lib/systemd/network/80-container-ve.network':
        '[Match]\nName=ve-*\nDriver=veth\n\n[Network]\nDHCPServer=yes\n',
      '/usr/lib/systemd/network/80-container-vz.network':
        '[Match]\nName=vz-*\nDriver=bridge\n\n[Network]\nDHCP=yes\n',
      '/usr/lib/systemd/network/80-vm-vt.network': '[Match]\nName=vt-*\nDriver=tun\n\n[Network]\nDHCP=yes\n',
    });
    expect(n.interfaces).toEqual([]);
    expect(n.primary).toBeNull();
  });

  it('DHCP=ipv6 with Address= is static for IPv4; MACAddress= in [Match] is pinning', async () => {
    const n = await networkOf({
      '/etc/os-release': 'ID=debian\n',
      ...NETWORKD,
      '/etc/systemd/network/10-eth0.network':
        '[Match]\nMACAddress=52:54:00:01:02:03\n\n[Network]\nDHCP=ipv6\nAddress=192.0.2.7/24\n',
    });
    expect(n.primary).toMatchObject({ ipv4: 'static', address: '192.0.2.7/24', line: 6 });
    expect(n.macPinned.map((p) => [p.kind, p.line])).toEqual([['MACAddress', 2]]);
  });

  it('persistent-net udev rules are MAC pinning', async () => {
    const n = await networkOf({
      ...DEBIAN,
      '/etc/network/interfaces': 'auto eth0\niface eth0 inet dhcp\n',
      '/etc/udev/rules.d/70-persistent-net.rules':
        '# This file was automatically generated by the /lib/udev/write_net_rules\n\n# PCI device 0x1af4:0x1000 (virtio-pci)\nSUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="52:54:00:12:34:56", ATTR{dev_id}=="0x0", ATTR{type}=="1", KERNEL=="eth*", NAME="eth0"\n',
    });
    expect(n.macPinned).toEqual([expect.objectContaining({ kind: 'udev', line: 4 })]);
  });

  it('no configuration, but cloud-init renders the network at boot', async () => {
    const n = await networkOf({ ...DEBIAN, ...CLOUD_INIT });
    expect(n.cloudInitRendersNetwork).toBe(true);
    expect(n.primary).toMatchObject({ stack: 'cloud-init', source: 'cloud-init', ipv4: 'dhcp' });
  });

  it('cloud-init with network: {config: disabled} renders nothing', async () => {
    const n = await networkOf({
      ...DEBIAN,
      ...CLOUD_INIT,
      '/etc/cloud/cloud.cfg.d/99-disable-network-config.cfg': 'network: {config: disabled}\n',
    });
    expect(n.cloudInitRendersNetwork).toBe(false);
    expect(n.primary).toBeNull();
  });

  it('no configuration at all', async () => {
    const n = await networkOf({ '/etc/os-release': 'ID=debian\n' });
    expect(n).toMatchObject({ primary: null, primaryDhcp: false, activeStacks: [] });
  });

  describe('corrupted input: throws a typed error, does not hang', () => {
    it('loop: an interfaces file that sources itself is read once', async () => {
      const n = await networkOf({
        ...DEBIAN,
        '/etc/network/interfaces': 'source /etc/network/interfaces\nauto eth0\niface eth0 inet dhcp\n',
      });
      expect(n.primary).toMatchObject({ ipv4: 'dhcp' });
    });
    it('loop: source chains deeper than the cap', async () => {
      const files: Files = { ...DEBIAN, '/etc/network/interfaces': 'source /etc/network/d/0\n' };
      for (let i = 0; i < 12; i++) files[`/etc/network/d/${i}`] = `source /etc/network/d/${i + 1}\n`;
      const r = (await factsOf(rootOnly(files), ['linux.network']))['linux.network'];
      expect(r).toMatchObject({ status: 'unavailable', code: 'ifupdown/source-too-deep' });
    });
    it('inflate: a .wants directory with more links than any system has', async () => {
      const files: Files = { ...DEBIAN, '/etc/network/interfaces': 'auto eth0\niface eth0 inet dhcp\n' };
      for (let i = 0; i < 5000; i++)
        files[`/etc/systemd/system/multi-user.target.wants/u${i}.service`] = link('/dev/null');
      const r = (await factsOf(rootOnly(files), ['linux.network']))['linux.network'];
      expect(r).toMatchObject({ status: 'unavailable', code: 'linux/too-many-entries' });
    });
    it('inflate: an ifcfg file of a million assignments', async () => {
      const r = (
        await factsOf(
          rootOnly({ ...NM, '/etc/sysconfig/network-scripts/ifcfg-eth0': 'A=1\n'.repeat(100_000) }),
          ['linux.network'],
        )
      )['linux.network'];
      expect(r).toMatchObject({ status: 'unavailable', code: 'linux/config-too-long' });
    });
  });
});
