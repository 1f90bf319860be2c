import {
  defineCollector,
  defineFact,
  type Evidence,
  type FactResult,
  type FactValue,
  type GuestTreeV2,
  Nullable,
  type Static,
  Type,
} from '@imagecheck/sdk';
import { cloudInitFact } from '../cloud/cloud-init.js';
import { fileEvidence, isExecutable, noGuest } from '../guest-files.js';
import { hasInitSystem, serviceState } from '../services.js';
import {
  type IfaceConfig,
  ifaceConfigSchema,
  ipv4MethodSchema,
  macPinSchema,
  nmAutoDefaultDisabled,
  readIfcfg,
  readIfupdown,
  readNetplan,
  readNetworkd,
  readNmKeyfiles,
  readUdevPins,
  STACKS,
  type Stack,
  type StackRead,
} from './stacks.js';

/**
 * `linux.network`: the network configuration of every stack a Linux image may use, which of them
 * will run at boot, and the configuration that will give the instance's first NIC its address
 * (the primary interface).
 *
 * A stack is active when its service is enabled (netplan: when its generator is installed, since
 * it writes the backend's configuration at every boot). The primary interface is chosen among the
 * active stacks' configurations that come up at boot and are not enslaved to a bond or bridge:
 * first one named like a cloud VM's first NIC (`eth0`, `ens3`, `ens5`, `enp0s3`, ...), then a
 * wildcard that matches any Ethernet device, then the first in file order. When two stacks
 * configure the same name and one is static, the static one is reported: it is applied too.
 * With no configuration, NetworkManager's implicit "Wired connection" (DHCP on every Ethernet
 * device unless `no-auto-default=*`) or cloud-init's rendering at boot (DHCP on the first NIC by
 * its fallback, or the datasource's configuration) provides it.
 */

const stackState = Type.Object({
  name: Type.Enum(STACKS),
  installed: Type.Boolean({ description: 'Its configuration files or tools are present.' }),
  active: Type.Boolean({ description: 'It will configure interfaces at boot.' }),
  via: Nullable(Type.String({ description: 'The enabling link, generator or fact; null when inactive.' })),
  files: Type.Array(Type.String()),
});
export type StackState = Static<typeof stackState>;

const primary = Type.Object({
  name: Type.String(),
  stack: Type.Enum(STACKS),
  ipv4: ipv4MethodSchema,
  address: Nullable(Type.String()),
  path: Type.String(),
  line: Type.Integer({ minimum: 1 }),
  excerpt: Type.String(),
  source: Type.Enum(['config', 'implicit', 'cloud-init'], {
    description:
      "`config`: a file; `implicit`: NetworkManager's default profile; `cloud-init`: rendered at boot.",
  }),
});
export type Primary = Static<typeof primary>;

export const networkFact = defineFact({
  id: 'linux.network',
  version: '1.0.0',
  description:
    'Network configuration of every stack (ifupdown, netplan, NetworkManager keyfiles, RHEL and SUSE ifcfg, systemd-networkd, cloud-init), which stacks run at boot, the primary interface and its IPv4 method, and MAC-pinned configuration.',
  schema: Type.Object({
    stacks: Type.Array(stackState),
    activeStacks: Type.Array(Type.Enum(STACKS)),
    interfaces: Type.Array(Type.Intersect([ifaceConfigSchema, Type.Object({ active: Type.Boolean() })])),
    primary: Nullable(primary),
    primaryDhcp: Type.Boolean(),
    onlyInterface: Type.Boolean({ description: 'The primary is the only interface configured at boot.' }),
    cloudInitRendersNetwork: Nullable(
      Type.Boolean({ description: 'Null when the `linux.cloudInit` fact could not be read.' }),
    ),
    nmImplicitDefault: Type.Boolean(),
    macPinned: Type.Array(macPinSchema),
    regeneratedByCloudInit: Type.Array(Type.String(), {
      description: "Configuration files cloud-init wrote and will rewrite on the instance's first boot.",
    }),
    summary: Type.String({
      description:
        'One line for reports: `eth0: dhcp (ifupdown)`, or `no configuration (active stacks: none)`.',
    }),
  }),
});

export type NetworkFact = FactValue<typeof networkFact>;

const CLOUD_NIC = /^(eth0|ens[0-9]+|enp[0-9]+s[0-9]+|enX0|eno1|enp[0-9]+s[0-9]+f[0-9]+)$/;

