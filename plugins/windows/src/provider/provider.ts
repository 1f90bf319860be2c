import {
  type AssembleContext,
  type Assembly,
  type CollectContext,
  createGuestTree,
  type DetectContext,
  type FactResult,
  type GuestMount,
  type GuestOs,
  type GuestTreeMount,
  isAbsent,
  type OsProvider,
  type RootDetection,
} from '@imagecheck/sdk';
import { architectureFact } from '../facts/architecture.js';
import { versionFact } from '../facts/version.js';
import { findSystemRoot, guestHive } from '../registry.js';
import { driveLetters } from './mounted-devices.js';

/**
 * The Windows OS provider: a Windows root is the filesystem holding
 * `Windows\System32\config\SYSTEM` (or `WINNT\...`), looked up case-insensitively as Windows
 * does. Its guest is assembled from the drive letters of `SYSTEM\MountedDevices`: the root
 * volume is `/`, every other lettered volume of this image is mounted at `/<letter>:` (a name no
 * NTFS file can have, so it shadows nothing).
 */
async function detect(ctx: DetectContext): Promise<RootDetection | undefined> {
  const root = await findSystemRoot(ctx.tree);
  if (root === undefined) return undefined;
  const evidence = [`${root}/System32/config/SYSTEM`];
  for (const marker of [
    `${root}/System32/config/SOFTWARE`,
    `${root}/System32/ntoskrnl.exe`,
    `${root}/System32/cmd.exe`,
  ]) {
    try {
      await ctx.tree.lstat(marker);
      evidence.push(marker);
    } catch (err) {
      if (!isAbsent(err)) throw err;
    }
  }
  return { evidence, score: evidence.length };
}

async function assemble(ctx: AssembleContext): Promise<Assembly> {
  const { layout, root, rootFs } = ctx;
  const table: GuestTreeMount[] = [{ mountpoint: '/', fs: rootFs }];
  const mounts: GuestMount[] = [];
  const tree = createGuestTree([...table]);
  const systemRoot = await findSystemRoot(tree);
  const system = systemRoot === undefined ? undefined : await guestHive(tree, systemRoot, 'SYSTEM');
  const letters = system?.hive ? driveLetters(system.hive, layout) : [];
  const rootLetter = letters.find((l) => l.filesystem === root.filesystem);
  mounts.push({
    mountpoint: '/',
    filesystem: root.filesystem,
    ...(rootLetter ? { spec: rootLetter.valueName } : {}),
  });
  for (const l of letters) {
    if (l === rootLetter || l.filesystem === root.filesystem) continue;
    const mountpoint = `/${l.letter}:`;
    const base = { mountpoint, spec: l.valueName };
    if (l.filesystem === null) {
      mounts.push({
        ...base,
        reason:
          l.partition !== null
            ? `partition ${l.partition} has no filesystem`
            : l.identity.form === 'unknown'
              ? 'not a partition of a basic disk'
              : 'names a partition of another disk',
      });
      continue;
    }
    const fs = await ctx.open(l.filesystem);
    if (fs === undefined) {
      mounts.push({ ...base, reason: `no reader for filesystem ${l.filesystem}` });
      continue;
    }
    table.push({ mountpoint, fs });
    mounts.push({ ...base, filesystem: l.filesystem });
  }
  return { table, mounts };
}

/** `guest.os` of a Windows root: from windows.version and windows.architecture. */
async function describe(ctx: CollectContext): Promise<FactResult<GuestOs>> {
  const root = ctx.root;
  const rootEvidence = root
    ? [{ kind: 'filesystem' as const, filesystem: root.filesystem, note: root.evidence.join(', ') }]
    : [];
  const ver = await ctx.fact(versionFact);
  const arch = await ctx.fact(architectureFact);
  const architecture =
    arch.status === 'ok' && arch.value.architecture !== null ? { architecture: arch.value.architecture } : {};
  if (ver.status !== 'ok')
    return { status: 'ok', value: { os: 'windows', ...architecture }, evidence: rootEvidence };
  const v = ver.value;
  return {
    status: 'ok',
    value: {
      os: 'windows',
      family: 'windows',
      ...(v.installationType === null ? {} : { distribution: v.installationType.toLowerCase() }),
      ...(v.version === null ? {} : { version: v.version }),
      ...architecture,
    },
    evidence: [...ver.evidence, ...(arch.status === 'ok' ? arch.evidence : [])],
  };
}

export const windowsOsProvider: OsProvider = { os: 'windows', detect, assemble, describe };
