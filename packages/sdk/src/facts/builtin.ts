import { defineFact, Type } from './define.js';
import type { FactDefinition } from './types.js';

/** `guest.os`: filled by the engine from the OS provider that found the root. */
export const guestOsFact = defineFact({
  id: 'guest.os',
  version: '1.0.0',
  description:
    'The guest operating system for rule applicability: {os, family, distribution, version, architecture}, described by the OS provider that found the root (the Linux provider reads linux.osRelease and linux.architecture); `os` alone when the provider describes nothing more.',
  schema: Type.Object({
    os: Type.String({ description: 'The OS of the provider that found the root: `linux`, `windows`.' }),
    family: Type.Optional(Type.String()),
    distribution: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    architecture: Type.Optional(Type.String()),
  }),
});

/** `disk.layout`: the access backend's layout and the roots the providers found. */
export const diskLayoutFact: FactDefinition = {
  id: 'disk.layout',
  version: '1.0.0',
  description:
    'The image layout as the access backend read it (ImageLayoutV2: disk, partitions, volumes, filesystems, warnings) and the OS roots the providers found in it (`roots`).',
  schema: { type: 'object', required: ['disk', 'volumes', 'filesystems', 'roots', 'warnings'] },
};

/** Facts the engine provides itself: the layout and roots, and `guest.os` from the root's OS provider. */
export const BUILTIN_FACT_DEFINITIONS: readonly FactDefinition[] = [diskLayoutFact, guestOsFact];
