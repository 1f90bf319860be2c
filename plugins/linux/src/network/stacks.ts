import { FormatError, type GuestTreeV2, Nullable, type Static, Type } from '@imagecheck/sdk';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import { globConfig, readOptional } from '../guest-files.js';
import { lastByKey, parseIni, parseShellVars } from './syntax.js';

/**
 * Readers of each network configuration stack a Linux cloud image may use. Each returns the
 * interface configurations it finds, with the file and line that decides the IPv4 method, and
 * the MAC-pinning lines (configuration that only applies to one network card's address, which a
 * new instance does not have).
 */

// The shapes below are part of the `linux.network` fact: its schema is built from them.
export const STACKS = [
  'ifupdown',
  'netplan',
  'networkmanager',
  'ifcfg-rh',
  'ifcfg-suse',
  'networkd',
  'cloud-init',
] as const;
export type Stack = (typeof STACKS)[number];

export const ipv4MethodSchema = Type.Enum(['dhcp', 'static', 'manual', 'disabled', 'loopback'], {
  description: 'How an interface gets its IPv4 address.',
});
/** How an interface gets its IPv4 address. */
export type Ipv4Method = Static<typeof ipv4MethodSchema>;

export const ifaceConfigSchema = Type.Object({
  stack: Type.Enum(STACKS),
  name: Type.String({ description: 'Interface name, or a glob (`en*`), or `*` for "any Ethernet device".' }),
  ipv4: ipv4MethodSchema,
  address: Nullable(Type.String()),
  onBoot: Type.Boolean({
    description: 'Brought up at boot (ifupdown `auto`/`allow-hotplug`, ONBOOT, STARTMODE, autoconnect).',
  }),
  ignored: Nullable(
    Type.String({
      description:
        'Why the stack itself will not use this file (NetworkManager refuses group/world-readable keyfiles).',
    }),
  ),
  member: Type.Boolean({ description: 'Enslaved to a bond or bridge: the address is on the master.' }),
  path: Type.String(),
  line: Type.Integer({ minimum: 1 }),
  excerpt: Type.String(),
});
export type IfaceConfig = Static<typeof ifaceConfigSchema>;

export const macPinSchema = Type.Object({
  kind: Type.Enum([
    'HWADDR',
    'MACADDR',
    'LLADDR',
    'hwaddress',
    'macaddress',
    'mac-address',
    'MACAddress',
    'udev',
  ]),
  path: Type.String(),
  line: Type.Integer({ minimum: 1 }),
  excerpt: Type.String(),
});
export type MacPin = Static<typeof macPinSchema>;

export interface StackRead {
  readonly configs: IfaceConfig[];
  readonly pins: MacPin[];
  readonly files: string[];
}

const empty = (): StackRead => ({ configs: [], pins: [], files: [] });
/** Files included through ifupdown `source` statements, in all; and nesting depth. */
const MAX_IFUPDOWN_FILES = 256;
const MAX_IFUPDOWN_DEPTH = 8;
/** Interfaces one netplan document may define. */
const MAX_NETPLAN_DEVICES = 1024;

// ---------------------------------------------------------------------------------------------
// ifupdown: interfaces(5).

const STANZA = /^(iface|mapping|auto|allow-[a-z-]+|source|source-directory|rename|no-auto-down|no-scripts)\b/;

