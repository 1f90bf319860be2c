import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Plugin } from '@imagecheck/sdk';
import * as boot from './boot/index.js';
import * as cloud from './cloud/index.js';
import * as drivers from './kernel-modules/index.js';
import * as network from './network/index.js';
import * as os from './os/index.js';
import { linuxOsProvider } from './provider/index.js';
import * as storage from './storage/index.js';
import { VERSION } from './version.js';

const areas = [os, boot, drivers, storage, network, cloud];

/** The built-in Linux rule pack's folder, resolved from its package wherever it is installed. */
function linuxPackDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@imagecheck/rules-linux/pack.yaml'));
}

/** The Linux plugin: every fact the Linux check items read, and the pack that checks them. */
export const plugin: Plugin = {
  name: '@imagecheck/plugin-linux',
  version: VERSION,
  facts: areas.flatMap((a) => a.facts),
  collectors: areas.flatMap((a) => a.collectors),
  osProviders: [linuxOsProvider],
  get packs() {
    return [linuxPackDir()];
  },
};

export default plugin;
