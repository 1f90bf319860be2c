import { collectFacts, type FactResult, type Plugin } from '@imagecheck/sdk';
import { createMemoryGuest, type MemoryGuestDescription } from '@imagecheck/sdk/testing';
import * as cloud from '../../src/cloud/index.js';
import * as network from '../../src/network/index.js';
import { linuxOsProvider } from '../../src/provider/index.js';
import * as storage from '../../src/storage/index.js';

/** The storage, network and cloud areas of the plugin, on their own. */
export const areas: Plugin = {
  name: 'linux-storage-network-cloud',
  version: '0.0.0',
  facts: [...storage.facts, ...network.facts, ...cloud.facts],
  collectors: [...storage.collectors, ...network.collectors, ...cloud.collectors],
  osProviders: [linuxOsProvider],
};

/** Stands in for the boot area's `linux.kernels` (shape agreed with it) with a given command line. */
export function kernelsWith(cmdline: string, path = '/boot/grub/grub.cfg', line = 12): Plugin {
  return {
    name: 'kernels-stub',
    version: '0.0.0',
    facts: [{ id: 'linux.kernels', version: '1.0.0', description: 'stub', schema: { type: 'object' } }],
    collectors: [
      {
        fact: 'linux.kernels',
        collect: async () => ({
          status: 'ok',
          value: {
            default: {
              version: '6.1.0-13-amd64',
              image: '/boot/vmlinuz-6.1.0-13-amd64',
              initrd: null,
              cmdline,
              source: path,
            },
            installed: [],
          },
          evidence: [{ kind: 'file', path, line }],
        }),
      },
    ],
  };
}

export async function factsOf(
  description: MemoryGuestDescription,
  ids: readonly string[],
  extra: readonly Plugin[] = [],
): Promise<Record<string, FactResult>> {
  const access = createMemoryGuest(description);
  const { facts } = await collectFacts({ access, plugins: [areas, ...extra], ids });
  return facts;
}

/** The value of an `ok` fact; throws with the reason otherwise. */
export function okValue<T>(r: FactResult | undefined): T {
  if (r === undefined) throw new Error('fact not collected');
  if (r.status !== 'ok') throw new Error(`unavailable: ${r.code ?? ''} ${r.reason}`);
  return r.value as T;
}

/** A root filesystem description with `files`, as the single ext4 partition of a disk. */
export function rootOnly(
  files: Record<string, unknown>,
  uuid = '0b9e4f4e-8a53-4c54-9b1f-6f0b0c2e0d11',
): MemoryGuestDescription {
  return {
    partitions: [{ type: '8300' }],
    filesystems: [{ id: 'p1', type: 'ext4', uuid, mount: '/', files: files as never }],
  };
}
