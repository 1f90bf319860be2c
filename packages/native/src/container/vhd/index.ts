import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView, inRange, utf16le } from '@imagecheck/binary';
import type { ByteSource } from '../../block/index.js';
import { ChunkedSource, readMapped, readParent } from '../chunked.js';
import type { ContainerDriver, HostFile, OpenContext, OpenedLayer } from '../types.js';

/*
 * VHD (Microsoft "Virtual Hard Disk Image Format Specification" 1.0), all fields big-endian.
 * Footer, 512 bytes, at the end of the file (and a copy at offset 0 for dynamic disks):
 *   0 cookie 'conectix'  8 features  12 version  16 data offset u64 (dynamic header, or ~0)
 *  24 timestamp  28 creator application  32 creator version  36 creator host OS
 *  40 original size u64  48 current size u64  56 geometry (cylinders u16, heads u8, sectors u8)
 *  60 disk type u32 (2 fixed, 3 dynamic, 4 differencing)  64 checksum  68 unique id (16)
 * Dynamic disk header, 1024 bytes, at the footer's data offset:
 *   0 cookie 'cxsparse'  16 BAT offset u64  28 max table entries u32  32 block size u32
 *  40 parent unique id (16)  64 parent unicode name (512, UTF-16BE)
 * 576 eight parent locators of 24 bytes: code u32, data space u32, data length u32, reserved,
 *     data offset u64. Codes 'W2ru' (relative, UTF-16LE), 'W2ku' (absolute), 'MacX' (file URL).
 * BAT: u32 sector numbers, ~0 = unallocated. A block is a sector bitmap (1 bit per sector,
 * rounded to 512 bytes) then the data; in a differencing disk a clear bit reads from the parent.
 */

const FOOTER = 512;
const UNALLOCATED = 0xffffffff;
/** The VHD format's own maximum is 2040 GiB; allow headroom for non-conforming writers. */
export const MAX_VHD_SIZE = 2 ** 44;
/** Blocks are 512 KiB or 2 MiB in practice; bound them so bitmaps stay small. */
export const MAX_VHD_BLOCK = 256 * 1024 * 1024;
/** The largest CHS geometry (65535 × 16 × 255): qemu then trusts the current size instead. */
const MAX_GEOMETRY_SECTORS = 65535 * 16 * 255;
/** Creators whose disks are sized by "current size" rather than CHS geometry (as qemu decides). */
const CURRENT_SIZE_CREATORS = new Set(['win ', 'qem2', 'd2v ', 'CTXS', 'tap\0']);

function bad(code: string, message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError(code, message, { data: { format: 'vhd', ...data } });
}

async function findFooter(file: ByteSource): Promise<{ footer: Uint8Array; at: number } | undefined> {
  if (file.size >= FOOTER) {
    const tail = await file.read(file.size - FOOTER, FOOTER);
    if (new ByteView(tail, 'VHD footer', file.size - FOOTER).latin1(0, 8) === 'conectix')
      return { footer: tail, at: file.size - FOOTER };
  }
  // A dynamic disk whose trailing footer was lost still has its copy at 0 (the spec's reason for it).
  if (file.size >= FOOTER) {
    const head = await file.read(0, FOOTER);
    const hv = new ByteView(head, 'VHD footer copy');
    if (hv.latin1(0, 8) === 'conectix' && hv.u32be(60) !== 2) return { footer: head, at: 0 };
  }
  return undefined;
}

/** Metadata ranges no data block may overlap: a block there would read the disk's own tables. */
type Range = readonly [start: number, end: number];

class VhdSource extends ChunkedSource {
  private readonly bitmapBytes: number;
  constructor(
    size: number,
    private readonly file: ByteSource,
    private readonly blockSize: number,
    private readonly batOffset: number,
    private readonly entries: number,
    private readonly metadata: readonly Range[],
    private readonly parent: ByteSource | undefined,
  ) {
    super(size, blockSize, 'vhd');
    this.bitmapBytes = Math.ceil(blockSize / 512 / 8 / 512) * 512;
  }

