/**
 * The first Node.js the command runs on: zlib's zstd (btrfs and qcow2 zstd clusters) came in
 * 22.15. Kept free of imports so the entry can check the version before loading anything that
 * an older Node would fail to parse or link.
 */
export const NODE_FLOOR = { major: 22, minor: 15 } as const;

/** The message to stop with when `version` (as in `process.versions.node`) is too old, else undefined. */
export function nodeVersionProblem(version: string): string | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (match === null) return undefined;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major > NODE_FLOOR.major || (major === NODE_FLOOR.major && minor >= NODE_FLOOR.minor)) return undefined;
  return `imagecheck needs Node.js ${NODE_FLOOR.major}.${NODE_FLOOR.minor} or newer; this is v${match[1]}.${match[2]}.${match[3]}`;
}
