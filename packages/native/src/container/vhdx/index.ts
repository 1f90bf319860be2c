import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView, inRange } from '@imagecheck/binary';
import type { ByteSource } from '../../block/index.js';
import { crc32c } from '../../checksum/crc32c.js';
import { ChunkedSource, readMapped, readParent } from '../chunked.js';
import type { ContainerDriver, HostFile, OpenContext, OpenedLayer } from '../types.js';
import { ReplayedSource, replayLog } from './log.js';

/*
 * VHDX (MS-VHDX v1.0), little-endian. Layout of the first MiB:
 *   0       file type identifier: 'vhdxfile', creator (UTF-16LE, 512 bytes) at 8
 *   64 KiB  header 1, 128 KiB header 2 (4 KiB each): 0 'head' 4 CRC-32C 8 sequence u64
 *           16 file write GUID 32 data write GUID 48 log GUID 64 log version u16 66 version u16
 *           68 log length u32 72 log offset u64. The valid header with the higher sequence wins.
 *   192 KiB region table 1, 256 KiB region table 2 (64 KiB each): 0 'regi' 4 CRC-32C
 *           8 entry count u32; entries of 32 bytes at 16: GUID, file offset u64, length u32,
 *           flags u32 (bit 0 required).
 * Metadata region: 0 'metadata' 10 entry count u16; entries of 32 bytes at 32: item GUID,
 *   offset u32 (from the region start), length u32, flags u32 (bit 2 required).
 * BAT: u64 entries, bits 0-2 state, bits 20-63 file offset in MiB. After every `chunk ratio`
 *   payload entries comes one sector-bitmap entry; chunk ratio = 2^23 × logical sector / block.
 */

const REGION_BAT = '2dc27766-f623-4200-9d64-115e9bfd4a08';
const REGION_METADATA = '8b7ca206-4790-4b9a-b8fe-575f050f886e';
const META_FILE_PARAMETERS = 'caa16737-fa36-4d43-b3b6-33f0aa44e76b';
const META_VIRTUAL_DISK_SIZE = '2fa54224-cd1b-4876-b211-5dbed83bf4b8';
const META_PAGE83 = 'beca12ab-b2e6-4523-93ef-c309e000c746';
const META_LOGICAL_SECTOR = '8141bf1d-a96f-4709-ba47-f233a8faab5f';
const META_PHYSICAL_SECTOR = 'cda348c7-445d-4471-9cc9-e9885251c556';
const META_PARENT_LOCATOR = 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c';
const PARENT_LOCATOR_VHDX = 'b04aefb7-d19e-4a81-b789-25b8e9445913';
const ZERO_GUID = '00000000-0000-0000-0000-000000000000';
const MIB = 1024 * 1024;

/** MS-VHDX: at most 2047 region and metadata entries, 64 TiB of disk, 256 MiB blocks. */
export const MAX_VHDX_ENTRIES = 2047;
export const MAX_VHDX_SIZE = 64 * 1024 ** 4;
export const MAX_VHDX_BLOCK = 256 * MIB;
const MAX_METADATA_ITEM = MIB;
const MAX_LOCATOR_KEYS = 256;

const PAYLOAD_NOT_PRESENT = 0;
const PAYLOAD_UNDEFINED = 1;
const PAYLOAD_ZERO = 2;
const PAYLOAD_UNMAPPED = 3;
const PAYLOAD_FULLY_PRESENT = 6;
const PAYLOAD_PARTIALLY_PRESENT = 7;

function bad(code: string, message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError(code, message, { data: { format: 'vhdx', ...data } });
}

interface VhdxHeader {
  seq: bigint;
  fileWriteGuid: string;
  dataWriteGuid: string;
  logGuid: string;
  logLength: number;
  logOffset: number;
}