/** Whether a name or glob (networkd `Name=` may list several) could name a cloud VM's first NIC. */
function isWildcard(name: string): boolean {
  return (
    name === '*' ||
    name
      .split(/\s+/)
      .some((n) => /[*?[]/.test(n) && ['eth0', 'ens3', 'ens5', 'enp0s3'].some((x) => globMatch(n, x)))
  );
}

function globMatch(glob: string, s: string): boolean {
  const re = new RegExp(
    `^${glob
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(s);
}

function rank(c: IfaceConfig): number {
  if (c.name === 'eth0') return 0;
  if (CLOUD_NIC.test(c.name)) return 1;
  if (isWildcard(c.name)) return 2;
  return 3;
}

async function active(tree: GuestTreeV2, unit: string, init?: string): Promise<string | null> {
  const s = await serviceState(tree, unit, init);
  return s.enabled ? s.via : null;
}

export function choosePrimary(configs: readonly (IfaceConfig & { active: boolean })[]): {
  primary: IfaceConfig | undefined;
  count: number;
} {
  const usable = configs.filter(
    (c) =>
      c.active && c.onBoot && c.ignored === null && !c.member && c.ipv4 !== 'loopback' && c.name !== 'lo',
  );
  const names = new Set(usable.map((c) => c.name));
  if (usable.length === 0) return { primary: undefined, count: 0 };
  const best = Math.min(...usable.map(rank));
  const top = usable.filter((c) => rank(c) === best);
  const firstName = (top[0] as IfaceConfig).name;
  const same = top.filter((c) => c.name === firstName);
  return { primary: same.find((c) => c.ipv4 === 'static') ?? same[0], count: names.size };
}

export const networkCollector = defineCollector(
  networkFact,
  async (ctx): Promise<FactResult<NetworkFact>> => {
    const g = ctx.guest;
    if (g === undefined) return noGuest('linux.network');
    const ci = await ctx.fact(cloudInitFact);
    const cloudInitRenders = ci.status === 'ok' ? ci.value.rendersNetwork === true : null;

    const reads: [Stack, StackRead][] = [
      ['ifupdown', await readIfupdown(g)],
      ['netplan', await readNetplan(g)],
      ['networkmanager', await readNmKeyfiles(g)],
      ['ifcfg-rh', await readIfcfg(g, 'ifcfg-rh')],
      ['ifcfg-suse', await readIfcfg(g, 'ifcfg-suse')],
      ['networkd', await readNetworkd(g)],
    ];
    const udev = await readUdevPins(g);

    const nm = await active(g, 'NetworkManager.service');
    const netplanGen =
      (
        await Promise.all(
          ['/usr/libexec/netplan/generate', '/usr/lib/netplan/generate', '/lib/netplan/generate'].map(
            async (p) => ((await isExecutable(g, p)) ? p : null),
          ),
        )
      ).find((p) => p !== null) ?? null;
    const netplanFiles = reads[1]?.[1].files ?? [];
    const via: Record<Stack, string | null> = {
      ifupdown: await active(g, 'networking.service'),
      netplan: netplanGen !== null && netplanFiles.length > 0 ? netplanGen : null,
      networkmanager: nm,
      // NetworkManager reads ifcfg files through its ifcfg-rh plugin on RHEL 7 to 9.
      'ifcfg-rh': (await active(g, 'network.service')) ?? nm,
      'ifcfg-suse': await active(g, 'wicked.service'),
      networkd:
        (await active(g, 'systemd-networkd.service')) ??
        (netplanGen !== null && netplanFiles.length > 0 ? netplanGen : null),
      'cloud-init':
        cloudInitRenders === true
          ? ci.status === 'ok'
            ? (ci.value.configFiles?.[0] ?? '/etc/cloud/cloud.cfg')
            : null
          : null,
    };
    // With no init system configuration at all, a stack whose files are present is taken as active.
    if (!(await hasInitSystem(g))) {
      for (const [name, r] of reads)
        if (via[name] === null && r.configs.length > 0) via[name] = r.files[0] ?? null;
    }
    const stacks: StackState[] = reads.map(([name, r]) => ({
      name,
      installed: r.files.length > 0 || via[name] !== null,
      active: via[name] !== null,
      via: via[name],
      files: r.files,
    }));
    stacks.push({
      name: 'cloud-init',
      installed: ci.status === 'ok',
      active: via['cloud-init'] !== null,
      via: via['cloud-init'],
      files: ci.status === 'ok' ? [...(ci.value.configFiles ?? [])] : [],
    });

    // Files cloud-init wrote on the build machine are rewritten from the new instance's
    // metadata on its first boot (network config is applied per instance), so when cloud-init
    // renders the network their addresses and MAC matches do not carry over.
    const regenerated = new Set<string>();
    if (cloudInitRenders === true) {
      const files = new Set(reads.flatMap(([, r]) => r.files));
      for (const f of files) if (await writtenByCloudInit(g, f)) regenerated.add(f);
    }
    const interfaces = reads.flatMap(([name, r]) =>
      r.configs.map((c) => ({ ...c, active: via[name] !== null && !regenerated.has(c.path) })),
    );
    const { primary: chosen, count } = choosePrimary(interfaces);
    let primary: Primary | null = chosen === undefined ? null : { ...pick(chosen), source: 'config' };
    const autoDefault = nm === null ? null : await nmAutoDefaultDisabled(g);
    const nmHasEthernet = interfaces.some(
      (c) => (c.stack === 'networkmanager' || c.stack === 'ifcfg-rh') && c.ignored === null,
    );
    const nmImplicitDefault = nm !== null && autoDefault?.disabled === false && !nmHasEthernet;
    if (primary === null && nmImplicitDefault) {
      primary = {
        name: '*',
        stack: 'networkmanager',
        ipv4: 'dhcp',
        address: null,
        path: nm ?? '',
        line: 1,
        excerpt: '',
        source: 'implicit',
      };
    }
    if (primary === null && cloudInitRenders === true) {
      primary = {
        name: '*',
        stack: 'cloud-init',
        ipv4: 'dhcp',
        address: null,
        path: via['cloud-init'] ?? '/etc/cloud/cloud.cfg',
        line: 1,
        excerpt: '',
        source: 'cloud-init',
      };
    }
    const macPinned = [...reads.flatMap(([, r]) => r.pins), ...udev.pins].filter(
      (p) => !regenerated.has(p.path),
    );

    const evidence: Evidence[] = [];
    if (primary !== null && primary.source === 'config') {
      evidence.push(
        fileEvidence(
          primary.path,
          primary.line,
          primary.excerpt,
          `primary interface ${primary.name}: ${primary.ipv4}`,
        ),
      );
    } else if (primary !== null) {
      evidence.push(
        fileEvidence(primary.path, undefined, undefined, `primary interface by ${primary.source}: dhcp`),
      );
    }
    for (const p of macPinned) evidence.push(fileEvidence(p.path, p.line, p.excerpt, 'MAC-pinned'));
    for (const s of stacks)
      if (s.active && s.via !== null && s.name !== 'cloud-init')
        evidence.push(fileEvidence(s.via, undefined, undefined, `${s.name} active`));

    return {
      status: 'ok',
      value: {
        stacks,
        activeStacks: stacks.filter((s) => s.active).map((s) => s.name),
        interfaces,
        primary,
        primaryDhcp: primary?.ipv4 === 'dhcp',
        onlyInterface: count <= 1,
        cloudInitRendersNetwork: cloudInitRenders,
        nmImplicitDefault,
        macPinned,
        regeneratedByCloudInit: [...regenerated].sort(),
        summary:
          primary === null
            ? `no configuration for the first NIC (active stacks: ${
                stacks
                  .filter((s) => s.active)
                  .map((s) => s.name)
                  .join(', ') || 'none'
              })`
            : `${primary.name === '*' ? 'any Ethernet NIC' : primary.name}: ${primary.ipv4} (${primary.stack})`,
      },
      evidence,
    };
  },
);

/**
 * Whether cloud-init's network renderers wrote `path`: their file names (netplan
 * `50-cloud-init.yaml`, ifupdown `interfaces.d/50-cloud-init`, networkd `10-cloud-init-*.network`,
 * NM `cloud-init-*.nmconnection`) or the header the sysconfig renderer puts in ifcfg files.
 */
async function writtenByCloudInit(tree: GuestTreeV2, path: string): Promise<boolean> {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (/cloud-init/.test(base)) return true;
  if (!base.startsWith('ifcfg-')) return false;
  const head = await tree.readFile(path, { length: 256 });
  return /^# Created by cloud-init/m.test(new TextDecoder().decode(head));
}

function pick(c: IfaceConfig): Omit<Primary, 'source'> {
  return {
    name: c.name,
    stack: c.stack,
    ipv4: c.ipv4,
    address: c.address,
    path: c.path,
    line: c.line,
    excerpt: c.excerpt,
  };
}
