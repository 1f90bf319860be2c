import { FormatError } from '@imagecheck/access';
import { ByteView, capped, latin1 } from '@imagecheck/binary';
import { type RandomAccessSource, readExact } from '../source.js';
import {
  DIRECTORY_CERTIFICATE,
  IMAGE_FILE_DLL,
  IMAGE_FILE_EXECUTABLE_IMAGE,
  PE_MACHINES,
  PE_SUBSYSTEMS,
} from './names.js';

/*
 * PE headers, after Microsoft's "PE Format" documentation (learn.microsoft.com, windows/win32/debug/pe-format):
 * the MS-DOS stub's `e_lfanew` at 0x3C points at "PE\0\0", followed by the 20-byte COFF file header,
 * the optional header (PE32 magic 0x10B or PE32+ magic 0x20B) and the section table (40 bytes a row).
 * Only these are read: three small reads at the start of the file, whatever its size.
 */

/**
 * Where the PE signature may sit. The format allows any offset inside the file, but every linker
 * puts it within the first kilobytes (after the DOS stub and, for MSVC, the Rich header); a
 * larger value is damage or a trick, and would make us read far into a file for headers.
 */
export const MAX_E_LFANEW = 1024 * 1024;
/** "the Windows loader limits the number of sections to 96" (PE Format, COFF File Header). */
export const MAX_SECTIONS = 96;
/**
 * The optional header is 224 (PE32) or 240 (PE32+) bytes with 16 data directories; linkers never
 * write more. 4 KiB leaves room for oddities while bounding the read.
 */
export const MAX_OPTIONAL_HEADER_SIZE = 4096;
/** The spec defines 16 data directories; the loader ignores any beyond them. */
export const MAX_DATA_DIRECTORIES = 16;
/** Long section names (`/123`) are at most this long in the COFF string table we read them from. */
export const MAX_SECTION_NAME = 256;

export type PeFormat = 'PE32' | 'PE32+';

export interface PeVersion {
  major: number;
  minor: number;
}

export interface PeDataDirectory {
  /** An RVA, except for the certificate table (index 4), where it is a file offset. */
  virtualAddress: number;
  size: number;
}

export interface PeSection {
  /** The 8-byte name, or the long name from the COFF string table for `/nnn` names. */
  name: string;
  virtualSize: number;
  virtualAddress: number;
  sizeOfRawData: number;
  pointerToRawData: number;
  characteristics: number;
}

/** The decoded headers of a PE image. */
export interface PeImage {
  /** File offset of the "PE\0\0" signature (`e_lfanew`). */
  peOffset: number;
  /** COFF `Machine` and its name (`i386`, `x86_64`, `arm64`, `armnt`...; undefined when unknown). */
  machine: number;
  machineName: string | undefined;
  numberOfSections: number;
  /** Seconds since 1970 (or a build hash in reproducible builds). */
  timeDateStamp: number;
  pointerToSymbolTable: number;
  numberOfSymbols: number;
  characteristics: number;
  isDll: boolean;
  isExecutable: boolean;
  format: PeFormat;
  linkerVersion: PeVersion;
  sizeOfCode: number;
  addressOfEntryPoint: number;
  imageBase: bigint;
  sectionAlignment: number;
  fileAlignment: number;
  osVersion: PeVersion;
  imageVersion: PeVersion;
  subsystemVersion: PeVersion;
  sizeOfImage: number;
  sizeOfHeaders: number;
  checkSum: number;
  /** Optional header `Subsystem` and its name (`native`, `windows-gui`, `windows-cui`, `efi-application`...). */
  subsystem: number;
  subsystemName: string | undefined;
  dllCharacteristics: number;
  /** `NumberOfRvaAndSizes` as written; `dataDirectories` holds at most 16 of them. */
  numberOfRvaAndSizes: number;
  dataDirectories: PeDataDirectory[];
  sections: PeSection[];
  /** Whether the certificate table (Authenticode signature) data directory is non-empty. */
  hasCertificate: boolean;
  /** Bytes of the source, so RVAs can be checked against it. */
  fileSize: number;
}

function notPe(message: string, data: Record<string, unknown>): FormatError {
  return new FormatError('pe/not-pe', message, { data });
}

/** True when the source starts with "MZ" and `e_lfanew` points at "PE\0\0": the probe, no error on a mismatch. */
export async function probePe(source: RandomAccessSource): Promise<boolean> {
  if (source.size < 64) return false;
  const dos = await source.read(0, 64);
  if (dos[0] !== 0x4d || dos[1] !== 0x5a) return false;
  const lfanew = new ByteView(dos, 'MS-DOS header').u32le(0x3c);
  if (lfanew > MAX_E_LFANEW || lfanew + 4 > source.size) return false;
  const sig = await source.read(lfanew, 4);
  return sig[0] === 0x50 && sig[1] === 0x45 && sig[2] === 0 && sig[3] === 0;
}

