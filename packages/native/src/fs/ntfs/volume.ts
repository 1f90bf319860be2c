import { isImagecheckError, isInternalError } from '@imagecheck/access';
import { ByteView } from '@imagecheck/binary';
import type { FsNode } from '../types.js';
import { ATTR, applyFixups, type RawAttribute } from './record.js';

const LOGFILE_RECORD = 2;
const VOLUME_RECORD = 3;

/** What the volume says about its own state, for `info.details`. */
export interface NtfsVolumeState {
  readonly label?: string;
  /** `major.minor` of $VOLUME_INFORMATION: 3.1 for Windows XP and later. */
  readonly version?: string;
  /** $VOLUME_INFORMATION flags: 0x0001 dirty, 0x4000 chkdsk underway, 0x8000 modified by chkdsk... */
  readonly flags?: number;
  readonly logFile: LogFileState;
  readonly hiberfil: HiberfilState;
}

/**
 * The $LogFile restart page, as ntfs-3g judges it before a read-write mount (libntfs-3g logfile.c
 * `ntfs_is_logfile_clean`): clean when no client is in use or the restart area says the volume is
 * clean; restart version 2.0 is Windows 8+ keeping metadata in its cache (Fast Startup, hibernation).
 */
export interface LogFileState {
  /** `RSTR`/`CHKD` restart page, `empty` (all 0xFF: reset by ntfs-3g or mkntfs), or `damaged`. */
  readonly state: 'restart' | 'empty' | 'damaged';
  readonly clean?: boolean;
  /** Restart page `major.minor`. */
  readonly version?: string;
  readonly windowsCache?: boolean;
  readonly error?: string;
}

/**
 * Root `hiberfil.sys`: ntfs-3g refuses a read-write mount when its first bytes are `hibr`/`HIBR`
 * (Windows hibernated, or shut down with Fast Startup); `wake` or zeros mean it was resumed.
 */
export interface HiberfilState {
  /** Absent when the root directory could not be searched (`error` says why). */
  readonly present?: boolean;
  readonly size?: number;
  /** The first four bytes as Latin-1 when printable, else as hex. */
  readonly signature?: string;
  readonly hibernated?: boolean;
  readonly error?: string;
}

export interface VolumeStateSource {
  inodeOf(record: number): Promise<{ attributes: readonly RawAttribute[] }>;
  readRecordStream(
    record: number,
    type: number,
    name: string,
    offset: number,
    length: number,
  ): Promise<Uint8Array | undefined>;
  root(): Promise<FsNode>;
  lookup(dir: FsNode, name: string): Promise<FsNode | undefined>;
  read(file: FsNode, offset: number, length: number): Promise<Uint8Array>;
}

/**
 * Reads $Volume (record 3: $VOLUME_NAME 0x60 is the UTF-16LE label; $VOLUME_INFORMATION 0x70 is
 * 0x08 u8 major, 0x09 u8 minor, 0x0A u16 flags), the $LogFile restart page and root hiberfil.sys.
 * $Volume damage fails the open; $LogFile and hiberfil.sys damage is reported in the state.
 */
export async function readVolumeState(fs: VolumeStateSource): Promise<NtfsVolumeState> {
  const vol = await fs.inodeOf(VOLUME_RECORD);
  let label: string | undefined;
  let version: string | undefined;
  let flags: number | undefined;
  for (const a of vol.attributes) {
    if (a.value === undefined) continue;
    if (a.type === ATTR.VOLUME_NAME) label = new ByteView(a.value, '$VOLUME_NAME').utf16le(0, a.value.length);
    if (a.type === ATTR.VOLUME_INFORMATION) {
      const v = new ByteView(a.value, '$VOLUME_INFORMATION');
      version = `${v.u8(8, 'major')}.${v.u8(9, 'minor')}`;
      flags = v.u16le(10, 'flags');
    }
  }
  return {
    ...(label === undefined ? {} : { label }),
    ...(version === undefined ? {} : { version }),
    ...(flags === undefined ? {} : { flags }),
    logFile: await logFileState(fs),
    hiberfil: await hiberfilState(fs),
  };
}

/**
 * Restart page header (ntfs-3g layout.h `RESTART_PAGE_HEADER`): 0x00 magic, 0x04 u16 update
 * sequence offset, 0x06 count, 0x10 u32 system page size, 0x14 u32 log page size, 0x18 u16 restart
 * area offset, 0x1A s16 minor, 0x1C s16 major. Restart area: 0x0C u16 client_in_use_list,
 * 0x0E u16 flags (0x2 RESTART_VOLUME_IS_CLEAN).
 */
async function logFileState(fs: VolumeStateSource): Promise<LogFileState> {
  try {
    const head = await fs.readRecordStream(LOGFILE_RECORD, ATTR.DATA, '', 0, 512);
    if (head === undefined || head.length < 512) return { state: 'damaged', error: 'ntfs/bad-logfile' };
    const magic = new ByteView(head, '$LogFile restart page').latin1(0, 4);
    if (head.every((b) => b === 0xff)) return { state: 'empty', clean: true };
    if (magic !== 'RSTR' && magic !== 'CHKD') return { state: 'damaged', error: 'ntfs/bad-logfile' };
    const pageSize = new ByteView(head, '$LogFile restart page').u32le(0x10, 'system page size');
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
      return { state: 'damaged', error: 'ntfs/bad-logfile' };
    }
    const read = await fs.readRecordStream(LOGFILE_RECORD, ATTR.DATA, '', 0, pageSize);
    const page = read === undefined ? undefined : new Uint8Array(read); // a copy: fix-ups are applied in place
    if (page === undefined || page.length < pageSize) return { state: 'damaged', error: 'ntfs/bad-logfile' };
    applyFixups(page, '$LogFile restart page', 0);
    const v = new ByteView(page, '$LogFile restart page');
    const raOffset = v.u16le(0x18, 'restart area offset');
    const minor = v.i16le(0x1a, 'minor version');
    const major = v.i16le(0x1c, 'major version');
    const inUse = v.u16le(raOffset + 0x0c, 'client_in_use_list');
    const raFlags = v.u16le(raOffset + 0x0e, 'restart area flags');
    return {
      state: 'restart',
      clean: inUse === 0xffff || (raFlags & 0x2) !== 0,
      version: `${major}.${minor}`,
      windowsCache: major === 2 && minor === 0,
    };
  } catch (err) {
    if (!isImagecheckError(err) || isInternalError(err)) throw err;
    return { state: 'damaged', error: err.code };
  }
}

async function hiberfilState(fs: VolumeStateSource): Promise<HiberfilState> {
  try {
    const root = await fs.root();
    const node = await fs.lookup(root, 'hiberfil.sys');
    if (node === undefined || node.type !== 'file') return { present: false };
    const head = await fs.read(node, 0, 4);
    const printable = head.length === 4 && head.every((b) => b >= 0x20 && b < 0x7f);
    const signature = printable
      ? String.fromCharCode(...head)
      : [...head].map((b) => b.toString(16).padStart(2, '0')).join('');
    return {
      present: true,
      size: node.size,
      signature,
      hibernated: signature === 'hibr' || signature === 'HIBR',
    };
  } catch (err) {
    if (!isImagecheckError(err) || isInternalError(err)) throw err;
    return { error: err.code };
  }
}
