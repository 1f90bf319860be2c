import type { GuestFileTypeV2 } from '@imagecheck/access';
import { FormatError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';

/**
 * Directory entries (`struct ext4_dir_entry_2`, ext4 docs "Linear (Classic) Directories"):
 *   0x0 inode u32   0x4 rec_len u16   0x6 name_len u8   0x7 file_type u8   0x8 name
 * Without the filetype feature, 0x6 is a u16 name_len and there is no type byte.
 *
 * One linear decoder serves every directory layout: htree (dir_index) directories keep their
 * index inside entries a linear reader already skips (the dx_root hides behind `..`'s rec_len,
 * interior dx_node blocks are a single empty entry spanning the block), and the metadata_csum
 * tail is an entry with inode 0.
 */
export interface RawDirEntry {
  name: string;
  inode: number;
  /** Directory-entry file type (1 reg, 2 dir, 3 chr, 4 blk, 5 fifo, 6 sock, 7 symlink), 0 when unknown. */
  fileType: number;
}

export function typeFromDirent(fileType: number): GuestFileTypeV2 | undefined {
  switch (fileType) {
    case 1:
      return 'file';
    case 2:
      return 'dir';
    case 7:
      return 'symlink';
    case 3:
    case 4:
    case 5:
    case 6:
      return 'other';
    default:
      return undefined;
  }
}

/**
 * Decodes the entries of one directory block (or one inline-data area) and appends them to `out`.
 * `where` names the structure for errors. rec_len values of 0 or 65535 mean 65536 on 64 KiB blocks
 * (kernel `ext4_rec_len_from_disk`).
 */
export function parseDirBlock(
  buf: Uint8Array,
  hasFileType: boolean,
  dirIno: number,
  where: string,
  out: RawDirEntry[],
): void {
  const v = new ByteView(buf, `ext directory ${where}`);
  let off = 0;
  while (off < buf.length) {
    if (off + 8 > buf.length) {
      throw new FormatError(
        'ext/bad-dirent',
        `directory ${dirIno}: entry header at ${where}+${off} runs past the block`,
        {
          data: { inode: dirIno, offset: `${where}+${off}`, actual: buf.length - off, expected: 8 },
        },
      );
    }
    const inode = v.u32le(off);
    let recLen = v.u16le(off + 4);
    if (buf.length === 65536 && (recLen === 0 || recLen === 65535)) recLen = 65536;
    const nameLen = hasFileType ? v.u8(off + 6) : v.u16le(off + 6);
    const fileType = hasFileType ? v.u8(off + 7) : 0;
    if (
      recLen < 8 ||
      recLen % 4 !== 0 ||
      off + recLen > buf.length ||
      (inode !== 0 && 8 + nameLen > recLen)
    ) {
      throw new FormatError('ext/bad-dirent', `directory ${dirIno}: bad entry at ${where}+${off}`, {
        data: {
          inode: dirIno,
          offset: `${where}+${off}`,
          actual: { recLen, nameLen },
          expected: `8 + name_len <= rec_len <= ${buf.length - off}`,
        },
      });
    }
    if (inode !== 0 && nameLen > 0) {
      const name = v.utf8(off + 8, nameLen);
      if (name !== '.' && name !== '..') out.push({ name, inode, fileType });
    }
    off += recLen;
  }
}
