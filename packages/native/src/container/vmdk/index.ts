import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView, inRange } from '@imagecheck/binary';
import { type ByteSource, clampRead, SliceSource } from '../../block/index.js';
import { readParent } from '../chunked.js';
import type { ContainerDriver, HostFile, OpenContext, OpenedLayer } from '../types.js';
import {
  looksLikeDescriptor,
  MAX_DESCRIPTOR_BYTES,
  parseDescriptor,
  type VmdkDescriptor,
} from './descriptor.js';
import { MAX_VMDK_SIZE, readSparseHeader, SPARSE_MAGIC, SparseExtentSource } from './sparse.js';

const COWD_MAGIC = 0x44574f43; // 'COWD': ESX vmfsSparse / Workstation 3 extents
const SESPARSE_MAGIC = 0xcafebabe; // seSparse (ESXi 6.5+), low half of a u64

function bad(code: string, message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError(code, message, { data: { format: 'vmdk', ...data } });
}

interface Placed {
  start: number;
  size: number;
  source: ByteSource | undefined; // undefined: reads as zeros
}

/** Extents laid end to end; a lookup is a binary search over their start offsets. */
class ConcatSource implements ByteSource {
  constructor(
    readonly size: number,
    private readonly parts: readonly Placed[],
  ) {}

  async read(offset: number, length: number, options?: { allowShort?: boolean }): Promise<Uint8Array> {
    const end = clampRead(this.size, offset, length, options?.allowShort === true, 'vmdk');
    const out = new Uint8Array(end - offset);
    let pos = offset;
    while (pos < end) {
      let lo = 0;
      let hi = this.parts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((this.parts[mid]?.start ?? 0) <= pos) lo = mid;
        else hi = mid - 1;
      }
      const part = this.parts[lo];
      if (part === undefined) break;
      const n = Math.min(end, part.start + part.size) - pos;
      if (part.source !== undefined) await readParent(part.source, pos - part.start, n, out, pos - offset);
      pos += n;
    }
    return out;
  }

  slice(offset: number, length: number): ByteSource {
    return new SliceSource(this, offset, length);
  }
}

async function embeddedDescriptor(
  file: ByteSource,
  offsetSectors: number,
  sectors: number,
): Promise<VmdkDescriptor | undefined> {
  if (offsetSectors === 0 || sectors === 0) return undefined;
  const len = Math.min(sectors * 512, MAX_DESCRIPTOR_BYTES);
  if (offsetSectors * 512 + len > file.size)
    throw bad(
      'vmdk/bad-descriptor',
      `embedded descriptor at sector ${offsetSectors} is past the end of the file`,
    );
  return parseDescriptor(new TextDecoder('latin1').decode(await file.read(offsetSectors * 512, len)));
}

async function openParent(
  file: HostFile,
  desc: VmdkDescriptor | undefined,
  ctx: OpenContext,
): Promise<{ parent?: ByteSource; chain: unknown[] }> {
  const parentCid = desc?.fields.parentCID?.toLowerCase();
  const hint = desc?.fields.parentFileNameHint;
  if (parentCid === undefined || parentCid === 'ffffffff' || hint === undefined) return { chain: [] };
  const path = await ctx.resolveLinked(file, hint.replace(/\\/g, '/'), 'parent disk');
  const layer = await ctx.openImage(path, 'parent disk');
  return {
    parent: layer.source,
    chain: [
      { path, format: layer.format, virtualSize: layer.source.size },
      ...((layer.details.backingChain as unknown[] | undefined) ?? []),
    ],
  };
}

