import { FormatError, UnsupportedError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';

/**
 * Reparse points ($REPARSE_POINT, 0xC0; [MS-FSCC] 2.1.2): 0x00 u32 tag, 0x04 u16 data length,
 * 0x06 u16 reserved, 0x08 data.
 */
export const IO_REPARSE_TAG_MOUNT_POINT = 0xa0000003;
export const IO_REPARSE_TAG_SYMLINK = 0xa000000c;
export const IO_REPARSE_TAG_WOF = 0x80000017;

export interface ReparsePoint {
  readonly tag: number;
  readonly data: Uint8Array;
}

export function parseReparsePoint(value: Uint8Array, offset: number): ReparsePoint {
  const v = new ByteView(value, '$REPARSE_POINT', offset);
  const tag = v.u32le(0, 'tag');
  const len = v.u16le(4, 'data length');
  return { tag, data: v.bytesAt(8, len, 'data') };
}

/** Tags the reader exposes as `symlink` nodes: symbolic links and junctions (mount points). */
export function isLinkTag(tag: number): boolean {
  return tag === IO_REPARSE_TAG_SYMLINK || tag === IO_REPARSE_TAG_MOUNT_POINT;
}

/**
 * The target of a symbolic link or junction as stored: its substitute name ([MS-FSCC] 2.1.2.4
 * symlink: 0x00 u16 substitute offset, 0x02 u16 length, 0x04 print offset, 0x06 print length,
 * 0x08 u32 flags (1 = relative), 0x0C path buffer; 2.1.2.5 junction: same without the flags,
 * buffer at 0x08), falling back to the print name when the substitute is empty.
 */
export function linkTarget(rp: ReparsePoint, offset: number): { target: string; relative: boolean } {
  const v = new ByteView(rp.data, 'reparse data', offset);
  const symlink = rp.tag === IO_REPARSE_TAG_SYMLINK;
  const buffer = symlink ? 12 : 8;
  const relative = symlink && (v.u32le(8, 'flags') & 1) !== 0;
  const subOff = v.u16le(0, 'substitute name offset');
  const subLen = v.u16le(2, 'substitute name length');
  const printOff = v.u16le(4, 'print name offset');
  const printLen = v.u16le(6, 'print name length');
  let target = v.utf16le(buffer + subOff, subLen, { field: 'substitute name' });
  if (target === '') target = v.utf16le(buffer + printOff, printLen, { field: 'print name' });
  if (target === '') {
    throw new FormatError('ntfs/bad-reparse', `reparse point at ${offset} has an empty target`, {
      data: { structure: 'reparse data', offset, actual: '' },
    });
  }
  return { target, relative };
}

/**
 * Turns a Windows link target into a guest path, `/`-separated, that the guest path resolver
 * follows inside the guest, never on the host:
 *
 * - relative targets (`..\lib\x.dll`) keep their shape: `../lib/x.dll`;
 * - `\??\C:\Windows` and `C:\Windows` become `/Windows`: a filesystem cannot know which drive
 *   letter it is mounted as, and the Windows guest tree mounts the system drive C: at `/`, so C:
 *   is taken to be the guest root;
 * - another drive letter keeps its prefix, `\??\D:\data` → `/D:/data`, which resolves to nothing
 *   (Win32 names cannot contain `:`) unless a guest tree mounts that drive there;
 * - volume-GUID and UNC targets (`\??\Volume{…}\x`, `\??\UNC\server\share`) keep their prefix
 *   under `/` in the same way (`/Volume{…}/x`, `/UNC/server/share`) and so resolve to nothing;
 * - a target rooted on the current drive (`\Windows`) becomes `/Windows`.
 */
export function guestLinkPath(target: string, relative: boolean): string {
  const slashed = target.replace(/\\/g, '/');
  if (relative) return slashed;
  let rest = slashed;
  if (rest.startsWith('/??/')) rest = rest.slice(4);
  else if (rest.startsWith('//?/') || rest.startsWith('//./')) rest = rest.slice(4);
  const drive = /^([A-Za-z]):(\/.*)?$/.exec(rest);
  if (drive !== null) {
    const letter = (drive[1] as string).toUpperCase();
    const path = drive[2] ?? '/';
    return letter === 'C' ? path : `/${letter}:${path === '/' ? '' : path}`;
  }
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * WOF reparse data (tag 0x80000017; ntfs-3g-system-compression, Windows SDK `wofapi.h`):
 * 0x00 u32 WOF version (1), 0x04 u32 provider (2 = file provider), 0x08 u32 file-provider version
 * (1), 0x0C u32 algorithm: 0 XPRESS4K, 1 LZX (32 KiB chunks), 2 XPRESS8K, 3 XPRESS16K.
 */
export interface WofInfo {
  readonly algorithm: 'xpress4k' | 'lzx' | 'xpress8k' | 'xpress16k';
  readonly chunkSize: number;
}

const WOF_ALGORITHMS: Record<number, WofInfo> = {
  0: { algorithm: 'xpress4k', chunkSize: 4096 },
  1: { algorithm: 'lzx', chunkSize: 32768 },
  2: { algorithm: 'xpress8k', chunkSize: 8192 },
  3: { algorithm: 'xpress16k', chunkSize: 16384 },
};

export function parseWof(rp: ReparsePoint, offset: number): WofInfo {
  const v = new ByteView(rp.data, 'WOF reparse data', offset);
  const version = v.u32le(0, 'WOF version');
  const provider = v.u32le(4, 'provider');
  const fileVersion = v.u32le(8, 'file provider version');
  const algorithm = v.u32le(12, 'algorithm');
  const info = WOF_ALGORITHMS[algorithm];
  if (version === 1 && provider === 1) {
    // WIMBoot: the data lives in a WIM file elsewhere on the disk, not in this file.
    throw new UnsupportedError(
      'ntfs/wof-wim-backed',
      `WOF reparse data at ${offset}: a WIM-backed (WIMBoot) file`,
      {
        data: { structure: 'WOF reparse data', offset, actual: provider },
      },
    );
  }
  if (version !== 1 || provider !== 2 || fileVersion !== 1 || info === undefined) {
    throw new FormatError(
      'ntfs/bad-wof',
      `WOF reparse data at ${offset}: version ${version}, provider ${provider}, file version ${fileVersion}, algorithm ${algorithm}`,
      {
        data: {
          structure: 'WOF reparse data',
          offset,
          expected: '1/2/1/0..3',
          actual: `${version}/${provider}/${fileVersion}/${algorithm}`,
        },
      },
    );
  }
  return info;
}
