import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView, inRange } from '@imagecheck/binary';
import type { ByteSource } from '../../block/index.js';

/*
 * qcow2 header, all fields big-endian (qemu docs/interop/qcow2.txt, "Header"):
 *   0 magic 'QFI\xfb'        4 version (2 or 3)         8 backing_file_offset u64
 *  16 backing_file_size u32 20 cluster_bits u32        24 size u64 (virtual bytes)
 *  32 crypt_method u32      36 l1_size u32 (entries)    40 l1_table_offset u64
 *  48 refcount_table_offset u64  56 refcount_table_clusters u32
 *  60 nb_snapshots u32      64 snapshots_offset u64
 * v3 only:
 *  72 incompatible_features u64  80 compatible_features u64  88 autoclear_features u64
 *  96 refcount_order u32   100 header_length u32       104 compression_type u8 (if header_length > 104)
 * Header extensions follow at header_length (v3) or 72 (v2): type u32, length u32, data padded to 8.
 */

export const QCOW2_MAGIC = 0x514649fb;
/** qemu accepts 512 B .. 2 MiB clusters. */
export const MIN_CLUSTER_BITS = 9;
export const MAX_CLUSTER_BITS = 21;
/** 4 PiB: far above any real disk, low enough that every offset stays a safe integer. */
export const MAX_VIRTUAL_SIZE = 2 ** 52;
/** qemu's QCOW_MAX_L1_SIZE is 32 MiB of entries. */
export const MAX_L1_ENTRIES = (32 * 1024 * 1024) / 8;
/** qemu keeps backing file names below 1 KiB. */
export const MAX_BACKING_NAME = 1023;
export const MAX_HEADER_EXTENSIONS = 64;
/** qemu's QCOW_MAX_SNAPSHOTS. */
export const MAX_SNAPSHOTS = 65536;
/** Snapshots listed in details; the rest are counted. */
export const MAX_LISTED_SNAPSHOTS = 256;

const INCOMPAT_DIRTY = 1n << 0n;
const INCOMPAT_CORRUPT = 1n << 1n;
const INCOMPAT_DATA_FILE = 1n << 2n;
const INCOMPAT_COMPRESSION = 1n << 3n;
const INCOMPAT_EXTL2 = 1n << 4n;
const INCOMPAT_KNOWN =
  INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;

const EXT_BACKING_FORMAT = 0xe2792aca;
const EXT_FEATURE_NAMES = 0x6803f857;
const EXT_BITMAPS = 0x23852875;
const EXT_CRYPTO = 0x0537be77;
const EXT_DATA_FILE = 0x44415441;

export interface Qcow2Snapshot {
  id: string;
  name: string;
  /** Virtual size at snapshot time, when the extra data records it (v3). */
  virtualSize?: number;
  date: string;
}

export interface Qcow2Header {
  version: 2 | 3;
  clusterBits: number;
  clusterSize: number;
  virtualSize: number;
  l1Size: number;
  l1Offset: number;
  compression: 'zlib' | 'zstd';
  extendedL2: boolean;
  dirty: boolean;
  corrupt: boolean;
  lazyRefcounts: boolean;
  refcountBits: number;
  backingFile?: string;
  backingFormat?: string;
  hasBitmaps: boolean;
  snapshotCount: number;
  snapshotsOffset: number;
  refcountTableOffset: number;
  refcountTableBytes: number;
}

function bad(code: string, message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError(code, message, { data: { format: 'qcow2', ...data } });
}

