import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../block/types.js';
import { readIf, utf8Label } from './read.js';
import type { ProbeResult } from './types.js';

/**
 * LUKS (cryptsetup "LUKS1 On-Disk Format Specification" and "LUKS2 On-Disk Format"): 0 magic
 * "LUKS\xBA\xBE" (LUKS2 secondary header: "SKUL\xBA\xBE"), 6 u16be version. LUKS1: 168 uuid[40].
 * LUKS2 binary header: 24 label[48], 168 uuid[40]. Encrypted contents are never read.
 */
export async function probeLuks(source: ByteSource): Promise<ProbeResult | undefined> {
  const raw = await readIf(source, 0, 512);
  if (raw === undefined) return undefined;
  const h = new ByteView(raw, 'LUKS header');
  if (h.u16be(4) !== 0xbabe || h.latin1(0, 4) !== 'LUKS') return undefined;
  const version = h.u16be(6);
  const uuid = utf8Label(h.bytesAt(168, 40));
  const label = version === 2 ? utf8Label(h.bytesAt(24, 48)) : '';
  return {
    type: 'luks',
    ...(uuid === '' ? {} : { uuid }),
    ...(label === '' ? {} : { label }),
    details: { version },
  };
}