async function readHeader(file: ByteSource, at: number): Promise<VhdxHeader | undefined> {
  if (at + 4096 > file.size) return undefined;
  const h = await file.read(at, 4096);
  const hv = new ByteView(h, 'VHDX header', at);
  if (hv.latin1(0, 4) !== 'head' || crc32c(h, 4) !== hv.u32le(4)) return undefined;
  if (hv.u16le(66) !== 1) {
    throw new UnsupportedError('vhdx/version', `VHDX header version ${hv.u16le(66)} is not supported`, {
      data: { version: hv.u16le(66) },
    });
  }
  return {
    seq: hv.u64le(8),
    fileWriteGuid: hv.guid(16),
    dataWriteGuid: hv.guid(32),
    logGuid: hv.guid(48),
    logLength: hv.u32le(68),
    logOffset: inRange(hv.u64le(72), 0, Number.MAX_SAFE_INTEGER, 'vhdx/bad-header', 'log offset'),
  };
}

async function readRegions(file: ByteSource): Promise<Map<string, { offset: number; length: number }>> {
  for (const at of [192 * 1024, 256 * 1024]) {
    if (at + 65536 > file.size) continue;
    const t = await file.read(at, 65536);
    const tv = new ByteView(t, 'VHDX region table', at);
    if (tv.latin1(0, 4) !== 'regi' || crc32c(t, 4) !== tv.u32le(4)) continue;
    const count = inRange(tv.u32le(8), 0, MAX_VHDX_ENTRIES, 'vhdx/bad-region-table', 'region entry count');
    const regions = new Map<string, { offset: number; length: number }>();
    for (let i = 0; i < count; i++) {
      const o = 16 + i * 32;
      const id = tv.guid(o);
      const offset = inRange(
        tv.u64le(o + 16),
        0,
        Number.MAX_SAFE_INTEGER,
        'vhdx/bad-region-table',
        'region offset',
      );
      const length = tv.u32le(o + 24);
      const required = (tv.u32le(o + 28) & 1) !== 0;
      if (id !== REGION_BAT && id !== REGION_METADATA) {
        if (required)
          throw new UnsupportedError('vhdx/unknown-region', `VHDX has an unknown required region ${id}`, {
            data: { region: id },
          });
        continue;
      }
      if (offset < MIB || offset % MIB !== 0 || length % MIB !== 0 || offset + length > file.size) {
        throw bad(
          'vhdx/bad-region',
          `region ${id} at ${offset} (+${length}) is misplaced or past the end of the file`,
          { offset, length, fileSize: file.size },
        );
      }
      regions.set(id, { offset, length });
    }
    return regions;
  }
  throw bad('vhdx/no-region-table', 'neither region table is valid (signature or CRC-32C)');
}

interface Metadata {
  blockSize: number;
  leaveBlocksAllocated: boolean;
  hasParent: boolean;
  virtualSize: number;
  logicalSector: number;
  physicalSector: number;
  diskId?: string;
  parentLocator?: { type: string; entries: Record<string, string> };
}

