import { ByteView, isZero } from '@imagecheck/binary';
import type { ByteSource } from '../block/types.js';
import { readIf, utf8Label } from './read.js';
import type { ProbeResult } from './types.js';

/**
 * Linux swap (kernel include/linux/swap.h `union swap_header`): the magic sits in the last 10
 * bytes of the first page, whose size is the creating machine's page size. v1 header at 1024:
 *   1024 u32 version  1028 u32 last_page  1032 u32 nr_badpages  1036 uuid[16]  1052 volume_name[16]
 * A hibernation image replaces the magic with S1SUSPEND & co (blkid: `swsuspend`).
 */
const PAGE_SIZES = [4096, 8192, 16384, 32768, 65536];
const SUSPEND = new Set(['S1SUSPEND\0', 'S2SUSPEND\0', 'ULSUSPEND\0', 'LINHIB0001']);

export async function probeSwap(source: ByteSource): Promise<ProbeResult | undefined> {
  for (const page of PAGE_SIZES) {
    const m = await readIf(source, page - 10, 10);
    if (m === undefined) return undefined;
    const mv = new ByteView(m, 'swap signature', page - 10);
    const magic = mv.latin1(0, 10);
    if (magic === 'SWAP-SPACE') return { type: 'swap', details: { version: 0, pageSize: page } };
    const suspend = SUSPEND.has(magic) || SUSPEND.has(`${mv.latin1(1, 9)}\0`);
    if (magic !== 'SWAPSPACE2' && !suspend) continue;
    const h = new ByteView(await source.read(1024, 44), 'swap header', 1024);
    const version = h.u32le(0);
    const label = utf8Label(h.bytesAt(28, 16));
    return {
      type: suspend ? 'swsuspend' : 'swap',
      ...(isZero(h.bytesAt(12, 16)) ? {} : { uuid: h.uuid(12) }),
      ...(label === '' ? {} : { label }),
      details: { version, pageSize: page, lastPage: h.u32le(4) },
    };
  }
  return undefined;
}
