import { UnsupportedError } from '@imagecheck/access';
import { latin1 } from '@imagecheck/binary';
import type { ByteSource } from '../block/index.js';
import { qcow2Driver } from './qcow2/index.js';
import { rawDriver } from './raw/index.js';
import type { ContainerDriver, ContainerFormat } from './types.js';
import { vdiDriver } from './vdi/index.js';
import { vhdDriver } from './vhd/index.js';
import { vhdxDriver } from './vhdx/index.js';
import { vmdkDriver } from './vmdk/index.js';

/**
 * Probe order. Formats with a magic at offset 0 come first (qcow2 `QFI\xfb`, VHDX `vhdxfile`,
 * VDI's signature at 0x40, VMDK `KDMV` or a text descriptor); then VHD, whose fixed variant is
 * only recognisable by the `conectix` footer in the last 512 bytes (a raw disk could end in one
 * only by design); raw matches anything and comes last. Probing never looks at the file name.
 */
export const CONTAINER_DRIVERS: readonly ContainerDriver[] = [
  qcow2Driver,
  vhdxDriver,
  vdiDriver,
  vmdkDriver,
  vhdDriver,
  rawDriver,
];

/** Container formats we recognise by magic but do not read: refused rather than read as raw. */
const FOREIGN: readonly { magic: string; offset: number; name: string }[] = [
  { magic: 'QED\0', offset: 0, name: 'QED' },
  { magic: 'WithoutFreeSpace', offset: 0, name: 'Parallels' },
  { magic: 'WithouFreSpacExt', offset: 0, name: 'Parallels' },
];

export function driverFor(format: ContainerFormat): ContainerDriver {
  const d = CONTAINER_DRIVERS.find((x) => x.format === format);
  if (d === undefined) throw new Error(`no driver for ${format}`);
  return d;
}

/** Finds the driver whose probe claims `file`; unsupported variants throw from their probe. */
export async function probeContainer(file: ByteSource): Promise<ContainerDriver> {
  const head = await file.read(0, Math.min(64, file.size));
  for (const f of FOREIGN) {
    if (latin1(head.subarray(f.offset, f.offset + f.magic.length)) === f.magic) {
      throw new UnsupportedError('container/unsupported-format', `${f.name} images are not supported`, {
        data: { format: f.name },
      });
    }
  }
  for (const driver of CONTAINER_DRIVERS) {
    if ((await driver.probe(file)) !== undefined) return driver;
  }
  return rawDriver;
}
