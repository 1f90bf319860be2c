import { fileURLToPath } from 'node:url';
import linuxPlugin from '@imagecheck/plugin-linux';
import { loadPack } from '@imagecheck/sdk';
import { RuleTester } from '@imagecheck/sdk/testing';
import { describe, it } from 'vitest';

const pack = await loadPack(fileURLToPath(new URL('..', import.meta.url)));
RuleTester.describe = describe;
RuleTester.it = it;
// The plugin that collects these facts in a real check: the facts each case gives by hand must
// have the shape of its fact schemas.
const ruleTester = new RuleTester({ pack, plugins: [linuxPlugin] });

const OS = { os: 'linux', family: 'debian', distribution: 'debian', version: '12', architecture: 'x86_64' };

/** A linux.network value as the collector shapes it. */
function network(primary: Record<string, unknown> | null, over: Record<string, unknown> = {}) {
  return {
    'guest.os': OS,
    'linux.network': {
      stacks: [],
      activeStacks: primary === null ? [] : [primary.stack],
      interfaces: [],
      primary,
      primaryDhcp: primary?.ipv4 === 'dhcp',
      onlyInterface: true,
      cloudInitRendersNetwork: false,
      nmImplicitDefault: false,
      macPinned: [],
      regeneratedByCloudInit: [],
      summary:
        primary === null
          ? 'no configuration for the first NIC (active stacks: none)'
          : `${primary.name}: ${primary.ipv4} (${primary.stack})`,
      ...over,
    },
  };
}

const eth0 = (ipv4: string, over: Record<string, unknown> = {}) => ({
  name: 'eth0',
  stack: 'ifupdown',
  ipv4,
  address: ipv4 === 'static' ? '192.168.122.10/24' : null,
  path: '/etc/network/interfaces.d/eth0',
  line: 3,
  excerpt: `iface eth0 inet ${ipv4}`,
  source: 'config',
  ...over,
});

ruleTester.run('GUESTOS.Dhcp', {
  valid: [
    { name: 'ifupdown dhcp on eth0', facts: network(eth0('dhcp')) },
    {
      name: 'netplan dhcp4 on ens3',
      facts: network(
        eth0('dhcp', { name: 'ens3', stack: 'netplan', path: '/etc/netplan/50-cloud-init.yaml', line: 5 }),
      ),
    },
    {
      name: "NetworkManager's implicit Wired connection",
      facts: network(eth0('dhcp', { name: '*', stack: 'networkmanager', source: 'implicit' })),
    },
    {
      name: 'cloud-init renders the network',
      facts: network(eth0('dhcp', { name: '*', stack: 'cloud-init', source: 'cloud-init' }), {
        cloudInitRendersNetwork: true,
      }),
    },
  ],
  invalid: [
    {
      name: 'static address on the only interface',
      facts: network(eth0('static', { line: 11 })),
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'staticOnly', line: 11 }],
      message: /the only interface, eth0, has the static address 192.168.122.10\/24/,
    },
    {
      name: 'static primary among several interfaces',
      facts: network(
        eth0('static', { stack: 'ifcfg-rh', path: '/etc/sysconfig/network-scripts/ifcfg-eth0', line: 2 }),
        { onlyInterface: false },
      ),
      status: 'fail',
      findings: [{ messageId: 'staticPrimary', line: 2 }],
    },
    {
      name: 'no configuration at all',
      facts: network(null),
      status: 'fail',
      findings: [{ messageId: 'noConfig' }],
    },
    {
      name: 'inet manual gives no address',
      facts: network(eth0('manual')),
      status: 'fail',
      findings: [{ messageId: 'noAddress', line: 3 }],
    },
    {
      name: 'DHCP, but pinned to a MAC address (HWADDR and udev rule)',
      facts: network(
        eth0('dhcp', { stack: 'ifcfg-rh', path: '/etc/sysconfig/network-scripts/ifcfg-eth0', line: 2 }),
        {
          macPinned: [
            {
              kind: 'HWADDR',
              path: '/etc/sysconfig/network-scripts/ifcfg-eth0',
              line: 3,
              excerpt: 'HWADDR="52:54:00:9a:3b:1c"',
            },
            {
              kind: 'udev',
              path: '/etc/udev/rules.d/70-persistent-net.rules',
              line: 4,
              excerpt: 'SUBSYSTEM=="net", ATTR{address}=="52:54:00:9a:3b:1c", NAME="eth0"',
            },
          ],
        },
      ),
      status: 'warn',
      findings: [
        { messageId: 'macPinned', line: 3, status: 'warn' },
        { messageId: 'macPinned', line: 4, status: 'warn' },
      ],
    },
    {
      name: 'network configuration unreadable',
      facts: { 'guest.os': OS },
      unavailable: { 'linux.network': 'netplan/bad-yaml: /etc/netplan/50-cloud-init.yaml: unexpected end' },
      status: 'error',
    },
  ],
});
