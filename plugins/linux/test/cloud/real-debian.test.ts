/**
 * The storage, network and cloud facts on the real Debian 12 images (mmdebstrap roots with the
 * real ifupdown, systemd-networkd, cloud-init 22.4, cloud-guest-utils and dpkg database, put into
 * images by the real mkfs/LVM/GRUB tools; see ../images/debian-images.sh): every value is checked
 * against what the image holds, and every line number against the guest file itself.
 */
import { openNative } from '@imagecheck/access-native';
import { collectFacts, type FactResult, readText } from '@imagecheck/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AgentsFact, CloudInitFact, PackagesFact } from '../../src/cloud/index.js';
import { plugin } from '../../src/index.js';
import type { NetworkFact } from '../../src/network/index.js';
import type { FstabFact } from '../../src/storage/index.js';
import {
  buildDebianImages,
  canBuildDebianImages,
  type DebianImageName,
  type DebianImages,
  imagePath,
} from '../images/debian.js';
import { okValue } from '../storage/helpers.js';

const NAMES: DebianImageName[] = [
  'ext4-bios',
  'lvm-bios',
  'ext4-uefi',
  'fault-fstab-uuid',
  'fault-static-ip',
  'fault-no-cloud-init',
];
const IDS = ['linux.fstab', 'linux.network', 'linux.cloudInit', 'linux.agents', 'linux.packages'];

interface Seen {
  readonly facts: Record<string, FactResult>;
  /** Lines of guest files, read through the same backend. */
  readonly lines: (path: string) => Promise<string[]>;
}

