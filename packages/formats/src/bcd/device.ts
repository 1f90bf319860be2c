import { ByteView, guidString, utf16le } from '@imagecheck/binary';
import { MAX_DEVICE_NESTING } from './constants.js';

/**
 * The device data of a BCD device element (format 1: `device`, `osdevice`, ramdisk sources).
 *
 * Layout, as far as public sources document it. Sources: DiscUtils (`DeviceElementValue`,
 * `DeviceRecord`, `PartitionRecord`), Microsoft's Windows Phone imaging library as decompiled
 * and published (`BcdElementBootDevice`, `PartitionIdentifierEx`, `RamDiskIdentifier`,
 * `FileIdentifier`, `LocateIdentifier`), and ReactOS `BCD_DEVICE_OPTION` /
 * `BL_DEVICE_DESCRIPTOR`; checked against the corpus stores:
 *
 * - element +0x00: GUID of an associated object (the ramdisk options of a ramdisk device;
 *   all zero otherwise), then the device record at +0x10;
 * - device record +0: type u32 (0 block I/O, 2 legacy partition, 3 serial, 4 UDP, 5 boot,
 *   6 partition (PartitionEx), 8 locate), +4 flags u32, +8 size u32 (the record's length,
 *   header included), +12 reserved, then the identifier:
 *   - partition (6): +16 the partition's identity (MBR: u64 byte offset; GPT: the partition's
 *     unique GUID), +32 block I/O type u32 (0 = hard disk), +36 partition style u32 (0 GPT,
 *     1 MBR, 2 raw), +40 the disk's identity (MBR: u32 disk signature; GPT: disk GUID);
 *   - block I/O (0): +16 block I/O type u32 (0 hard disk, 1 removable, 2 CD-ROM, 3 ramdisk,
 *     5 file, 6 virtual disk); a ramdisk has +20 u32, +24 image base u32, +28 image size u64,
 *     +36 image offset u32, then at +40 a file identifier: version u32, length u32, type u32,
 *     the parent device record (the device holding the image), then the path (UTF-16LE);
 *   - locate (8): +16 locate type u32 (0: the partition holding the file an element names,
 *     1: a path string), +20 that element's type u32, +24 parent offset u32.
 *
 * Layouts not documented there (a file device outside a ramdisk, disks, CD-ROMs, virtual
 * disks, legacy partitions, serial and UDP devices, a raw partition, locate by string) are
 * `unknown`, with the raw bytes; nothing is guessed.
 */
export type BcdDevice =
  | { kind: 'boot' }
  | {
      kind: 'partition';
      style: 'mbr';
      /** The MBR disk signature (MBR offset 0x1B8) as 8 lower-case hex digits, like a layout's `diskId`. */
      diskId: string;
      /** The partition's first byte on the disk. */
      partitionOffset: number;
    }
  | {
      kind: 'partition';
      style: 'gpt';
      /** The GPT disk GUID, lower case, dashed, like a layout's `diskId`. */
      diskId: string;
      /** The partition's unique GUID, lower case, dashed, like a GPT partition's `uuid`. */
      partitionGuid: string;
    }
  | {
      kind: 'ramdisk';
      /** The image file (a WIM or SDI) on the parent device. */
      imagePath: string;
      /** Byte offset of the image in that file (an SDI's offset element may override it). */
      imageOffset: number;
      /** The device holding the image file. */
      parent: BcdDevice;
    }
  | {
      kind: 'locate';
      /** Windows looks for the partition holding the file that this element (e.g. 0x12000002, the path) names. */
      elementType: number;
    }
  | {
      kind: 'unknown';
      /** The device record's type (and, for block I/O, the block I/O type) as read. */
      deviceType: number;
      blockIoType?: number;
      /** Why it is not decoded. */
      reason: string;
      /** The device record's bytes. */
      raw: Uint8Array;
    };

/** A device element: the device and the object it is associated with, if any. */
export interface BcdDeviceValue {
  /** `{guid}` of the associated object (a ramdisk's options), or null when all zero. */
  associatedObject: string | null;
  device: BcdDevice;
}

function unknown(v: ByteView, at: number, size: number, reason: string, blockIoType?: number): BcdDevice {
  const end = Math.min(v.length, at + Math.max(size, 16));
  return {
    kind: 'unknown',
    deviceType: v.length >= at + 4 ? v.u32le(at) : -1,
    ...(blockIoType === undefined ? {} : { blockIoType }),
    reason,
    raw: v.bytes.slice(at, end),
  };
}

