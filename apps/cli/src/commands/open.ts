import type { GuestAccessV2 } from '@imagecheck/sdk';
import { type BackendName, openImage } from '../backends.js';

export interface ImageOptions {
  backend?: BackendName;
  allowBackingDir?: string[];
}

/** Opens an image, runs `fn`, and always closes it. */
export async function withImage<T>(
  image: string,
  opts: ImageOptions,
  fn: (access: GuestAccessV2) => Promise<T>,
): Promise<T> {
  const access = await openImage(image, {
    backend: opts.backend ?? 'native',
    allowBackingDirs: opts.allowBackingDir ?? [],
  });
  try {
    return await fn(access);
  } finally {
    await access.close();
  }
}
