import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Plugin } from '@imagecheck/sdk';
import { declaredRegistry } from './declared-registry.js';
import { collectors, facts } from './facts/index.js';
import { windowsOsProvider } from './provider/index.js';
import { VERSION } from './version.js';

/** The built-in Windows rule pack's folder, resolved from its package wherever it is installed. */
function windowsPackDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@imagecheck/rules-windows/pack.yaml'));
}

/** The Windows plugin: the Windows OS provider, the facts the Windows check items read, and their pack. */
export const plugin: Plugin = {
  name: '@imagecheck/plugin-windows',
  version: VERSION,
  facts,
  collectors,
  osProviders: [windowsOsProvider],
  declaredSources: [declaredRegistry],
  get packs() {
    return [windowsPackDir()];
  },
};

export default plugin;
export { declaredRegistry, type RegData, regData } from './declared-registry.js';
export * from './facts/index.js';
export * from './provider/index.js';
export { currentControlSet, findSystemRoot, HIVE_NAMES, loadHive, SYSTEM_ROOTS } from './registry.js';
