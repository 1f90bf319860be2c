import type { Plugin } from '@imagecheck/sdk';

/**
 * Plugins the command loads by default, when installed. Each ships its facts, collectors and the
 * built-in rule packs. Looked up by name so that a missing optional plugin is not an error.
 */
const DEFAULT_PLUGINS = ['@imagecheck/plugin-linux', '@imagecheck/plugin-windows'];

export async function loadDefaultPlugins(): Promise<Plugin[]> {
  const out: Plugin[] = [];
  for (const name of DEFAULT_PLUGINS) {
    try {
      const mod = (await import(name)) as { default?: Plugin; plugin?: Plugin };
      const plugin = mod.plugin ?? mod.default;
      if (plugin !== undefined) out.push(plugin);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ERR_MODULE_NOT_FOUND') throw err;
    }
  }
  return out;
}
