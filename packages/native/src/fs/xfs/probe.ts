import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import { readIf, utf8Label } from '../../probe/read.js';
import type { ProbeResult } from '../../probe/types.js';

/**
 * XFS signature: superblock at byte 0, big-endian (xfs_format.h `struct xfs_dsb`):
 * 0 magic "XFSB", 4 u32 block size, 32 UUID (16), 100 u16 versionnum (low nibble the version),
 * 108 fname[12] the label.
 */
export async function probeXfs(source: ByteSource): Promise<ProbeResult | undefined> {
  const raw = await readIf(source, 0, 512);
  if (raw === undefined) return undefined;
  const sb = new ByteView(raw, 'xfs superblock');
  if (sb.latin1(0, 4) !== 'XFSB') return undefined;
  const blockSize = sb.u32be(4);
  if (blockSize < 512 || blockSize > 65536) return undefined;
  const label = utf8Label(sb.bytesAt(108, 12));
  return {
    type: 'xfs',
    uuid: sb.uuid(32),
    ...(label === '' ? {} : { label }),
    details: { version: sb.u16be(100) & 0xf, blockSize },
  };
}
