import { type PeImage, type RandomAccessSource, readPe, readVersionInfo } from '@imagecheck/formats';
import type { GuestTreeV2 } from '@imagecheck/sdk';

/** A PE file of the guest read in place: only the headers and the version resource are read. */
export interface PeFacts {
  readonly machine: string | null;
  readonly subsystem: string | null;
  readonly fileVersion: string | null;
  readonly productVersion: string | null;
}

/** The guest file as the random-access source the format readers take. */
export async function guestSource(tree: GuestTreeV2, path: string): Promise<RandomAccessSource> {
  const st = await tree.stat(path);
  return {
    size: st.size,
    read: (offset, length) => tree.readFile(path, { offset, length, maxBytes: length }),
  };
}

export async function readPeFacts(tree: GuestTreeV2, path: string): Promise<PeFacts & { image: PeImage }> {
  const src = await guestSource(tree, path);
  const image = await readPe(src);
  const infos = await readVersionInfo(src, image);
  const fixed = infos.find((i) => i.fixed !== undefined)?.fixed;
  return {
    image,
    machine: image.machineName ?? null,
    subsystem: image.subsystemName ?? null,
    fileVersion: fixed?.fileVersion ?? null,
    productVersion: fixed?.productVersion ?? null,
  };
}