export const vmdkDriver: ContainerDriver = {
  format: 'vmdk',
  async probe(file) {
    if (file.size < 4) return undefined;
    const head = await file.read(0, Math.min(file.size, 512));
    const hv = new ByteView(head, 'VMDK header');
    const magic = hv.u32le(0);
    if (magic === SPARSE_MAGIC) return { format: 'vmdk' };
    if (magic === COWD_MAGIC) {
      throw new UnsupportedError('vmdk/cowd', 'VMware COWD (vmfsSparse) extents are not supported', {
        data: { format: 'vmdk' },
      });
    }
    if (magic === SESPARSE_MAGIC && head.length >= 8 && hv.u32le(4) === 0) {
      throw new UnsupportedError(
        'vmdk/sesparse',
        'VMware seSparse extents (ESXi snapshots) are not supported',
        { data: { format: 'vmdk' } },
      );
    }
    return looksLikeDescriptor(head) ? { format: 'vmdk' } : undefined;
  },

  async open(file: HostFile, ctx: OpenContext): Promise<OpenedLayer> {
    const head = await file.source.read(0, Math.min(file.source.size, 512));
    if (head.length >= 4 && new ByteView(head, 'VMDK header').u32le(0) === SPARSE_MAGIC) {
      // monolithicSparse / streamOptimized: one sparse extent, its descriptor embedded.
      const h = await readSparseHeader(file.source);
      const desc = await embeddedDescriptor(file.source, h.descriptorOffset, h.descriptorSectors);
      const { parent, chain } = await openParent(file, desc, ctx);
      return {
        source: new SparseExtentSource(file.source, h, parent, 0),
        details: {
          subformat: desc?.fields.createType ?? (h.streamOptimized ? 'streamOptimized' : 'monolithicSparse'),
          virtualSize: h.capacitySectors * 512,
          grainSize: h.grainSectors * 512,
          compressed: h.compressed,
          version: h.version,
          cid: desc?.fields.CID,
          parentCid: desc?.fields.parentCID,
          parentFileNameHint: desc?.fields.parentFileNameHint,
          extents: [
            { type: h.streamOptimized ? 'STREAM' : 'SPARSE', sectors: h.capacitySectors, file: file.path },
          ],
          backingChain: chain,
        },
      };
    }
    if (file.source.size > MAX_DESCRIPTOR_BYTES) {
      throw bad(
        'vmdk/bad-descriptor',
        `descriptor file of ${file.source.size} bytes exceeds ${MAX_DESCRIPTOR_BYTES}`,
        { size: file.source.size },
      );
    }
    const desc = parseDescriptor(
      new TextDecoder('latin1').decode(await file.source.read(0, file.source.size)),
    );
    if (desc.extents.length === 0) throw bad('vmdk/no-extents', 'descriptor lists no extents');
    const { parent, chain } = await openParent(file, desc, ctx);
    const parts: Placed[] = [];
    const extents: unknown[] = [];
    let start = 0;
    let sparseInfo: { grainSize: number; compressed: boolean } | undefined;
    for (const e of desc.extents) {
      const size = e.sectors * 512;
      inRange(start + size, 0, MAX_VMDK_SIZE, 'vmdk/bad-capacity', 'sum of extent sizes');
      if (e.access === 'NOACCESS')
        throw new UnsupportedError('vmdk/noaccess-extent', 'NOACCESS extents are not supported', {
          data: { extent: e },
        });
      if (e.type === 'ZERO') {
        parts.push({ start, size, source: undefined });
        extents.push({ type: e.type, sectors: e.sectors });
        start += size;
        continue;
      }
      if (e.file === undefined) throw bad('vmdk/bad-extent', `${e.type} extent names no file`);
      const path = await ctx.resolveLinked(file, e.file.replace(/\\/g, '/'), 'extent');
      const ext = await ctx.openFile(path);
      if (e.type === 'FLAT' || e.type === 'VMFS') {
        const from = e.offset * 512;
        if (from + size > ext.source.size) {
          throw bad(
            'vmdk/extent-too-short',
            `flat extent ${path} has ${ext.source.size} bytes, the descriptor needs ${from + size}`,
            {
              path,
              expected: from + size,
              actual: ext.source.size,
            },
          );
        }
        const window = ext.source.slice(from, size);
        // Unallocated is meaningless in a flat extent, so the parent never shows through it.
        parts.push({ start, size, source: window });
      } else if (e.type === 'SPARSE' || e.type === 'VMFSSPARSE') {
        const magic =
          ext.source.size >= 4 ? new ByteView(await ext.source.read(0, 4), 'VMDK extent header').u32le(0) : 0;
        if (magic !== SPARSE_MAGIC) {
          throw new UnsupportedError(
            'vmdk/extent-kind',
            `sparse extent ${path} is not a hosted sparse extent (magic 0x${magic.toString(16)})`,
            { data: { path } },
          );
        }
        const h = await readSparseHeader(ext.source);
        sparseInfo = { grainSize: h.grainSectors * 512, compressed: h.compressed };
        parts.push({ start, size, source: new SparseExtentSource(ext.source, h, parent, start) });
      } else {
        throw new UnsupportedError('vmdk/extent-type', `VMDK extent type ${e.type} is not supported`, {
          data: { type: e.type, path },
        });
      }
      extents.push({ type: e.type, sectors: e.sectors, file: path, offset: e.offset });
      start += size;
    }
    return {
      source: new ConcatSource(start, parts),
      details: {
        subformat: desc.fields.createType,
        virtualSize: start,
        ...sparseInfo,
        cid: desc.fields.CID,
        parentCid: desc.fields.parentCID,
        parentFileNameHint: desc.fields.parentFileNameHint,
        extents,
        backingChain: chain,
      },
    };
  },
};
