import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView, inRange } from '@imagecheck/binary';
import type { ByteSource } from '../../block/index.js';
import { ChunkedSource, readMapped } from '../chunked.js';
import type { ContainerDriver, HostFile, OpenedLayer } from '../types.js';

/*
 * VirtualBox VDI, header version 1.1, little-endian (as documented in VirtualBox's VDICore.h and
 * the comments of qemu's block/vdi.c):
 *   0x000 text (64)  0x040 signature 0xbeda107f  0x044 version (0x00010001)  0x048 header size
 *   0x04c image type (1 dynamic, 2 static, 3 undo, 4 differencing)  0x050 flags
 *   0x054 description (256)  0x154 block map offset  0x158 data offset  0x168 sector size
 *   0x170 disk size u64  0x178 block size  0x17c block extra  0x180 blocks in image
 *   0x184 blocks allocated  0x188 uuid image  0x198 uuid last snapshot  0x1a8 uuid link (parent)
 * Block map: u32 per block, the index of the block in the data area; 0xffffffff unallocated,
 * 0xfffffffe "zero" (both read as zeros). Block b lives at data offset + map[b] × block size.
 */

const SIGNATURE = 0xbeda107f;
const FREE = 0xffffffff;
const ZERO = 0xfffffffe;
/** qemu's VDI_DISK_SIZE_MAX-like bound: far above real disks, offsets stay safe integers. */
export const MAX_VDI_SIZE = 2 ** 52;
/** Blocks are 1 MiB; allow up to 256 MiB. */
export const MAX_VDI_BLOCK = 256 * 1024 * 1024;
/** Block map entries: 2^32 − 2 is the format's own bound; keep the map's bytes within 2^30 of file. */
export const MAX_VDI_BLOCKS = 2 ** 28;

function bad(code: string, message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError(code, message, { data: { format: 'vdi', ...data } });
}

class VdiSource extends ChunkedSource {
  constructor(
    size: number,
    private readonly file: ByteSource,
    private readonly blockSize: number,
    private readonly mapOffset: number,
    private readonly blocks: number,
    private readonly dataOffset: number,
  ) {
    super(size, blockSize, 'vdi');
  }

  protected async readChunk(
    index: number,
    within: number,
    length: number,
    out: Uint8Array,
    at: number,
  ): Promise<void> {
    if (index >= this.blocks) return;
    const mapAt = this.mapOffset + index * 4;
    const entry = new ByteView(await this.file.read(mapAt, 4), 'VDI block map entry', mapAt).u32le(0);
    if (entry === FREE || entry === ZERO) return;
    if (entry >= this.blocks) {
      throw bad(
        'vdi/bad-block-map',
        `block ${index} maps to data block ${entry}, beyond the ${this.blocks} blocks of the image`,
        {
          block: index,
          entry,
        },
      );
    }
    const host = this.dataOffset + entry * this.blockSize;
    out.set(await readMapped(this.file, host + within, length, 'vdi/block-past-end', `block ${index}`), at);
  }
}

export const vdiDriver: ContainerDriver = {
  format: 'vdi',
  async probe(file) {
    if (file.size < 0x48) return undefined;
    const v = new ByteView(await file.read(0, 0x48), 'VDI pre-header');
    if (v.u32le(0x40) !== SIGNATURE) return undefined;
    const version = v.u32le(0x44);
    if (version !== 0x00010001) {
      throw new UnsupportedError(
        'vdi/version',
        `VDI header version 0x${version.toString(16)} is not supported`,
        {
          data: { format: 'vdi', version },
        },
      );
    }
    return { format: 'vdi' };
  },

  async open(file: HostFile): Promise<OpenedLayer> {
    if (file.source.size < 0x200)
      throw bad('vdi/truncated', `file of ${file.source.size} bytes is shorter than a VDI header`);
    const v = new ByteView(await file.source.read(0, 0x200), 'VDI header');
    const type = v.u32le(0x4c);
    if (type !== 1 && type !== 2) {
      const what = type === 3 ? 'undo' : type === 4 ? 'differencing' : `type ${type}`;
      throw new UnsupportedError('vdi/image-type', `VDI ${what} images are not supported`, {
        data: { format: 'vdi', type },
      });
    }
    const mapOffset = v.u32le(0x154);
    const dataOffset = v.u32le(0x158);
    const sectorSize = v.u32le(0x168);
    if (sectorSize !== 512)
      throw new UnsupportedError('vdi/sector-size', `VDI sector size ${sectorSize} is not supported`, {
        data: { sectorSize },
      });
    const size = inRange(
      inRange(v.u64le(0x170), 0, Number.MAX_SAFE_INTEGER, 'vdi/bad-size', 'disk size'),
      0,
      MAX_VDI_SIZE,
      'vdi/bad-size',
      'disk size',
    );
    const blockSize = v.u32le(0x178);
    if (blockSize < 512 || blockSize > MAX_VDI_BLOCK || (blockSize & (blockSize - 1)) !== 0) {
      throw bad(
        'vdi/bad-block-size',
        `block size ${blockSize} is not a power of two up to ${MAX_VDI_BLOCK}`,
        { blockSize },
      );
    }
    if (v.u32le(0x17c) !== 0) {
      throw new UnsupportedError(
        'vdi/block-extra',
        'VDI images with per-block extra data are not supported',
        { data: { blockExtra: v.u32le(0x17c) } },
      );
    }
    const blocks = inRange(v.u32le(0x180), 0, MAX_VDI_BLOCKS, 'vdi/bad-block-count', 'blocks in image');
    if (blocks * blockSize < size) {
      throw bad(
        'vdi/bad-block-count',
        `${blocks} blocks of ${blockSize} bytes do not cover the disk size ${size}`,
        {
          expected: Math.ceil(size / blockSize),
          actual: blocks,
        },
      );
    }
    if (mapOffset + blocks * 4 > file.source.size || mapOffset < 0x200 - 0x50) {
      throw bad(
        'vdi/bad-block-map',
        `block map at ${mapOffset} (${blocks} entries) is outside the file (${file.source.size} bytes)`,
        {
          offset: mapOffset,
          fileSize: file.source.size,
        },
      );
    }
    return {
      source: new VdiSource(size, file.source, blockSize, mapOffset, blocks, dataOffset),
      details: {
        subformat: type === 1 ? 'dynamic' : 'static',
        description: v.latin1(0x54, 256).replace(/\0.*$/s, ''),
        virtualSize: size,
        blockSize,
        blocks,
        blocksAllocated: v.u32le(0x184),
        uuid: v.guid(0x188),
        creator: v.latin1(0, 64).replace(/\0.*$/s, '').trim(),
      },
    };
  },
};