describe.skipIf(!canBuildDebianImages())('storage, network and cloud facts on real Debian 12 images', () => {
  let images: DebianImages;
  const seen = new Map<DebianImageName, Seen>();
  async function of(name: DebianImageName): Promise<Seen> {
    const hit = seen.get(name);
    if (hit !== undefined) return hit;
    const access = await openNative(imagePath(images, name));
    const { facts, guest } = await collectFacts({ access, plugins: [plugin], ids: IDS });
    const cache = new Map<string, string[]>();
    const result: Seen = {
      facts,
      lines: async (path) => {
        let l = cache.get(path);
        if (l === undefined) {
          if (guest === undefined) throw new Error('no guest');
          l = (await readText(guest, path)).split('\n');
          cache.set(path, l);
        }
        return l;
      },
    };
    seen.set(name, result);
    return result;
  }

  beforeAll(async () => {
    images = await buildDebianImages(NAMES);
  });

  it('ext4-bios: fstab, ifupdown DHCP, cloud-init enabled with growpart, dpkg packages', async () => {
    const s = await of('ext4-bios');
    const fstab = okValue<FstabFact>(s.facts['linux.fstab']);
    const root = fstab.entries.find((e) => e.mountpoint === '/');
    expect(root).toMatchObject({
      kind: 'uuid',
      verdict: 'ok',
      resolved: { type: 'ext4', uuid: images.rootUuid },
    });
    expect((await s.lines('/etc/fstab'))[(root?.line ?? 0) - 1]).toMatch(
      new RegExp(`^UUID=${images.rootUuid}\\s+/\\s`),
    );

    const net = okValue<NetworkFact>(s.facts['linux.network']);
    expect(net.activeStacks).toContain('ifupdown');
    expect(net.primary).toMatchObject({ stack: 'ifupdown', ipv4: 'dhcp', source: 'config' });
    expect((await s.lines(net.primary?.path ?? ''))[(net.primary?.line ?? 0) - 1]?.trim()).toBe(
      net.primary?.excerpt,
    );
    expect(net.macPinned).toEqual([]);

    const ci = okValue<CloudInitFact>(s.facts['linux.cloudInit']);
    const pkgs = okValue<PackagesFact>(s.facts['linux.packages']);
    const ciPkg = pkgs.packages.find((p) => p.name === 'cloud-init');
    expect(ci).toMatchObject({
      installed: true,
      unitsEnabled: true,
      disabledBy: null,
      active: true,
      rendersNetwork: true,
    });
    // The Python package's version is the upstream part of the Debian package version.
    expect(ciPkg?.version.startsWith(`${ci.version}-`)).toBe(true);
    expect(pkgs.packages.map((p) => p.name)).toContain('cloud-guest-utils');
    expect(ci.kernelCmdline).toContain(`root=UUID=${images.rootUuid}`);
    expect(ci.growroot.growpartBinary).toBe('/usr/bin/growpart');
    expect(ci.onlineResize).toEqual({ ok: true, by: ['cloud-init'], problems: [] });

    const agents = okValue<AgentsFact>(s.facts['linux.agents']);
    expect(agents.cloudAssistant.installed).toBe(false);
    expect(agents.securityCenter.installed).toBe(false);
  });

  it('lvm-bios: the root LV by /dev/mapper and /boot by UUID resolve', async () => {
    const fstab = okValue<FstabFact>((await of('lvm-bios')).facts['linux.fstab']);
    expect(
      fstab.entries
        .filter((e) => e.bootCritical)
        .map((e) => [e.mountpoint, e.kind, e.verdict, e.resolved?.type]),
    ).toEqual([
      ['/', 'mapper', 'ok', 'ext4'],
      ['/boot', 'uuid', 'ok', 'ext4'],
    ]);
    expect(fstab.entries[0]?.resolved?.filesystem).toMatch(/^lvm\//);
  });

  it('ext4-uefi: systemd-networkd DHCP; the ESP by its vfat volume id', async () => {
    const s = await of('ext4-uefi');
    const net = okValue<NetworkFact>(s.facts['linux.network']);
    expect(net.primary).toMatchObject({ stack: 'networkd', ipv4: 'dhcp' });
    expect((await s.lines(net.primary?.path ?? ''))[(net.primary?.line ?? 0) - 1]?.trim()).toMatch(
      /^DHCP=(yes|ipv4|true)$/,
    );
    // systemd's own 80-container-*/80-vm-* files are not taken for the NIC's configuration.
    expect(net.interfaces.filter((i) => i.stack === 'networkd').map((i) => i.path)).toEqual([
      net.primary?.path,
    ]);
    const fstab = okValue<FstabFact>(s.facts['linux.fstab']);
    expect(fstab.entries.find((e) => e.mountpoint === '/boot/efi')).toMatchObject({
      verdict: 'ok',
      resolved: { type: 'vfat', uuid: images.espUuid },
    });
  });

  it('fault-fstab-uuid: the /srv line naming a UUID of no filesystem', async () => {
    const s = await of('fault-fstab-uuid');
    const bad = okValue<FstabFact>(s.facts['linux.fstab']).entries.filter(
      (e) => e.verdict !== 'ok' && e.verdict !== 'notChecked',
    );
    expect(bad.map((e) => [e.mountpoint, e.verdict, e.bootCritical])).toEqual([['/srv', 'unresolved', true]]);
    expect((await s.lines('/etc/fstab'))[(bad[0]?.line ?? 0) - 1]).toContain(`UUID=${images.goneUuid}`);
  });

  it('fault-static-ip: the static stanza of the only interface', async () => {
    const s = await of('fault-static-ip');
    const net = okValue<NetworkFact>(s.facts['linux.network']);
    expect(net).toMatchObject({
      onlyInterface: true,
      primaryDhcp: false,
      cloudInitRendersNetwork: false,
      primary: { ipv4: 'static' },
    });
    expect((await s.lines(net.primary?.path ?? ''))[(net.primary?.line ?? 0) - 1]).toMatch(
      /iface \S+ inet static/,
    );
    expect(net.primary?.address).toMatch(/^\d+\.\d+\.\d+\.\d+/);
  });

  it('fault-no-cloud-init: cloud-init purged, nothing grows the root', async () => {
    const s = await of('fault-no-cloud-init');
    const ci = okValue<CloudInitFact>(s.facts['linux.cloudInit']);
    expect(ci).toMatchObject({
      installed: false,
      executable: null,
      active: false,
      onlineResize: { ok: false },
    });
    expect(okValue<PackagesFact>(s.facts['linux.packages']).packages.map((p) => p.name)).not.toContain(
      'cloud-init',
    );
  });
});