  protected async readChunk(
    index: number,
    within: number,
    length: number,
    out: Uint8Array,
    at: number,
  ): Promise<void> {
    const sector =
      index < this.entries
        ? new ByteView(
            await this.file.read(this.batOffset + index * 4, 4),
            'VHD BAT entry',
            this.batOffset + index * 4,
          ).u32be(0)
        : UNALLOCATED;
    const virtual = index * this.blockSize + within;
    if (sector === UNALLOCATED) {
      if (this.parent !== undefined) await readParent(this.parent, virtual, length, out, at);
      return;
    }
    const start = sector * 512;
    const end = start + this.bitmapBytes + this.blockSize;
    for (const [a, b] of this.metadata) {
      if (start < b && end > a) {
        throw bad(
          'vhd/bad-block-offset',
          `block ${index} at ${start} overlaps the disk's own metadata at ${a}`,
          { block: index, offset: start },
        );
      }
    }
    const dataStart = start + this.bitmapBytes;
    if (this.parent === undefined) {
      // Dynamic disks: qemu reads allocated blocks whole, whatever the bitmap says.
      out.set(
        await readMapped(this.file, dataStart + within, length, 'vhd/block-past-end', `block ${index}`),
        at,
      );
      return;
    }
    const bitmap = await readMapped(
      this.file,
      start,
      this.bitmapBytes,
      'vhd/block-past-end',
      `bitmap of block ${index}`,
    );
    let pos = within;
    const stop = within + length;
    while (pos < stop) {
      const s = Math.floor(pos / 512);
      const n = Math.min((s + 1) * 512, stop) - pos;
      const set = ((bitmap[s >> 3] ?? 0) >> (7 - (s & 7))) & 1;
      if (set)
        out.set(
          await readMapped(this.file, dataStart + pos, n, 'vhd/block-past-end', `block ${index}`),
          at + pos - within,
        );
      else await readParent(this.parent, index * this.blockSize + pos, n, out, at + pos - within);
      pos += n;
    }
  }
}

/** The plain data of a fixed disk, zero-extended when the geometry-rounded size is larger. */
class FixedSource extends ChunkedSource {
  constructor(
    size: number,
    private readonly data: ByteSource,
  ) {
    super(size, 1024 * 1024, 'vhd');
  }
  protected async readChunk(
    index: number,
    within: number,
    length: number,
    out: Uint8Array,
    at: number,
  ): Promise<void> {
    const start = index * this.chunkSize + within;
    await readParent(this.data, start, length, out, at);
  }
}

