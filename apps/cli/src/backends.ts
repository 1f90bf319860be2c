import { nativeBackend } from '@imagecheck/access-native';
import type { AccessBackendV2, GuestAccessV2 } from '@imagecheck/sdk';
import { UsageError } from '@imagecheck/sdk';

export const BACKEND_NAMES = ['native', 'guestfs', 'live'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/**
 * The backends this build can use. guestfs and live are part of the design but not built yet:
 * asking for them is a usage error that says so, never a silent fallback to native.
 */
function backendFor(name: BackendName): AccessBackendV2 {
  switch (name) {
    case 'native':
      return nativeBackend;
    case 'guestfs':
    case 'live':
      throw new UsageError(
        'cli/backend-unavailable',
        `the ${name} backend is not available in this version of imagecheck; use --backend native`,
        { data: { backend: name } },
      );
  }
}

export async function openImage(
  imagePath: string,
  options: { backend: BackendName; allowBackingDirs: readonly string[] },
): Promise<GuestAccessV2> {
  return backendFor(options.backend).open(imagePath, { allowedBackingDirs: options.allowBackingDirs });
}
