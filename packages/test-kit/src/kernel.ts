import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { missingPrerequisite } from './tools.js';

/**
 * The kernel package the tests take a real kernel from: the one `.ci/run` installs. Tests name
 * it instead of taking whatever folder comes first in the host's `/lib/modules`, so that every
 * machine checks the same kind of kernel and a machine without it says so.
 */
export const TEST_KERNEL_PACKAGE = 'linux-image-cloud-amd64';
/** The flavour suffix of that package's kernel versions. */
const FLAVOUR = '-cloud-amd64';

export interface TestKernel {
  /** The kernel release, as in `/lib/modules/<version>` (`6.1.0-13-cloud-amd64`). */
  readonly version: string;
  readonly modules: string;
  readonly image: string;
  readonly config: string;
}

function complete(version: string): TestKernel | undefined {
  const k = {
    version,
    modules: `/lib/modules/${version}`,
    image: `/boot/vmlinuz-${version}`,
    config: `/boot/config-${version}`,
  };
  return existsSync(`${k.modules}/modules.dep`) && existsSync(k.image) && existsSync(k.config)
    ? k
    : undefined;
}

/** Orders kernel releases by their numeric parts, newest last. */
function byRelease(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  return a.localeCompare(b);
}

let found: TestKernel | null | undefined;

/**
 * The installed kernel of `linux-image-cloud-amd64`: the version its dependency names (dpkg),
 * else the newest complete `*-cloud-amd64` tree in `/lib/modules` (machines without dpkg's
 * database). Undefined when there is none with modules, image and config.
 */
export function testKernel(): TestKernel | undefined {
  if (found !== undefined) return found ?? undefined;
  let version: string | undefined;
  try {
    const depends = execFileSync('dpkg-query', ['-W', `-f=\${Depends}`, TEST_KERNEL_PACKAGE], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    version = /linux-image-(\S+-cloud-amd64)\b/.exec(depends)?.[1];
  } catch {
    // No dpkg, or the package is not installed: look at the module trees.
  }
  let k = version === undefined ? undefined : complete(version);
  if (k === undefined && existsSync('/lib/modules')) {
    const candidates = readdirSync('/lib/modules')
      .filter((v) => v.endsWith(FLAVOUR))
      .sort(byRelease)
      .reverse();
    for (const v of candidates) {
      k = complete(v);
      if (k) break;
    }
  }
  found = k ?? null;
  return k;
}

/**
 * The guard for tests that need the named kernel: true when it is installed; when it is not,
 * false (skip), or under `CI=true` an error naming the package to install.
 */
export function requireTestKernel(): boolean {
  return (
    testKernel() !== undefined ||
    missingPrerequisite(`a kernel from the Debian package ${TEST_KERNEL_PACKAGE} (modules, image and config)`)
  );
}