/**
 * Reads the DOS header, PE signature, COFF header, optional header and section table.
 * Throws `FormatError('pe/not-pe')` on a wrong magic, `pe/truncated` when a header runs past the end
 * of the source, `pe/bad-optional-header` for an unknown optional header magic or a size too small
 * for its fields, and `binary/over-cap` for counts above the caps.
 */
export async function readPe(source: RandomAccessSource): Promise<PeImage> {
  // IMAGE_DOS_HEADER: e_magic "MZ" at 0, e_lfanew (u32) at 0x3C.
  const dos = new ByteView(await readExact(source, 0, 64, 'pe/truncated', 'MS-DOS header'), 'MS-DOS header');
  if (dos.u16le(0) !== 0x5a4d) {
    throw notPe('no "MZ" at offset 0', {
      structure: 'MS-DOS header',
      offset: 0,
      expected: 0x5a4d,
      actual: dos.u16le(0),
    });
  }
  const peOffset = capped(dos.u32le(0x3c, 'e_lfanew'), MAX_E_LFANEW, 'e_lfanew', 'MS-DOS header');

  // "PE\0\0" then IMAGE_FILE_HEADER (20 bytes).
  const head = new ByteView(
    await readExact(source, peOffset, 24, 'pe/truncated', 'COFF file header'),
    'COFF file header',
    peOffset,
  );
  if (head.u32le(0) !== 0x00004550) {
    throw notPe(`no "PE\\0\\0" signature at offset ${peOffset}`, {
      structure: 'PE signature',
      offset: peOffset,
      expected: 0x00004550,
      actual: head.u32le(0),
    });
  }
  const machine = head.u16le(4);
  const numberOfSections = capped(
    head.u16le(6, 'NumberOfSections'),
    MAX_SECTIONS,
    'NumberOfSections',
    'COFF file header',
  );
  const timeDateStamp = head.u32le(8);
  const pointerToSymbolTable = head.u32le(12);
  const numberOfSymbols = head.u32le(16);
  const sizeOfOptionalHeader = capped(
    head.u16le(20, 'SizeOfOptionalHeader'),
    MAX_OPTIONAL_HEADER_SIZE,
    'SizeOfOptionalHeader',
    'COFF file header',
  );
  const characteristics = head.u16le(22);

  // Optional header and section table in one read: they are contiguous.
  const optOffset = peOffset + 24;
  const rest = await readExact(
    source,
    optOffset,
    sizeOfOptionalHeader + numberOfSections * 40,
    'pe/truncated',
    'optional header and section table',
  );
  const opt = new ByteView(rest.subarray(0, sizeOfOptionalHeader), 'optional header', optOffset);
  if (sizeOfOptionalHeader < 2) {
    throw new FormatError(
      'pe/bad-optional-header',
      `optional header of ${sizeOfOptionalHeader} bytes at ${optOffset}`,
      {
        data: {
          structure: 'optional header',
          offset: optOffset,
          expected: 'at least 96 bytes',
          actual: sizeOfOptionalHeader,
        },
      },
    );
  }
  const magic = opt.u16le(0);
  let format: PeFormat;
  if (magic === 0x10b) format = 'PE32';
  else if (magic === 0x20b) format = 'PE32+';
  else {
    throw new FormatError(
      'pe/bad-optional-header',
      `unknown optional header magic 0x${magic.toString(16)} at ${optOffset}`,
      {
        data: { structure: 'optional header', offset: optOffset, expected: [0x10b, 0x20b], actual: magic },
      },
    );
  }
  const plus = format === 'PE32+';
  // The data directories start at 96 (PE32) or 112 (PE32+): the fixed fields must all be there.
  const dirStart = plus ? 112 : 96;
  if (sizeOfOptionalHeader < dirStart) {
    throw new FormatError(
      'pe/bad-optional-header',
      `${format} optional header of ${sizeOfOptionalHeader} bytes at ${optOffset}`,
      {
        data: {
          structure: 'optional header',
          offset: optOffset,
          expected: dirStart,
          actual: sizeOfOptionalHeader,
        },
      },
    );
  }
  const numberOfRvaAndSizes = opt.u32le(plus ? 108 : 92, 'NumberOfRvaAndSizes');
  const dirCount = Math.min(
    numberOfRvaAndSizes,
    MAX_DATA_DIRECTORIES,
    Math.floor((sizeOfOptionalHeader - dirStart) / 8),
  );
  const dataDirectories: PeDataDirectory[] = [];
  for (let i = 0; i < dirCount; i++) {
    dataDirectories.push({
      virtualAddress: opt.u32le(dirStart + i * 8),
      size: opt.u32le(dirStart + i * 8 + 4),
    });
  }

  const sectionsView = new ByteView(
    rest.subarray(sizeOfOptionalHeader),
    'section table',
    optOffset + sizeOfOptionalHeader,
  );
  const sections: PeSection[] = [];
  for (let i = 0; i < numberOfSections; i++) {
    const o = i * 40;
    // IMAGE_SECTION_HEADER: Name[8], VirtualSize, VirtualAddress, SizeOfRawData, PointerToRawData, ..., Characteristics at 36.
    let name = latin1(sectionsView.bytesAt(o, 8), true);
    if (/^\/\d{1,7}$/.test(name)) {
      name = await longSectionName(source, name, pointerToSymbolTable, numberOfSymbols);
    }
    sections.push({
      name,
      virtualSize: sectionsView.u32le(o + 8),
      virtualAddress: sectionsView.u32le(o + 12),
      sizeOfRawData: sectionsView.u32le(o + 16),
      pointerToRawData: sectionsView.u32le(o + 20),
      characteristics: sectionsView.u32le(o + 36),
    });
  }

  const cert = dataDirectories[DIRECTORY_CERTIFICATE];
  return {
    peOffset,
    machine,
    machineName: PE_MACHINES[machine],
    numberOfSections,
    timeDateStamp,
    pointerToSymbolTable,
    numberOfSymbols,
    characteristics,
    isDll: (characteristics & IMAGE_FILE_DLL) !== 0,
    isExecutable: (characteristics & IMAGE_FILE_EXECUTABLE_IMAGE) !== 0,
    format,
    linkerVersion: { major: opt.u8(2), minor: opt.u8(3) },
    sizeOfCode: opt.u32le(4),
    addressOfEntryPoint: opt.u32le(16),
    imageBase: plus ? opt.u64le(24) : BigInt(opt.u32le(28)),
    sectionAlignment: opt.u32le(32),
    fileAlignment: opt.u32le(36),
    osVersion: { major: opt.u16le(40), minor: opt.u16le(42) },
    imageVersion: { major: opt.u16le(44), minor: opt.u16le(46) },
    subsystemVersion: { major: opt.u16le(48), minor: opt.u16le(50) },
    sizeOfImage: opt.u32le(56),
    sizeOfHeaders: opt.u32le(60),
    checkSum: opt.u32le(64),
    subsystem: opt.u16le(68),
    subsystemName: PE_SUBSYSTEMS[opt.u16le(68)],
    dllCharacteristics: opt.u16le(70),
    numberOfRvaAndSizes,
    dataDirectories,
    sections,
    hasCertificate: cert !== undefined && cert.size > 0 && cert.virtualAddress > 0,
    fileSize: source.size,
  };
}