function parentLocatorName(code: string, data: Uint8Array): string | undefined {
  if (code === 'W2ru' || code === 'W2ku') return utf16le(data, true);
  if (code === 'MacX')
    return decodeURIComponent(
      new TextDecoder()
        .decode(data)
        .replace(/^file:\/\//, '')
        .replace(/\0.*$/, ''),
    );
  return undefined;
}

export const vhdDriver: ContainerDriver = {
  format: 'vhd',
  async probe(file) {
    return (await findFooter(file)) === undefined ? undefined : { format: 'vhd' };
  },

  async open(file: HostFile, ctx: OpenContext): Promise<OpenedLayer> {
    const found = await findFooter(file.source);
    if (found === undefined) throw bad('vhd/bad-footer', 'no VHD footer');
    const f = found.footer;
    const fv = new ByteView(f, 'VHD footer', found.at);
    const diskType = fv.u32be(60);
    const creator = fv.latin1(28, 4);
    const currentSize = inRange(
      inRange(fv.u64be(48), 0, Number.MAX_SAFE_INTEGER, 'vhd/bad-size', 'current size'),
      0,
      MAX_VHD_SIZE,
      'vhd/bad-size',
      'current size',
    );
    const chsSectors = fv.u16be(56) * fv.u8(58) * fv.u8(59);
    // qemu's rule (block/vpc.c): geometry unless the creator sizes by current size or CHS is maxed.
    const useCurrent = CURRENT_SIZE_CREATORS.has(creator) || chsSectors === MAX_GEOMETRY_SECTORS;
    const virtualSize = useCurrent ? currentSize : chsSectors * 512;
    const details: Record<string, unknown> = {
      subformat:
        diskType === 2
          ? 'fixed'
          : diskType === 3
            ? 'dynamic'
            : diskType === 4
              ? 'differencing'
              : `type ${diskType}`,
      virtualSize,
      currentSize,
      geometrySize: chsSectors * 512,
      sizeFrom: useCurrent ? 'current size' : 'CHS geometry',
      creator,
      uniqueId: fv.uuid(68),
      footerAt: found.at,
    };
    if (diskType === 2) {
      if (found.at === 0) throw bad('vhd/bad-footer', 'fixed VHD footer is not at the end of the file');
      return { source: new FixedSource(virtualSize, file.source.slice(0, found.at)), details };
    }
    if (diskType !== 3 && diskType !== 4) {
      throw new UnsupportedError('vhd/disk-type', `VHD disk type ${diskType} is not supported`, {
        data: { diskType },
      });
    }
    const headerOffset = inRange(
      fv.u64be(16),
      0,
      Number.MAX_SAFE_INTEGER,
      'vhd/bad-header-offset',
      'data offset',
    );
    const dh = await readMapped(
      file.source,
      headerOffset,
      1024,
      'vhd/bad-header-offset',
      'dynamic disk header',
    );
    const dv = new ByteView(dh, 'VHD dynamic disk header', headerOffset);
    if (dv.latin1(0, 8) !== 'cxsparse')
      throw bad('vhd/bad-dynamic-header', `no 'cxsparse' at ${headerOffset}`, { offset: headerOffset });
    const batOffset = inRange(dv.u64be(16), 0, Number.MAX_SAFE_INTEGER, 'vhd/bad-bat', 'table offset');
    const entries = dv.u32be(28);
    const blockSize = dv.u32be(32);
    if (blockSize < 512 || blockSize > MAX_VHD_BLOCK || blockSize % 512 !== 0) {
      throw bad(
        'vhd/bad-block-size',
        `block size ${blockSize} is not a multiple of 512 up to ${MAX_VHD_BLOCK}`,
        { blockSize },
      );
    }
    const needed = Math.ceil(virtualSize / blockSize);
    inRange(entries, 0, 2 ** 32 - 1, 'vhd/bad-bat', 'max table entries');
    // Entries beyond the disk are never read; the BAT itself is read lazily through the block cache.
    const used = Math.min(entries, needed);
    if (batOffset + used * 4 > file.source.size) {
      throw bad(
        'vhd/bad-bat',
        `block allocation table at ${batOffset} (${used} entries) is past the end of the file (${file.source.size} bytes)`,
        {
          offset: batOffset,
          fileSize: file.source.size,
        },
      );
    }
    const metadata: Range[] = [
      [0, FOOTER],
      [headerOffset, headerOffset + 1024],
      [batOffset, batOffset + used * 4],
    ];
    details.blockSize = blockSize;

    let parent: ByteSource | undefined;
    if (diskType === 4) {
      const parentName = dv.utf16be(64, 512, { nulTerminated: true });
      const locators: { code: string; name: string }[] = [];
      for (let i = 0; i < 8; i++) {
        const o = 576 + i * 24;
        const code = dv.latin1(o, 4);
        const len = dv.u32be(o + 8);
        if (dv.u32be(o) === 0 || len === 0) continue;
        inRange(len, 1, 64 * 1024, 'vhd/bad-parent-locator', 'parent locator length');
        const at = inRange(
          dv.u64be(o + 16),
          0,
          Number.MAX_SAFE_INTEGER,
          'vhd/bad-parent-locator',
          'parent locator offset',
        );
        const bytes = await readMapped(
          file.source,
          at,
          len,
          'vhd/bad-parent-locator',
          `parent locator ${code}`,
        );
        const name = parentLocatorName(code, bytes);
        if (name !== undefined) locators.push({ code, name });
      }
      details.parentName = parentName;
      details.parentLocators = locators;
      details.parentUniqueId = dv.uuid(40);
      // Prefer the relative locator (it survives copying the pair elsewhere), then absolute ones.
      const order = ['W2ru', 'W2ku', 'MacX'];
      locators.sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code));
      const candidate = locators[0]?.name ?? parentName;
      if (candidate.length === 0) throw bad('vhd/no-parent', 'differencing VHD names no parent');
      const hostName = candidate.replace(/\\/g, '/').replace(/^\.\//, '');
      const path = await ctx.resolveLinked(file, hostName, 'parent disk');
      const layer = await ctx.openImage(path, 'parent disk');
      parent = layer.source;
      details.backingChain = [
        { path, format: layer.format, virtualSize: layer.source.size },
        ...((layer.details.backingChain as unknown[] | undefined) ?? []),
      ];
    }
    return {
      source: new VhdSource(virtualSize, file.source, blockSize, batOffset, used, metadata, parent),
      details,
    };
  },
};