const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** Decodes a device element's data; malformed or undocumented records come back as `unknown`. */
export function parseDeviceElement(data: Uint8Array): BcdDeviceValue {
  const v = new ByteView(data, 'BCD device element');
  if (data.length < 32) {
    return {
      associatedObject: null,
      device: unknown(v, 0, data.length, `${data.length} bytes: shorter than a device element`),
    };
  }
  const assoc = guidString(data.subarray(0, 16));
  return { associatedObject: assoc === ZERO_GUID ? null : `{${assoc}}`, device: parseDevice(v, 16, 0) };
}

function parseDevice(v: ByteView, at: number, depth: number): BcdDevice {
  if (at + 16 > v.length) return unknown(v, at, 0, 'device record header runs past the data');
  const type = v.u32le(at);
  const size = v.u32le(at + 8);
  if (size < 16 || at + size > v.length) {
    return unknown(
      v,
      at,
      v.length - at,
      `device record size ${size} does not fit the ${v.length - at} bytes left`,
    );
  }
  switch (type) {
    case 5:
      return { kind: 'boot' };
    case 6: {
      if (size < 56) return unknown(v, at, size, `partition record of ${size} bytes is shorter than 56`);
      const blockIo = v.u32le(at + 32);
      const style = v.u32le(at + 36);
      if (blockIo !== 0)
        return unknown(v, at, size, `partition on block I/O type ${blockIo}, not a hard disk`);
      if (style === 1) {
        return {
          kind: 'partition',
          style: 'mbr',
          diskId: v
            .u32le(at + 40)
            .toString(16)
            .padStart(8, '0'),
          partitionOffset: v.u64leSafe(at + 16, 'partition offset'),
        };
      }
      if (style === 0) {
        return { kind: 'partition', style: 'gpt', diskId: v.guid(at + 40), partitionGuid: v.guid(at + 16) };
      }
      return unknown(v, at, size, `partition style ${style} (2 = raw) is not documented`);
    }
    case 8: {
      if (size < 28) return unknown(v, at, size, `locate record of ${size} bytes is shorter than 28`);
      const locateType = v.u32le(at + 16);
      if (locateType !== 0)
        return unknown(v, at, size, `locate type ${locateType} (by string) is not documented`);
      return { kind: 'locate', elementType: v.u32le(at + 20) };
    }
    case 0: {
      if (size < 20) return unknown(v, at, size, 'block I/O record without a block I/O type');
      const blockIo = v.u32le(at + 16);
      if (blockIo !== 3) return unknown(v, at, size, `block I/O type ${blockIo} is not documented`, blockIo);
      return parseRamdisk(v, at, size, depth);
    }
    default:
      return unknown(v, at, size, `device type ${type} is not documented`);
  }
}

function parseRamdisk(v: ByteView, at: number, size: number, depth: number): BcdDevice {
  const f = at + 40; // the file identifier of the image
  if (size < 40 + 12 + 16) return unknown(v, at, size, `ramdisk record of ${size} bytes is too short`, 3);
  if (depth >= MAX_DEVICE_NESTING)
    return unknown(v, at, size, `device records nest deeper than ${MAX_DEVICE_NESTING}`, 3);
  const fileLength = v.u32le(f + 4);
  if (fileLength < 12 + 16 || f + fileLength > at + size) {
    return unknown(v, at, size, `ramdisk image file identifier of ${fileLength} bytes does not fit`, 3);
  }
  const parentAt = f + 12;
  const parentSize = v.u32le(parentAt + 8);
  if (parentSize < 16 || parentAt + parentSize > f + fileLength) {
    return unknown(v, at, size, `the image's parent device record (${parentSize} bytes) does not fit`, 3);
  }
  const parent = parseDevice(
    new ByteView(v.bytes.subarray(0, parentAt + parentSize), v.structure, v.base),
    parentAt,
    depth + 1,
  );
  const pathAt = parentAt + parentSize;
  return {
    kind: 'ramdisk',
    imagePath: utf16le(v.bytes.subarray(pathAt, f + fileLength), true),
    imageOffset: v.u32le(at + 36),
    parent,
  };
}