/**
 * Resolves a `/nnn` section name: an offset into the COFF string table, which follows the symbol
 * table (18 bytes a symbol). Images linked by MinGW keep these for their DWARF sections. A name
 * that cannot be resolved stays as written, as `objdump` does.
 */
async function longSectionName(
  source: RandomAccessSource,
  raw: string,
  pointerToSymbolTable: number,
  numberOfSymbols: number,
): Promise<string> {
  if (pointerToSymbolTable === 0) return raw;
  const at = pointerToSymbolTable + numberOfSymbols * 18 + Number(raw.slice(1));
  if (!Number.isSafeInteger(at) || at >= source.size) return raw;
  const bytes = await source.read(at, Math.min(MAX_SECTION_NAME, source.size - at));
  return latin1(bytes, true);
}

/**
 * The file offset of `[rva, rva + length)`: inside the headers, or inside one section's raw data.
 * Bytes that exist only in memory (past `SizeOfRawData`) or nowhere are `pe/bad-rva`.
 */
export function rvaToOffset(image: PeImage, rva: number, length: number, structure: string): number {
  if (rva + length <= image.sizeOfHeaders && rva + length <= image.fileSize) return rva;
  for (const s of image.sections) {
    if (rva >= s.virtualAddress && rva + length <= s.virtualAddress + s.sizeOfRawData) {
      const offset = s.pointerToRawData + (rva - s.virtualAddress);
      if (offset + length <= image.fileSize) return offset;
    }
  }
  throw new FormatError(
    'pe/bad-rva',
    `${structure}: RVA 0x${rva.toString(16)} (${length} bytes) is in no section's file data`,
    {
      data: { structure, rva, size: length },
    },
  );
}

/** The section holding `rva` in its file data, for bounding reads that start there. */
export function sectionAt(image: PeImage, rva: number): PeSection | undefined {
  return image.sections.find((s) => rva >= s.virtualAddress && rva < s.virtualAddress + s.sizeOfRawData);
}