async function readMetadata(file: ByteSource, region: { offset: number; length: number }): Promise<Metadata> {
  const t = await file.read(region.offset, 65536);
  const tv = new ByteView(t, 'VHDX metadata table', region.offset);
  if (tv.latin1(0, 8) !== 'metadata') throw bad('vhdx/bad-metadata', `no metadata table at ${region.offset}`);
  const count = inRange(tv.u16le(10), 0, MAX_VHDX_ENTRIES, 'vhdx/bad-metadata', 'metadata entry count');
  const items = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const o = 32 + i * 32;
    const id = tv.guid(o);
    const offset = tv.u32le(o + 16);
    const length = inRange(
      tv.u32le(o + 20),
      0,
      MAX_METADATA_ITEM,
      'vhdx/bad-metadata',
      `metadata item ${id} length`,
    );
    const required = (tv.u32le(o + 24) & 4) !== 0;
    const known = [
      META_FILE_PARAMETERS,
      META_VIRTUAL_DISK_SIZE,
      META_PAGE83,
      META_LOGICAL_SECTOR,
      META_PHYSICAL_SECTOR,
      META_PARENT_LOCATOR,
    ];
    if (!known.includes(id)) {
      if (required)
        throw new UnsupportedError(
          'vhdx/unknown-metadata',
          `VHDX has an unknown required metadata item ${id}`,
          { data: { item: id } },
        );
      continue;
    }
    if (length === 0) continue;
    if (offset < 65536 || offset + length > region.length) {
      throw bad('vhdx/bad-metadata', `metadata item ${id} at ${offset} (+${length}) is outside its region`, {
        item: id,
        offset,
        length,
      });
    }
    items.set(id, await file.read(region.offset + offset, length));
  }
  const need = (id: string, len: number, name: string): Uint8Array => {
    const b = items.get(id);
    if (b === undefined || b.length < len)
      throw bad('vhdx/missing-metadata', `required metadata item ${name} is missing`, { item: id });
    return b;
  };
  const fpv = new ByteView(need(META_FILE_PARAMETERS, 8, 'File Parameters'), 'VHDX File Parameters');
  const blockSize = fpv.u32le(0);
  if (blockSize < MIB || blockSize > MAX_VHDX_BLOCK || (blockSize & (blockSize - 1)) !== 0) {
    throw bad('vhdx/bad-block-size', `block size ${blockSize} is not a power of two in [1 MiB, 256 MiB]`, {
      blockSize,
    });
  }
  const virtualSize = inRange(
    new ByteView(need(META_VIRTUAL_DISK_SIZE, 8, 'Virtual Disk Size'), 'VHDX Virtual Disk Size').u64le(0),
    0,
    MAX_VHDX_SIZE,
    'vhdx/bad-size',
    'virtual disk size',
  );
  const logicalSector = new ByteView(
    need(META_LOGICAL_SECTOR, 4, 'Logical Sector Size'),
    'VHDX Logical Sector Size',
  ).u32le(0);
  const physicalSector = new ByteView(
    need(META_PHYSICAL_SECTOR, 4, 'Physical Sector Size'),
    'VHDX Physical Sector Size',
  ).u32le(0);
  if (logicalSector !== 512 && logicalSector !== 4096)
    throw bad('vhdx/bad-sector-size', `logical sector size ${logicalSector}`, { logicalSector });
  const meta: Metadata = {
    blockSize,
    leaveBlocksAllocated: (fpv.u32le(4) & 1) !== 0,
    hasParent: (fpv.u32le(4) & 2) !== 0,
    virtualSize,
    logicalSector,
    physicalSector,
  };
  const p83 = items.get(META_PAGE83);
  if (p83 !== undefined && p83.length >= 16) meta.diskId = new ByteView(p83, 'VHDX Page 83 Data').guid(0);
  const pl = items.get(META_PARENT_LOCATOR);
  if (pl !== undefined && pl.length >= 20) {
    const plv = new ByteView(pl, 'VHDX Parent Locator');
    // Parent locator: 0 locator type GUID, 18 key-value count u16; entries of 12 bytes at 20:
    // key offset u32, value offset u32, key length u16, value length u16 (UTF-16LE, item-relative).
    const n = inRange(plv.u16le(18), 0, MAX_LOCATOR_KEYS, 'vhdx/bad-parent-locator', 'key-value count');
    const entries: Record<string, string> = {};
    for (let i = 0; i < n; i++) {
      const o = 20 + i * 12;
      if (o + 12 > pl.length) throw bad('vhdx/bad-parent-locator', 'parent locator entries overrun the item');
      const ko = plv.u32le(o);
      const vo = plv.u32le(o + 4);
      const kl = plv.u16le(o + 8);
      const vl = plv.u16le(o + 10);
      if (ko + kl > pl.length || vo + vl > pl.length)
        throw bad('vhdx/bad-parent-locator', 'parent locator key or value overruns the item');
      entries[plv.utf16le(ko, kl, { nulTerminated: true })] = plv.utf16le(vo, vl, { nulTerminated: true });
    }
    meta.parentLocator = { type: plv.guid(0), entries };
  }
  return meta;
}

class VhdxSource extends ChunkedSource {
  constructor(
    private readonly file: ByteSource,
    private readonly m: Metadata,
    private readonly batOffset: number,
    private readonly chunkRatio: number,
    private readonly reserved: readonly (readonly [number, number])[],
    private readonly parent: ByteSource | undefined,
  ) {
    super(m.virtualSize, m.blockSize, 'vhdx');
  }

  private async entry(index: number): Promise<{ state: number; offset: number }> {
    const at = this.batOffset + index * 8;
    const e = new ByteView(await this.file.read(at, 8), 'VHDX BAT entry', at).u64le(0);
    return { state: Number(e & 7n), offset: Number(e >> 20n) * MIB };
  }

