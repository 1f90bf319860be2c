import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;

/** How the command names itself in its reports. */
export const TOOL: { readonly name: string; readonly version: string } = {
  name: 'imagecheck',
  version: VERSION,
};