export async function parseQcow2Header(file: ByteSource): Promise<Qcow2Header> {
  if (file.size < 72)
    throw bad('qcow2/truncated', `file of ${file.size} bytes is shorter than a qcow2 header`);
  const h = await file.read(0, Math.min(file.size, 512));
  const hv = new ByteView(h, 'qcow2 header');
  const version = hv.u32be(4);
  if (version === 1)
    throw new UnsupportedError('qcow2/version', 'qcow (version 1) images are not supported', {
      data: { version },
    });
  if (version !== 2 && version !== 3) {
    throw new UnsupportedError('qcow2/version', `qcow2 version ${version} is not supported`, {
      data: { version },
    });
  }
  const clusterBits = inRange(
    hv.u32be(20),
    MIN_CLUSTER_BITS,
    MAX_CLUSTER_BITS,
    'qcow2/bad-cluster-bits',
    'cluster_bits',
  );
  const clusterSize = 2 ** clusterBits;
  const virtualSize = inRange(
    inRange(hv.u64be(24), 0, Number.MAX_SAFE_INTEGER, 'qcow2/bad-size', 'size'),
    0,
    MAX_VIRTUAL_SIZE,
    'qcow2/bad-size',
    'size',
  );
  const crypt = hv.u32be(32);
  if (crypt !== 0) {
    const method = crypt === 1 ? 'AES' : crypt === 2 ? 'LUKS' : `method ${crypt}`;
    throw new UnsupportedError(
      'qcow2/encrypted',
      `qcow2 image is encrypted (${method}); encrypted images are not read`,
      {
        data: { format: 'qcow2', cryptMethod: crypt, method },
      },
    );
  }
  const l1Size = inRange(hv.u32be(36), 0, MAX_L1_ENTRIES, 'qcow2/bad-l1-size', 'l1_size');
  const l1Offset = inRange(
    hv.u64be(40),
    0,
    Number.MAX_SAFE_INTEGER,
    'qcow2/bad-l1-offset',
    'l1_table_offset',
  );

  let incompatible = 0n;
  let compatible = 0n;
  let refcountOrder = 4;
  let headerLength = 72;
  let compression: 'zlib' | 'zstd' = 'zlib';
  if (version === 3) {
    if (h.length < 104) throw bad('qcow2/truncated', 'v3 header is truncated');
    incompatible = hv.u64be(72);
    compatible = hv.u64be(80);
    refcountOrder = inRange(hv.u32be(96), 0, 6, 'qcow2/bad-refcount-order', 'refcount_order');
    headerLength = inRange(
      hv.u32be(100),
      104,
      Math.min(clusterSize, h.length),
      'qcow2/bad-header-length',
      'header_length',
    );
    const unknown = incompatible & ~INCOMPAT_KNOWN;
    if (unknown !== 0n) {
      throw new UnsupportedError(
        'qcow2/unknown-incompatible-features',
        `qcow2 uses unknown incompatible features 0x${unknown.toString(16)}`,
        {
          data: { format: 'qcow2', features: `0x${incompatible.toString(16)}` },
        },
      );
    }
    if (headerLength > 104) {
      const type = hv.u8(104);
      if (type === 1) compression = 'zstd';
      else if (type !== 0) {
        throw new UnsupportedError(
          'qcow2/compression-type',
          `qcow2 compression type ${type} is not supported`,
          { data: { type } },
        );
      }
    }
    if (compression !== 'zlib' && (incompatible & INCOMPAT_COMPRESSION) === 0n) {
      throw bad(
        'qcow2/bad-compression-type',
        'compression type is set but the compression-type feature bit is not',
      );
    }
  }
  const extendedL2 = (incompatible & INCOMPAT_EXTL2) !== 0n;
  if (extendedL2 && clusterBits < 14) {
    throw bad(
      'qcow2/bad-cluster-bits',
      `extended L2 entries need clusters of at least 16 KiB, not ${clusterSize}`,
    );
  }

  // Header extensions live in the first cluster.
  const first = await file.read(0, Math.min(file.size, clusterSize));
  const fv = new ByteView(first, 'qcow2 header cluster');
  let backingFormat: string | undefined;
  let dataFile: string | undefined;
  let hasBitmaps = false;
  let pos = headerLength;
  for (let i = 0; ; i++) {
    if (i >= MAX_HEADER_EXTENSIONS)
      throw bad('qcow2/too-many-extensions', `more than ${MAX_HEADER_EXTENSIONS} header extensions`);
    if (pos + 8 > first.length) break;
    const type = fv.u32be(pos);
    const len = fv.u32be(pos + 4);
    if (type === 0) break;
    if (pos + 8 + len > first.length)
      throw bad('qcow2/bad-extension', `header extension 0x${type.toString(16)} overruns the first cluster`, {
        offset: pos,
      });
    const data = fv.sub(pos + 8, len, 'qcow2 header extension');
    if (type === EXT_BACKING_FORMAT) backingFormat = data.latin1(0, len);
    else if (type === EXT_DATA_FILE) dataFile = data.latin1(0, len);
    else if (type === EXT_BITMAPS) hasBitmaps = true;
    else if (type === EXT_CRYPTO || type === EXT_FEATURE_NAMES) {
      // Feature names only label bits we already decode; the crypto header is moot (crypt_method is 0).
    }
    pos += 8 + Math.ceil(len / 8) * 8;
  }
  if ((incompatible & INCOMPAT_DATA_FILE) !== 0n) {
    throw new UnsupportedError(
      'qcow2/external-data-file',
      `qcow2 image keeps its data in an external data file${dataFile !== undefined ? ` (${dataFile})` : ''}; external data files are not read`,
      { data: { format: 'qcow2', dataFile } },
    );
  }

  let backingFile: string | undefined;
  const backingOffset = inRange(
    hv.u64be(8),
    0,
    Number.MAX_SAFE_INTEGER,
    'qcow2/bad-backing-name',
    'backing_file_offset',
  );
  const backingSize = hv.u32be(16);
  if (backingOffset !== 0 && backingSize !== 0) {
    inRange(backingSize, 1, MAX_BACKING_NAME, 'qcow2/bad-backing-name', 'backing_file_size');
    if (backingOffset + backingSize > first.length) {
      throw bad('qcow2/bad-backing-name', 'backing file name lies outside the first cluster', {
        offset: backingOffset,
      });
    }
    backingFile = fv.utf8(backingOffset, backingSize, { field: 'backing file name' });
  }

  const snapshotCount = inRange(hv.u32be(60), 0, MAX_SNAPSHOTS, 'qcow2/bad-snapshot-count', 'nb_snapshots');
  const snapshotsOffset = inRange(
    hv.u64be(64),
    0,
    Number.MAX_SAFE_INTEGER,
    'qcow2/bad-snapshot-offset',
    'snapshots_offset',
  );

  return {
    version,
    clusterBits,
    clusterSize,
    virtualSize,
    l1Size,
    l1Offset,
    compression,
    extendedL2,
    dirty: (incompatible & INCOMPAT_DIRTY) !== 0n,
    corrupt: (incompatible & INCOMPAT_CORRUPT) !== 0n,
    lazyRefcounts: (compatible & 1n) !== 0n,
    refcountBits: 2 ** refcountOrder,
    backingFile,
    backingFormat,
    hasBitmaps,
    snapshotCount,
    snapshotsOffset,
    refcountTableOffset: inRange(
      hv.u64be(48),
      0,
      Number.MAX_SAFE_INTEGER,
      'qcow2/bad-refcount-table',
      'refcount_table_offset',
    ),
    refcountTableBytes: hv.u32be(56) * clusterSize,
  };
}

