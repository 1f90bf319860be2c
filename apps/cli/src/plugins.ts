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
      // Only "this package is not installed" means the plugin is optional and absent; a plugin
      // that is installed but broken (say, its build is missing) must say so.
      const e = err as { code?: string; message?: string };
      if (e.code !== 'ERR_MODULE_NOT_FOUND' || !e.message?.includes(`Cannot find package '${name}'`))
        throw err;
    }
  }
  return out;
}
