import { ByteView } from '@imagecheck/binary';
import { storedCrc, xfsCrc } from './crc32c.js';
import type { Superblock } from './format.js';
import { inodeError } from './inode.js';

/*
 * Version 2/3 directories (xfs_da_format.h). A directory is one of:
 * - shortform, in the inode (di_format LOCAL), struct xfs_dir2_sf_hdr: 0 count u8, 1 i8count u8,
 *   2 parent (4 bytes, or 8 when i8count > 0); then per entry: namelen u8, offset u16, name,
 *   [ftype u8 when the filesystem has ftype], inumber (4 or 8 bytes). No "." or ".." entries.
 * - block: one directory block at offset 0 with magic XD2B (v4) / XDB3 (v5); entries, then the
 *   hash leaf array (count × 8 bytes) and the tail (u32 count, u32 stale) at the end of the block.
 * - leaf and node: data blocks (XD2D / XDD3) below XFS_DIR2_LEAF_OFFSET (32 GiB of directory
 *   address space), leaf/node hash blocks at 32 GiB and free-space blocks at 64 GiB. Listing and
 *   lookup only need the data blocks, so this reader scans those and ignores the hash index.
 * Data block header: v4 struct xfs_dir2_data_hdr (magic + 3 bestfree pairs = 16 bytes); v5
 * struct xfs_dir3_data_hdr: 0 magic, 4 crc (le32), 8 blkno (daddr), 16 lsn, 24 uuid, 40 owner,
 * 48 bestfree, 60 pad = 64 bytes. Entries (xfs_dir2_data_entry): 0 inumber u64, 8 namelen u8,
 * 9 name, [ftype u8], tag u16, padded to 8 bytes; unused space (xfs_dir2_data_unused): 0 0xffff,
 * 2 length u16, ..., tag u16 at the end.
 */
export const XD2B = 0x58443242;
export const XD2D = 0x58443244;
export const XDB3 = 0x58444233;
export const XDD3 = 0x58444433;
const DIR3_CRC_OFFSET = 4;
const DATA_FREE_TAG = 0xffff;
/** Directory address space below which data blocks live (XFS_DIR2_LEAF_OFFSET = 32 GiB). */
export const DIR2_LEAF_OFFSET = 32 * 2 ** 30;
/** Entries decoded for one directory; XFS allows ~2^32 but no image a check reads has more than this. */
export const MAX_DIR_ENTRIES = 1 << 22;

/** The XFS directory file type codes (XFS_DIR3_FT_*). */
export const FT_UNKNOWN = 0;
export const FT_REG_FILE = 1;
export const FT_DIR = 2;
export const FT_SYMLINK = 7;
export const FT_MAX = 8;

export interface DirEntry {
  name: string;
  ino: bigint;
  /** XFS_DIR3_FT_* when the filesystem records it, else undefined. */
  ftype: number | undefined;
}

const decoder = new TextDecoder('utf-8');

function checkName(nameBytes: Uint8Array, dirIno: bigint, where: Record<string, unknown>): string {
  if (nameBytes.length === 0 || nameBytes.includes(0) || nameBytes.includes(0x2f)) {
    throw inodeError('xfs/bad-dir-name', 'directory entry name is empty or holds "/" or NUL', dirIno, where);
  }
  return decoder.decode(nameBytes);
}

/** Decodes a shortform directory from the inode's data fork (`size` = di_size). Returns entries and the parent. */
export function decodeShortform(
  sb: Superblock,
  dirIno: bigint,
  fork: Uint8Array,
  size: number,
): { parent: bigint; entries: DirEntry[] } {
  if (size < 6 || size > fork.length) {
    throw inodeError('xfs/bad-shortform-dir', 'shortform directory size does not fit the fork', dirIno, {
      expected: `6..${fork.length}`,
      actual: size,
    });
  }
  const b = fork.subarray(0, size);
  const bv = new ByteView(b, `XFS shortform directory of inode ${dirIno}`);
  const count = bv.u8(0);
  const i8count = bv.u8(1);
  const inoSize = i8count > 0 ? 8 : 4;
  const readIno = (o: number): bigint => (inoSize === 8 ? bv.u64be(o) : BigInt(bv.u32be(o)));
  let p = 2;
  if (p + inoSize > size)
    throw inodeError('xfs/bad-shortform-dir', 'header past the end', dirIno, { actual: size });
  const parent = readIno(p);
  p += inoSize;
  const entries: DirEntry[] = [];
  const ftypeLen = sb.hasFtype ? 1 : 0;
  for (let i = 0; i < count; i++) {
    if (p + 3 > size)
      throw inodeError('xfs/bad-shortform-dir', 'entry past the end', dirIno, { entry: i, offset: p });
    const namelen = bv.u8(p);
    const end = p + 3 + namelen + ftypeLen + inoSize;
    if (end > size)
      throw inodeError('xfs/bad-shortform-dir', 'entry past the end', dirIno, { entry: i, offset: p });
    const name = checkName(b.subarray(p + 3, p + 3 + namelen), dirIno, { entry: i, offset: p });
    const ftype = sb.hasFtype ? bv.u8(p + 3 + namelen) : undefined;
    entries.push({ name, ino: readIno(p + 3 + namelen + ftypeLen), ftype });
    p = end;
  }
  return { parent, entries };
}

