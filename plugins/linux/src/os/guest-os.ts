import type { CollectContext, Collector, FactDefinition, FactResult } from '@imagecheck/sdk';
import type { Architecture } from './architecture.js';
import type { OsRelease } from './os-release.js';

/** Value of `guest.os` as the Linux plugin provides it (replacing the engine's {os}-only fallback). */
export interface GuestOs {
  readonly os: 'linux';
  readonly family: string;
  readonly distribution: string;
  readonly version: string;
  readonly architecture?: string;
}

export const guestOsFact: FactDefinition = {
  id: 'guest.os',
  version: '1.0.0',
  description:
    'The guest operating system for rule applicability: {os, family, distribution, version, architecture}. For Linux roots: from linux.osRelease and linux.architecture.',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['os'],
    properties: {
      os: { type: 'string' },
      family: { type: 'string' },
      distribution: { type: 'string' },
      version: { type: 'string' },
      architecture: { type: 'string' },
    },
  },
};

async function collectGuestOs(ctx: CollectContext): Promise<FactResult<GuestOs | { os: string }>> {
  const root = ctx.guest?.root ?? ctx.layout.roots.find((r) => r.primary) ?? ctx.layout.roots[0];
  if (!root || root.os === 'unknown') {
    return { status: 'unavailable', reason: 'no operating system root was recognised', evidence: [] };
  }
  // A Windows root is the Windows plugin's business; report what the layout knows.
  if (root.os !== 'linux') {
    return {
      status: 'ok',
      value: { os: root.os },
      evidence: [{ kind: 'filesystem', filesystem: root.filesystem, note: root.evidence.join(', ') }],
    };
  }
  const rel = await ctx.fact<OsRelease>('linux.osRelease');
  const arch = await ctx.fact<Architecture>('linux.architecture');
  if (rel.status !== 'ok') {
    return {
      status: 'ok',
      value: {
        os: 'linux',
        ...(arch.status === 'ok' ? { architecture: arch.value.architecture } : {}),
      } as GuestOs,
      evidence: [{ kind: 'filesystem', filesystem: root.filesystem, note: root.evidence.join(', ') }],
    };
  }
  return {
    status: 'ok',
    value: {
      os: 'linux',
      family: rel.value.family,
      distribution: rel.value.id,
      version: rel.value.versionId,
      ...(arch.status === 'ok' ? { architecture: arch.value.architecture } : {}),
    },
    evidence: [...rel.evidence, ...(arch.status === 'ok' ? arch.evidence : [])],
  };
}

export const guestOsCollector: Collector = { fact: 'guest.os', collect: collectGuestOs };