export async function readIfupdown(tree: GuestTreeV2): Promise<StackRead> {
  const out = empty();
  const onBoot = new Set<string>();
  const pending: {
    name: string;
    family: string;
    method: string;
    path: string;
    line: number;
    excerpt: string;
    address: string | null;
  }[] = [];
  const visited = new Set<string>();

  async function readFile(path: string, depth: number): Promise<void> {
    if (depth > MAX_IFUPDOWN_DEPTH) {
      throw new FormatError(
        'ifupdown/source-too-deep',
        `source statements nest deeper than ${MAX_IFUPDOWN_DEPTH} at ${path}`,
        {
          data: { path, cap: MAX_IFUPDOWN_DEPTH },
        },
      );
    }
    if (visited.has(path)) return; // a file sourcing itself (or a cycle) is read once, as ifup does
    if (visited.size >= MAX_IFUPDOWN_FILES) {
      throw new FormatError('ifupdown/too-many-files', `more than ${MAX_IFUPDOWN_FILES} files sourced`, {
        data: { path, cap: MAX_IFUPDOWN_FILES },
      });
    }
    visited.add(path);
    const text = await readOptional(tree, path);
    if (text === undefined) return;
    out.files.push(path);
    const dir = path.slice(0, path.lastIndexOf('/')) || '/';
    let current: (typeof pending)[number] | undefined;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const startLine = i + 1;
      let line = (lines[i] ?? '').trim();
      while (line.endsWith('\\') && i + 1 < lines.length) {
        i++;
        line = `${line.slice(0, -1)} ${(lines[i] ?? '').trim()}`;
      }
      if (line === '' || line.startsWith('#')) continue;
      const words = line.split(/\s+/);
      const head = words[0] ?? '';
      if (STANZA.test(head)) current = undefined;
      if (head === 'auto' || head === 'allow-auto' || head === 'allow-hotplug') {
        for (const w of words.slice(1)) onBoot.add(w);
      } else if (head === 'iface' && words.length >= 4) {
        current = {
          name: words[1] ?? '',
          family: words[2] ?? '',
          method: words[3] ?? '',
          path,
          line: startLine,
          excerpt: line,
          address: null,
        };
        pending.push(current);
      } else if (head === 'source' || head === 'source-directory') {
        const arg = words.slice(1).join(' ');
        const abs = arg.startsWith('/') ? arg : `${dir}/${arg}`;
        const pattern = head === 'source' ? abs : `${abs.replace(/\/$/, '')}/*`;
        for (const p of await globConfig(tree, pattern)) {
          // source-directory follows run-parts(8) naming: letters, digits, `_` and `-` only.
          if (head === 'source-directory' && !/^[A-Za-z0-9_-]+$/.test(p.slice(p.lastIndexOf('/') + 1)))
            continue;
          await readFile(p, depth + 1);
        }
      } else if (current !== undefined) {
        if (head === 'address' && words[1] !== undefined) current.address = words[1];
        if (head === 'hwaddress') out.pins.push({ kind: 'hwaddress', path, line: startLine, excerpt: line });
      }
    }
  }

  await readFile('/etc/network/interfaces', 0);
  for (const p of pending) {
    if (p.family !== 'inet') continue; // inet6 and ipx do not give the instance its IPv4 address
    const ipv4: Ipv4Method =
      p.method === 'dhcp' || p.method === 'bootp'
        ? 'dhcp'
        : p.method === 'static'
          ? 'static'
          : p.method === 'loopback'
            ? 'loopback'
            : 'manual';
    out.configs.push({
      stack: 'ifupdown',
      name: p.name,
      ipv4,
      address: p.address,
      onBoot: onBoot.has(p.name),
      ignored: null,
      member: false,
      path: p.path,
      line: p.line,
      excerpt: p.excerpt,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// netplan: netplan(5) YAML. Files from /lib, /etc and /run/netplan; a name in a later directory
// shadows the same name in an earlier one; the survivors are merged in lexical order of name.

const NETPLAN_DIRS = ['/lib/netplan', '/usr/lib/netplan', '/etc/netplan', '/run/netplan'];
const DEVICE_GROUPS = ['ethernets', 'bonds', 'bridges', 'vlans'] as const;

interface NetplanDevice {
  id: string;
  group: string;
  name: string;
  dhcp4: boolean | undefined;
  addresses: string[] | undefined;
  members: string[];
  path: string;
  line: number;
  excerpt: string;
}

function truthyYaml(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return ['true', 'yes', 'on', 'y'].includes(v.toLowerCase());
  return undefined;
}

export async function readNetplan(tree: GuestTreeV2): Promise<StackRead> {
  const out = empty();
  const byName = new Map<string, string>();
  for (const dir of NETPLAN_DIRS) {
    for (const p of await globConfig(tree, `${dir}/*.yaml`)) byName.set(p.slice(p.lastIndexOf('/') + 1), p);
  }
  const devices = new Map<string, NetplanDevice>();
  for (const name of [...byName.keys()].sort()) {
    const path = byName.get(name) as string;
    const text = await readOptional(tree, path);
    if (text === undefined) continue;
    out.files.push(path);
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false });
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new FormatError('netplan/bad-yaml', `${path}: ${e?.message.split('\n')[0] ?? 'invalid YAML'}`, {
        data: { path, line: e?.linePos?.[0]?.line },
      });
    }
    const lines = text.split('\n');
    const lineOf = (node: unknown): number => {
      const r = (node as { range?: [number, number, number] } | null)?.range;
      return r === undefined ? 1 : lc.linePos(r[0]).line;
    };
    const network = doc.get('network', true);
    if (!isMap(network)) continue;
    // Aliases are expanded with a cap, so a "billion laughs" document cannot exhaust memory.
    let whole: { network?: Record<string, Record<string, Record<string, unknown>>> };
    try {
      whole = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // The yaml package refuses an alias bomb with a plain ReferenceError: damage, not a bug.
      throw new FormatError('netplan/bad-yaml', `${path}: ${(err as Error).message}`, {
        data: { path },
        cause: err,
      });
    }
    for (const group of DEVICE_GROUPS) {
      const g = network.get(group, true);
      if (!isMap(g)) continue;
      for (const pair of g.items) {
        const id = isScalar(pair.key) ? String(pair.key.value) : '';
        const node = pair.value;
        if (!isMap(node)) continue;
        if (devices.size >= MAX_NETPLAN_DEVICES && !devices.has(id)) {
          throw new FormatError(
            'netplan/too-many-devices',
            `${path} defines more than ${MAX_NETPLAN_DEVICES} devices`,
            {
              data: { path, cap: MAX_NETPLAN_DEVICES },
            },
          );
        }
        const dev = devices.get(id) ?? {
          id,
          group,
          name: id,
          dhcp4: undefined,
          addresses: undefined,
          members: [],
          path,
          line: lineOf(pair.key),
          excerpt: (lines[lineOf(pair.key) - 1] ?? '').trim(),
        };
        const m = node as YAMLMap;
        const js = whole.network?.[group]?.[id] ?? {};
        if ('dhcp4' in js) {
          dev.dhcp4 = truthyYaml(js.dhcp4);
          const n = m.get('dhcp4', true);
          dev.path = path;
          dev.line = lineOf(n);
          dev.excerpt = (lines[dev.line - 1] ?? '').trim();
        }
        if (Array.isArray(js.addresses)) {
          dev.addresses = js.addresses.map((a) =>
            typeof a === 'object' && a !== null ? (Object.keys(a)[0] ?? '') : String(a),
          );
          if (dev.dhcp4 !== true) {
            const n = m.get('addresses', true);
            dev.path = path;
            dev.line = lineOf(isSeq(n) ? (n.items[0] ?? n) : n);
            dev.excerpt = (lines[dev.line - 1] ?? '').trim();
          }
        }
        const match = js.match as Record<string, unknown> | undefined;
        if (typeof js['set-name'] === 'string') dev.name = js['set-name'];
        else if (match !== undefined && typeof match.name === 'string') dev.name = match.name;
        else if (match !== undefined) dev.name = '*';
        if (match !== undefined && typeof match.macaddress === 'string') {
          const mm = m.get('match', true);
          const mac = isMap(mm) ? mm.get('macaddress', true) : undefined;
          const l = lineOf(mac ?? mm);
          out.pins.push({ kind: 'macaddress', path, line: l, excerpt: (lines[l - 1] ?? '').trim() });
        }
        if (Array.isArray(js.interfaces)) dev.members = js.interfaces.map(String);
        devices.set(id, dev);
      }
    }
  }
  const members = new Set([...devices.values()].flatMap((d) => d.members));
  for (const d of devices.values()) {
    const v4 = (d.addresses ?? []).filter((a) => !a.includes(':'));
    out.configs.push({
      stack: 'netplan',
      name: d.name,
      ipv4: d.dhcp4 === true ? 'dhcp' : v4.length > 0 ? 'static' : 'manual',
      address: v4[0] ?? null,
      onBoot: true,
      ignored: null,
      member: members.has(d.id),
      path: d.path,
      line: d.line,
      excerpt: d.excerpt,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// NetworkManager keyfiles: nm-settings-keyfile(5).

const NM_DIRS = [
  '/etc/NetworkManager/system-connections',
  '/usr/lib/NetworkManager/system-connections',
  '/run/NetworkManager/system-connections',
];
const NM_TYPES = new Set(['ethernet', '802-3-ethernet', 'bond', 'bridge', 'vlan', 'team']);

export async function readNmKeyfiles(tree: GuestTreeV2): Promise<StackRead> {
  const out = empty();
  for (const dir of NM_DIRS) {
    for (const path of await globConfig(tree, `${dir}/*`)) {
      // NM reads every file there except backups and temporaries (keyfile plugin's ignore list).
      if (/(~|\.bak|\.orig|\.rej|\.swp|\.tmp|\.rpmnew|\.rpmsave|\.dpkg-[a-z]+)$/.test(path)) continue;
      const text = await readOptional(tree, path);
      if (text === undefined) continue;
      out.files.push(path);
      const st = await tree.stat(path);
      const ini = parseIni(text, path);
      const get = (s: string, k: string) => ini.filter((e) => e.section === s && e.key === k).pop();
      const type = get('connection', 'type')?.value ?? '';
      const master = get('connection', 'master') ?? get('connection', 'controller');
      if (!NM_TYPES.has(type)) continue;
      const method = get('ipv4', 'method');
      const ipv4: Ipv4Method =
        method === undefined || method.value === 'auto'
          ? 'dhcp'
          : method.value === 'manual'
            ? 'static'
            : method.value === 'disabled'
              ? 'disabled'
              : 'manual';
      const addr = ini.find((e) => e.section === 'ipv4' && /^address\d*$/.test(e.key));
      const mac = get('ethernet', 'mac-address') ?? get('802-3-ethernet', 'mac-address');
      if (mac !== undefined && mac.value !== '')
        out.pins.push({ kind: 'mac-address', path, line: mac.line, excerpt: mac.excerpt });
      const conn = ini.find((e) => e.section === 'connection') ?? ini[0];
      const decisive = method ?? conn;
      out.configs.push({
        stack: 'networkmanager',
        name: get('connection', 'interface-name')?.value || '*',
        ipv4,
        address: addr?.value.split(/[,/]/)[0] ?? null,
        onBoot: get('connection', 'autoconnect')?.value.toLowerCase() !== 'false',
        ignored:
          (st.mode & 0o077) !== 0 || st.uid !== 0
            ? `NetworkManager ignores keyfiles not owned by root or open to group/others (mode ${(st.mode & 0o777).toString(8)}, uid ${st.uid})`
            : null,
        member: master !== undefined && master.value !== '',
        path,
        line: decisive?.line ?? 1,
        excerpt: decisive?.excerpt ?? '',
      });
    }
  }
  return out;
}

/** Whether NetworkManager's `no-auto-default=*` turns off its implicit "Wired connection" profile. */
export async function nmAutoDefaultDisabled(
  tree: GuestTreeV2,
): Promise<{ disabled: boolean; path: string | null; line: number | null }> {
  const files = [
    '/etc/NetworkManager/NetworkManager.conf',
    ...(await globConfig(tree, '/etc/NetworkManager/conf.d/*.conf')),
    ...(await globConfig(tree, '/usr/lib/NetworkManager/conf.d/*.conf')),
  ];
  let found: { disabled: boolean; path: string | null; line: number | null } = {
    disabled: false,
    path: null,
    line: null,
  };
  for (const path of files) {
    const text = await readOptional(tree, path);
    if (text === undefined) continue;
    for (const e of parseIni(text, path)) {
      if (e.section === 'main' && e.key === 'no-auto-default') {
        found = {
          disabled: e.value
            .split(/[,;]/)
            .map((s) => s.trim())
            .includes('*'),
          path,
          line: e.line,
        };
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// ifcfg files: RHEL initscripts (/etc/sysconfig/network-scripts, sysconfig.txt) and SUSE wicked
// (/etc/sysconfig/network, ifcfg(5)).

const IFCFG_SKIP = /(~|\.bak|\.orig|\.old|\.rpmnew|\.rpmsave|\.save)$|^ifcfg-lo$/;

export async function readIfcfg(tree: GuestTreeV2, flavour: 'ifcfg-rh' | 'ifcfg-suse'): Promise<StackRead> {
  const out = empty();
  const dir = flavour === 'ifcfg-rh' ? '/etc/sysconfig/network-scripts' : '/etc/sysconfig/network';
  for (const path of await globConfig(tree, `${dir}/ifcfg-*`)) {
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (IFCFG_SKIP.test(base)) continue;
    const text = await readOptional(tree, path);
    if (text === undefined) continue;
    out.files.push(path);
    const vars = parseShellVars(text, path);
    const v = lastByKey(vars);
    const val = (k: string) => v.get(k)?.value ?? '';
    const device = val('DEVICE') || base.slice('ifcfg-'.length);
    if (device === 'lo') continue;
    const proto = v.get('BOOTPROTO');
    const bp = (proto?.value ?? '').toLowerCase();
    const addrVar = vars.find((x) => /^IPADDR\d*$/.test(x.key) && x.value !== '' && !x.value.includes(':'));
    const ipv4: Ipv4Method =
      bp.startsWith('dhcp') || bp === 'bootp' ? 'dhcp' : addrVar !== undefined ? 'static' : 'manual';
    let onBoot: boolean;
    if (flavour === 'ifcfg-rh') onBoot = !/^(no|false|0)$/i.test(val('ONBOOT') || 'yes');
    else onBoot = /^(auto|hotplug|onboot|on|boot|nfsroot)$/i.test(val('STARTMODE') || 'manual');
    for (const key of ['HWADDR', 'MACADDR', 'LLADDR'] as const) {
      const pin = v.get(key);
      if (pin !== undefined && pin.value !== '')
        out.pins.push({ kind: key, path, line: pin.line, excerpt: pin.excerpt });
    }
    const decisive =
      ipv4 === 'static' && bp !== 'static' && proto === undefined ? addrVar : (proto ?? addrVar);
    out.configs.push({
      stack: flavour,
      name: device,
      ipv4,
      address: addrVar?.value ?? null,
      onBoot,
      ignored: null,
      member: val('MASTER') !== '' || val('BRIDGE') !== '' || val('SLAVE').toLowerCase() === 'yes',
      path,
      line: decisive?.line ?? 1,
      excerpt: decisive?.excerpt ?? '',
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// systemd-networkd: systemd.network(5); .link files: systemd.link(5).

const NETWORKD_DIRS = [
  '/lib/systemd/network',
  '/usr/lib/systemd/network',
  '/run/systemd/network',
  '/etc/systemd/network',
];

export async function readNetworkd(tree: GuestTreeV2): Promise<StackRead> {
  const out = empty();
  const byName = new Map<string, string>();
  for (const dir of NETWORKD_DIRS) {
    for (const p of await globConfig(tree, `${dir}/*.{network,link}`))
      byName.set(p.slice(p.lastIndexOf('/') + 1), p);
  }
  for (const name of [...byName.keys()].sort()) {
    const path = byName.get(name) as string;
    const text = await readOptional(tree, path);
    if (text === undefined) continue;
    const ini = parseIni(text, path);
    const match = ini.filter((e) => e.section === 'Match');
    const mac = match.find((e) => e.key === 'MACAddress' || e.key === 'PermanentMACAddress');
    if (name.endsWith('.link')) {
      if (mac !== undefined && path.startsWith('/etc/'))
        out.pins.push({ kind: 'MACAddress', path, line: mac.line, excerpt: mac.excerpt });
      continue;
    }
    // Files the distribution ships for containers, Wi-Fi and tunnels never match a VM's NIC.
    // Files the distribution ships for containers, VM tunnels and Wi-Fi (systemd's 80-container-*,
    // 80-vm-vt, 80-wifi-*) never match a VM's NIC: they match on virtualization, kind, type,
    // the veth/tun driver, or the ve-/vb-/vz-/vt-/host0 names systemd-nspawn and vmspawn create.
    if (
      match.some(
        (e) =>
          e.key === 'Virtualization' ||
          e.key === 'Kind' ||
          (e.key === 'Type' && !/\bether\b/.test(e.value)) ||
          (e.key === 'Driver' && /^(veth|tun|tap)$/.test(e.value)) ||
          (e.key === 'Name' && e.value.split(/\s+/).every((n) => /^(ve-|vb-|vz-|vt-|host0)/.test(n))),
      )
    )
      continue;
    out.files.push(path);
    if (mac !== undefined) out.pins.push({ kind: 'MACAddress', path, line: mac.line, excerpt: mac.excerpt });
    const dhcp = ini.filter((e) => e.section === 'Network' && e.key === 'DHCP').pop();
    const addr = ini.find(
      (e) =>
        (e.section === 'Network' || e.section === 'Address') && e.key === 'Address' && !e.value.includes(':'),
    );
    const dhcp4 = dhcp !== undefined && /^(yes|true|on|1|ipv4|both)$/i.test(dhcp.value);
    const nameMatch = match.find((e) => e.key === 'Name');
    const bond = ini.find((e) => e.section === 'Network' && (e.key === 'Bond' || e.key === 'Bridge'));
    const decisive = dhcp4 ? dhcp : (addr ?? dhcp ?? nameMatch);
    out.configs.push({
      stack: 'networkd',
      name: nameMatch?.value.split(/\s+/).join(' ') || '*',
      ipv4: dhcp4 ? 'dhcp' : addr !== undefined ? 'static' : 'manual',
      address: addr?.value ?? null,
      onBoot: true,
      ignored: null,
      member: bond !== undefined,
      path,
      line: decisive?.line ?? 1,
      excerpt: decisive?.excerpt ?? '',
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// udev rules that name an interface after its MAC address (70-persistent-net.rules, written by
// the persistent-net generator of older udev): the new instance's NIC gets another name.

export async function readUdevPins(tree: GuestTreeV2): Promise<StackRead> {
  const out = empty();
  for (const path of await globConfig(tree, '/etc/udev/rules.d/*.rules')) {
    const text = await readOptional(tree, path);
    if (text === undefined) continue;
    text.split('\n', 20_000).forEach((raw, i) => {
      const line = raw.trim();
      if (line.startsWith('#')) return;
      if (/ATTRS?\{address\}\s*==/.test(line) && /\bNAME\s*:?=/.test(line)) {
        out.pins.push({ kind: 'udev', path, line: i + 1, excerpt: line });
      }
    });
  }
  return out;
}