  private checkBlock(offset: number, length: number, what: string): void {
    if (offset < MIB)
      throw bad('vhdx/bad-block-offset', `${what} points into the header area (${offset})`, { offset });
    for (const [a, b] of this.reserved) {
      if (offset < b && offset + length > a) {
        throw bad('vhdx/bad-block-offset', `${what} at ${offset} overlaps the log, BAT or metadata at ${a}`, {
          offset,
        });
      }
    }
  }

  protected async readChunk(
    index: number,
    within: number,
    length: number,
    out: Uint8Array,
    at: number,
  ): Promise<void> {
    const { state, offset } = await this.entry(index + Math.floor(index / this.chunkRatio));
    const virtual = index * this.m.blockSize + within;
    switch (state) {
      case PAYLOAD_FULLY_PRESENT:
        this.checkBlock(offset, this.m.blockSize, `block ${index}`);
        out.set(
          await readMapped(this.file, offset + within, length, 'vhdx/block-past-end', `block ${index}`),
          at,
        );
        return;
      case PAYLOAD_ZERO:
        return;
      case PAYLOAD_NOT_PRESENT:
      case PAYLOAD_UNDEFINED:
      case PAYLOAD_UNMAPPED:
        if (this.parent !== undefined) await readParent(this.parent, virtual, length, out, at);
        return;
      case PAYLOAD_PARTIALLY_PRESENT:
        return this.partial(index, offset, within, length, out, at);
      default:
        throw bad('vhdx/bad-bat-entry', `block ${index} has BAT state ${state}`, { block: index, state });
    }
  }

  /** Differencing disks: a 1 MiB sector bitmap per chunk says which sectors this file holds. */
  private async partial(
    index: number,
    offset: number,
    within: number,
    length: number,
    out: Uint8Array,
    at: number,
  ): Promise<void> {
    if (this.parent === undefined)
      throw bad('vhdx/bad-bat-entry', `block ${index} is partially present in a disk without parent`);
    this.checkBlock(offset, this.m.blockSize, `block ${index}`);
    const chunk = Math.floor(index / this.chunkRatio);
    const sb = await this.entry((chunk + 1) * (this.chunkRatio + 1) - 1);
    if (sb.state !== PAYLOAD_FULLY_PRESENT)
      throw bad('vhdx/bad-bat-entry', `sector bitmap of chunk ${chunk} is not present`, { chunk });
    this.checkBlock(sb.offset, MIB, `sector bitmap ${chunk}`);
    const sector = this.m.logicalSector;
    const firstSectorOfBlock = (index % this.chunkRatio) * (this.m.blockSize / sector);
    let pos = within;
    const end = within + length;
    while (pos < end) {
      const s = Math.floor(pos / sector);
      const n = Math.min((s + 1) * sector, end) - pos;
      const bit = firstSectorOfBlock + s;
      const byte = await readMapped(
        this.file,
        sb.offset + (bit >> 3),
        1,
        'vhdx/block-past-end',
        `sector bitmap ${chunk}`,
      );
      if ((((byte[0] ?? 0) >> (bit & 7)) & 1) === 1) {
        out.set(
          await readMapped(this.file, offset + pos, n, 'vhdx/block-past-end', `block ${index}`),
          at + pos - within,
        );
      } else {
        await readParent(this.parent, index * this.m.blockSize + pos, n, out, at + pos - within);
      }
      pos += n;
    }
  }
}