/**
 * Decodes the entries of one directory data block (`b` is sb.dirBlockSize bytes at disk address
 * `daddr`), appending to `out`. `.` and `..` are dropped. Checks magic, v5 CRC, owner and blkno.
 */
export function decodeDataBlock(
  sb: Superblock,
  dirIno: bigint,
  b: Uint8Array,
  daddr: number | undefined,
  out: DirEntry[],
): void {
  const bv = new ByteView(b, `XFS directory block of inode ${dirIno}`, daddr === undefined ? 0 : daddr * 512);
  const magic = bv.u32be(0);
  const isBlock = magic === (sb.hasCrc ? XDB3 : XD2B);
  const isData = magic === (sb.hasCrc ? XDD3 : XD2D);
  if (!isBlock && !isData) {
    throw inodeError('xfs/bad-dir-block-magic', 'bad directory data block magic', dirIno, {
      daddr,
      expected: sb.hasCrc ? [XDB3, XDD3] : [XD2B, XD2D],
      actual: magic,
    });
  }
  let hdr = 16;
  if (sb.hasCrc) {
    hdr = 64;
    const expected = storedCrc(b, DIR3_CRC_OFFSET);
    const actual = xfsCrc(b, DIR3_CRC_OFFSET);
    if (expected !== actual)
      throw inodeError('xfs/bad-dir-block-crc', 'directory block CRC mismatch', dirIno, {
        daddr,
        expected,
        actual,
      });
    const owner = bv.u64be(40);
    const blkno = bv.u64be(8);
    if (owner !== dirIno || (daddr !== undefined && blkno !== BigInt(daddr))) {
      throw inodeError('xfs/bad-dir-block-owner', 'directory block belongs elsewhere', dirIno, {
        daddr,
        expected: { owner: dirIno.toString(), blkno: daddr },
        actual: { owner: owner.toString(), blkno: blkno.toString() },
      });
    }
  }
  let end = b.length;
  if (isBlock) {
    // struct xfs_dir2_block_tail at the end: count, stale; the leaf array sits just before it.
    const count = bv.u32be(b.length - 8);
    const leafBytes = count * 8 + 8;
    if (leafBytes > b.length - hdr) {
      throw inodeError('xfs/bad-dir-block', 'block directory leaf count too large', dirIno, {
        daddr,
        actual: count,
      });
    }
    end = b.length - leafBytes;
  }
  const ftypeLen = sb.hasFtype ? 1 : 0;
  let p = hdr;
  while (p < end) {
    if (p + 8 > end)
      throw inodeError('xfs/bad-dir-block', 'entry crosses the end of the data area', dirIno, {
        daddr,
        offset: p,
      });
    if (bv.u16be(p) === DATA_FREE_TAG) {
      const len = bv.u16be(p + 2);
      if (len < 8 || len % 8 !== 0 || p + len > end) {
        throw inodeError('xfs/bad-dir-block', 'bad unused-space length', dirIno, {
          daddr,
          offset: p,
          actual: len,
        });
      }
      p += len;
      continue;
    }
    const namelen = bv.u8(p + 8);
    const entSize = Math.ceil((8 + 1 + namelen + ftypeLen + 2) / 8) * 8;
    if (namelen === 0 || p + entSize > end) {
      throw inodeError('xfs/bad-dir-block', 'bad directory entry', dirIno, {
        daddr,
        offset: p,
        actual: namelen,
      });
    }
    const nameBytes = b.subarray(p + 9, p + 9 + namelen);
    const isDot =
      (namelen === 1 && nameBytes[0] === 0x2e) ||
      (namelen === 2 && nameBytes[0] === 0x2e && nameBytes[1] === 0x2e);
    if (!isDot) {
      if (out.length >= MAX_DIR_ENTRIES) {
        throw inodeError('xfs/dir-too-large', 'directory has too many entries', dirIno, {
          expected: MAX_DIR_ENTRIES,
        });
      }
      out.push({
        name: checkName(nameBytes, dirIno, { daddr, offset: p }),
        ino: bv.u64be(p),
        ftype: sb.hasFtype ? bv.u8(p + 9 + namelen) : undefined,
      });
    }
    p += entSize;
  }
}