/**
 * The snapshot table (qcow2.txt, "Snapshots"): per entry, big-endian
 *   0 l1_table_offset u64  8 l1_size u32  12 id_str_size u16  14 name_size u16
 *  16 date_sec u32  20 date_nsec u32  24 vm_clock_nsec u64  32 vm_state_size u32
 *  36 extra_data_size u32  40 extra data (8: vm_state_size_large u64, 16: disk_size u64, ...)
 *  then the id string, the name, padding to a multiple of 8.
 */
export async function readSnapshots(file: ByteSource, hdr: Qcow2Header): Promise<Qcow2Snapshot[]> {
  const out: Qcow2Snapshot[] = [];
  let pos = hdr.snapshotsOffset;
  const n = Math.min(hdr.snapshotCount, MAX_LISTED_SNAPSHOTS);
  for (let i = 0; i < n; i++) {
    if (pos + 40 > file.size)
      throw bad('qcow2/bad-snapshot-table', `snapshot ${i} header is past the end of the file`, {
        offset: pos,
      });
    const ev = new ByteView(await file.read(pos, 40), 'qcow2 snapshot entry', pos);
    const idLen = ev.u16be(12);
    const nameLen = ev.u16be(14);
    const extraLen = inRange(ev.u32be(36), 0, 1024, 'qcow2/bad-snapshot-table', 'extra_data_size');
    const total = 40 + extraLen + idLen + nameLen;
    if (pos + total > file.size)
      throw bad('qcow2/bad-snapshot-table', `snapshot ${i} is past the end of the file`, { offset: pos });
    const body = await file.read(pos, total);
    const bv = new ByteView(body, 'qcow2 snapshot entry', pos);
    const snap: Qcow2Snapshot = {
      id: bv.utf8(40 + extraLen, idLen, { field: 'id' }),
      name: bv.utf8(40 + extraLen + idLen, nameLen, { field: 'name' }),
      date: new Date(ev.u32be(16) * 1000).toISOString(),
    };
    if (extraLen >= 16)
      snap.virtualSize = inRange(
        bv.u64be(48),
        0,
        Number.MAX_SAFE_INTEGER,
        'qcow2/bad-snapshot-table',
        'disk_size',
      );
    out.push(snap);
    pos += Math.ceil(total / 8) * 8;
  }
  return out;
}