export const vhdxDriver: ContainerDriver = {
  format: 'vhdx',
  async probe(file) {
    if (file.size < 8) return undefined;
    return new ByteView(await file.read(0, 8), 'VHDX file identifier').latin1(0, 8) === 'vhdxfile'
      ? { format: 'vhdx' }
      : undefined;
  },

  async open(file: HostFile, ctx: OpenContext): Promise<OpenedLayer> {
    let src: ByteSource = file.source;
    if (src.size < MIB)
      throw bad('vhdx/truncated', `file of ${src.size} bytes is shorter than the VHDX header area`);
    const creator = new ByteView(await src.read(8, 512), 'VHDX file identifier', 8).utf16le(0, 512, {
      nulTerminated: true,
    });
    const h1 = await readHeader(src, 64 * 1024);
    const h2 = await readHeader(src, 128 * 1024);
    const header = h1 === undefined ? h2 : h2 === undefined ? h1 : h2.seq > h1.seq ? h2 : h1;
    if (header === undefined)
      throw bad('vhdx/no-valid-header', 'neither VHDX header is valid (signature or CRC-32C)');
    const details: Record<string, unknown> = {
      creator,
      dataWriteGuid: header.dataWriteGuid,
      fileWriteGuid: header.fileWriteGuid,
    };
    if (header.logGuid !== ZERO_GUID) {
      const replay = await replayLog(src, header.logOffset, header.logLength, header.logGuid);
      src = new ReplayedSource(src, replay.writes, replay.size);
      details.logReplayed = { entries: replay.entries, writes: replay.writes.length };
    }
    const regions = await readRegions(src);
    const batRegion = regions.get(REGION_BAT);
    const metaRegion = regions.get(REGION_METADATA);
    if (batRegion === undefined || metaRegion === undefined)
      throw bad('vhdx/missing-region', 'the BAT or metadata region is missing');
    const m = await readMetadata(src, metaRegion);
    const chunkRatio = (2 ** 23 * m.logicalSector) / m.blockSize;
    const dataBlocks = Math.ceil(m.virtualSize / m.blockSize);
    const totalEntries = m.hasParent
      ? Math.ceil(dataBlocks / chunkRatio) * (chunkRatio + 1)
      : dataBlocks + Math.floor(Math.max(0, dataBlocks - 1) / chunkRatio);
    if (totalEntries * 8 > batRegion.length) {
      throw bad(
        'vhdx/bad-bat',
        `BAT region of ${batRegion.length} bytes cannot hold ${totalEntries} entries`,
        {
          expected: totalEntries * 8,
          actual: batRegion.length,
        },
      );
    }
    const reserved: [number, number][] = [
      [batRegion.offset, batRegion.offset + batRegion.length],
      [metaRegion.offset, metaRegion.offset + metaRegion.length],
    ];
    if (header.logLength > 0) reserved.push([header.logOffset, header.logOffset + header.logLength]);
    Object.assign(details, {
      subformat: m.hasParent ? 'differencing' : m.leaveBlocksAllocated ? 'fixed' : 'dynamic',
      virtualSize: m.virtualSize,
      blockSize: m.blockSize,
      logicalSectorSize: m.logicalSector,
      physicalSectorSize: m.physicalSector,
      diskId: m.diskId,
    });

    let parent: ByteSource | undefined;
    if (m.hasParent) {
      const loc = m.parentLocator;
      if (loc === undefined || loc.type !== PARENT_LOCATOR_VHDX) {
        throw new UnsupportedError('vhdx/parent-locator', 'differencing VHDX has no VHDX parent locator', {
          data: { type: loc?.type },
        });
      }
      details.parentLocator = loc.entries;
      const relative = loc.entries.relative_path;
      if (relative === undefined) {
        throw bad(
          'vhdx/no-parent',
          `differencing VHDX names no relative parent path (absolute: ${loc.entries.absolute_win32_path ?? 'none'})`,
          {
            parent: loc.entries.absolute_win32_path,
          },
        );
      }
      const path = await ctx.resolveLinked(
        file,
        relative.replace(/\\/g, '/').replace(/^\.\//, ''),
        'parent disk',
      );
      const layer = await ctx.openImage(path, 'parent disk');
      const linkage = loc.entries.parent_linkage?.replace(/[{}]/g, '').toLowerCase();
      if (layer.format === 'vhdx' && linkage !== undefined && layer.details.dataWriteGuid !== linkage) {
        throw bad(
          'vhdx/parent-mismatch',
          `parent ${path} has data write GUID ${String(layer.details.dataWriteGuid)}, the child expects ${linkage}`,
          {
            path,
            expected: linkage,
            actual: layer.details.dataWriteGuid,
          },
        );
      }
      parent = layer.source;
      details.backingChain = [
        { path, format: layer.format, virtualSize: layer.source.size },
        ...((layer.details.backingChain as unknown[] | undefined) ?? []),
      ];
    }
    return { source: new VhdxSource(src, m, batRegion.offset, chunkRatio, reserved, parent), details };
  },
};
