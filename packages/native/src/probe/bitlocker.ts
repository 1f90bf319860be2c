import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../block/types.js';
import { readIf } from './read.js';
import type { ProbeResult } from './types.js';

/** BitLocker (Windows Vista and later): the boot sector's OEM name at byte 3 is "-FVE-FS-". Contents are never read. */
export async function probeBitlocker(source: ByteSource): Promise<ProbeResult | undefined> {
  const bs = await readIf(source, 0, 512);
  if (bs === undefined || new ByteView(bs, 'BitLocker boot sector').latin1(3, 8) !== '-FVE-FS-')
    return undefined;
  return { type: 'bitlocker' };
}
