import type { ByteSource } from '../block/types.js';
import { ascii, u16be, u32be, uuidBE } from '../partition/bytes.js';
import { readIf, utf8Label } from './read.js';
import type { ProbeResult } from './types.js';

/**
 * XFS superblock at byte 0 (xfs_format.h, big-endian): 0 "XFSB", 4 u32 block size, 32 UUID,
 * 100 u16 versionnum (low nibble 4 or 5), 108 fname[12].
 */
export async function probeXfs(source: ByteSource): Promise<ProbeResult | undefined> {
  const sb = await readIf(source, 0, 512);
  if (sb === undefined || ascii(sb, 0, 4) !== 'XFSB') return undefined;
  const blockSize = u32be(sb, 4);
  if (blockSize < 512 || blockSize > 65536) return undefined;
  const label = utf8Label(sb.subarray(108, 120));
  return {
    type: 'xfs',
    uuid: uuidBE(sb, 32),
    ...(label === '' ? {} : { label }),
    details: { version: u16be(sb, 100) & 0xf, blockSize },
  };
}
