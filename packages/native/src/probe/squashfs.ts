import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../block/types.js';
import { readIf } from './read.js';
import type { ProbeResult } from './types.js';

/** squashfs superblock (fs/squashfs/squashfs_fs.h): 0 magic "hsqs" (LE 0x73717368), 28 u16 major, 30 u16 minor. No UUID. */
export async function probeSquashfs(source: ByteSource): Promise<ProbeResult | undefined> {
  const raw = await readIf(source, 0, 96);
  if (raw === undefined) return undefined;
  const sb = new ByteView(raw, 'squashfs superblock');
  const magic = sb.latin1(0, 4);
  if (magic === 'hsqs') return { type: 'squashfs', details: { version: `${sb.u16le(28)}.${sb.u16le(30)}` } };
  if (magic === 'sqsh') return { type: 'squashfs', details: { version: `${sb.u16be(28)}.${sb.u16be(30)}` } };
  return undefined;
}
