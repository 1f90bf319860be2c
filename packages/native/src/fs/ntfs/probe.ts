import { isImagecheckError, isInternalError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';
import type { ByteSource } from '../../block/types.js';
import { readIf } from '../../probe/read.js';
import type { ProbeResult } from '../../probe/types.js';
import { hasNtfsOemId, readBootSector } from './boot.js';
import { ATTR, applyFixups, parseMftRecord } from './record.js';

/** $Volume's MFT record: records 0-15 sit in the first extent of $MFT, so it is read directly. */
const VOLUME_RECORD = 3;

/**
 * The one place that recognises an NTFS volume: the boot sector's OEM id `NTFS    ` (a damaged
 * primary falls back to the backup boot sector, and a volume whose every copy is damaged throws
 * `ntfs/bad-boot-sector`). UUID is the serial as blkid prints it; LABEL and version come from
 * $Volume ($VOLUME_NAME, $VOLUME_INFORMATION) and are left out when that record is unreadable (the
 * reader reports the damage when the volume is opened).
 */
export async function probeNtfs(source: ByteSource): Promise<ProbeResult | undefined> {
  const sector = await readIf(source, 0, 512);
  if (sector === undefined || !hasNtfsOemId(sector)) return undefined;
  const { boot, used } = await readBootSector(source, sector);
  const result = { type: 'ntfs', uuid: boot.serial };
  const backup = used === 'backup' ? { bootSector: 'backup' } : {};
  const offset = boot.mftCluster * boot.clusterSize + VOLUME_RECORD * boot.mftRecordSize;
  const raw = await readIf(source, offset, boot.mftRecordSize);
  if (raw === undefined) return { ...result, details: backup };
  let label: string | undefined;
  let version: string | undefined;
  try {
    const rec = new Uint8Array(raw); // a copy: fix-ups are applied in place
    applyFixups(rec, 'MFT record', offset);
    for (const a of parseMftRecord(rec, VOLUME_RECORD, offset).attributes) {
      if (a.value === undefined) continue;
      if (a.type === ATTR.VOLUME_NAME)
        label = new ByteView(a.value, '$VOLUME_NAME').utf16le(0, a.value.length);
      if (a.type === ATTR.VOLUME_INFORMATION) {
        const v = new ByteView(a.value, '$VOLUME_INFORMATION');
        version = `${v.u8(8, 'major')}.${v.u8(9, 'minor')}`;
      }
    }
  } catch (err) {
    if (!isImagecheckError(err) || isInternalError(err)) throw err;
  }
  return {
    ...result,
    ...(label === undefined || label === '' ? {} : { label }),
    details: { ...(version === undefined ? {} : { version }), ...backup },
  };
}
