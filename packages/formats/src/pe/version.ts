import { FormatError } from '@imagecheck/access';
import { ByteView, capped } from '@imagecheck/binary';
import { type RandomAccessSource, readExact } from '../source.js';
import type { PeImage } from './headers.js';
import { VS_FILE_FLAGS, VS_FILE_TYPES } from './names.js';
import { listResources, RT_VERSION } from './resources.js';

/*
 * VS_VERSIONINFO (Win32 docs "VS_VERSIONINFO structure", "StringFileInfo", "StringTable", "String",
 * "VarFileInfo", "Var", "VS_FIXEDFILEINFO"). Every block is
 *   wLength u16 (bytes of the block and its children), wValueLength u16, wType u16 (1 text, 0 binary),
 *   szKey (NUL-terminated UTF-16), padding to a 32-bit boundary, Value, padding, Children
 * with the 32-bit alignment counted from the start of the resource data. VS_VERSIONINFO's value is
 * the 52-byte VS_FIXEDFILEINFO (signature 0xFEEF04BD); its children are "StringFileInfo" (holding
 * one "StringTable" per language/codepage, keyed by 8 hex digits, holding "String" blocks) and
 * "VarFileInfo" (holding the "Translation" Var: pairs of u16 language, u16 codepage).
 *
 * String values are read from the value's start to the block's end, up to the first NUL:
 * wValueLength is in characters by the docs but some resource compilers write bytes, and the
 * block length is what every producer gets right. The nesting is walked by structure
 * (VS_VERSIONINFO -> StringFileInfo -> StringTable -> String), never recursively, so depth is fixed.
 */

/** wLength is a u16, so no version block (and so no useful resource prefix) is longer. */
export const MAX_VERSION_RESOURCE_SIZE = 0xffff;
/** Blocks within one parent: 6 bytes each at least in a 64 KiB resource bounds them anyway; this keeps the count honest. */
export const MAX_VERSION_CHILDREN = 4096;
/** Keys are short names (`CompanyName`, `040904B0`); a longer key is damage. */
export const MAX_VERSION_KEY_CHARS = 256;
/** Resources of type RT_VERSION decoded per image (normally one). */
export const MAX_VERSION_RESOURCES = 64;

const VS_FFI_SIGNATURE = 0xfeef04bd;

export interface FixedFileInfo {
  structVersion: number;
  /** `a.b.c.d` from dwFileVersionMS/LS (high and low 16 bits of each). */
  fileVersion: string;
  productVersion: string;
  fileFlagsMask: number;
  fileFlags: number;
  /** Names of the set bits of `fileFlags & fileFlagsMask` (`debug`, `prerelease`, `patched`...). */
  fileFlagNames: string[];
  /** dwFileOS (0x40004 = VOS_NT_WINDOWS32). */
  fileOS: number;
  fileType: number;
  /** `app`, `dll`, `drv`, `font`, `vxd`, `static-lib`, `unknown`; undefined for other values. */
  fileTypeName: string | undefined;
  fileSubtype: number;
  fileDateMS: number;
  fileDateLS: number;
}

export interface VersionStringTable {
  /** The table key as written, 8 hex digits: language then codepage (`040904B0`). */
  key: string;
  /** From the key; NaN-free: undefined when the key is not 8 hex digits. */
  language: number | undefined;
  codePage: number | undefined;
  /** Name -> value, in file order (a null-prototype record: keys come from the image). */
  strings: Record<string, string>;
}

export interface VersionTranslation {
  language: number;
  codePage: number;
}

export interface VersionInfo {
  /** Where the resource came from (level-2 name, level-3 language, file offset and size). */
  resource: { name: number | string; language: number; offset: number; size: number };
  fixed: FixedFileInfo | undefined;
  stringTables: VersionStringTable[];
  translations: VersionTranslation[];
}

interface Block {
  offset: number;
  length: number;
  valueLength: number;
  type: number;
  key: string;
  valueOffset: number;
  end: number;
}

function bad(message: string, data: Record<string, unknown>): FormatError {
  return new FormatError('pe/bad-version-info', message, { data: { structure: 'VS_VERSIONINFO', ...data } });
}

const align4 = (n: number) => (n + 3) & ~3;

/** Decodes the block header at `offset`, bounded by its parent's `end`. */
function block(v: ByteView, offset: number, end: number): Block {
  const length = v.u16le(offset, 'wLength');
  if (length < 6 || offset + length > end) {
    throw bad(
      `block at ${v.base + offset} has wLength ${length}, outside its parent (ends at ${v.base + end})`,
      {
        offset: v.base + offset,
        expected: `6..${end - offset}`,
        actual: length,
      },
    );
  }
  const blockEnd = offset + length;
  const valueLength = v.u16le(offset + 2, 'wValueLength');
  const type = v.u16le(offset + 4, 'wType');
  let keyEnd = -1;
  const keyLimit = Math.min(blockEnd, offset + 6 + MAX_VERSION_KEY_CHARS * 2);
  for (let p = offset + 6; p + 1 < keyLimit; p += 2) {
    if (v.u16le(p) === 0) {
      keyEnd = p;
      break;
    }
  }
  if (keyEnd < 0) {
    throw bad(`block at ${v.base + offset} has no NUL-terminated key within ${keyLimit - offset - 6} bytes`, {
      offset: v.base + offset,
    });
  }
  const key = v.utf16le(offset + 6, keyEnd - offset - 6);
  return { offset, length, valueLength, type, key, valueOffset: align4(keyEnd + 2), end: blockEnd };
}

/** The children of `parent` starting at `from`, each 32-bit aligned. */
function children(v: ByteView, parent: Block, from: number): Block[] {
  const out: Block[] = [];
  for (let p = align4(from); p + 6 <= parent.end; ) {
    // Zero padding after the last child is common: a zero length ends the list.
    if (v.u16le(p) === 0) break;
    const child = block(v, p, parent.end);
    out.push(child);
    capped(out.length, MAX_VERSION_CHILDREN, 'children', `version block "${parent.key}"`);
    p = align4(child.end);
  }
  return out;
}

function fixedFileInfo(v: ByteView, at: number): FixedFileInfo {
  const f = v.sub(at, 52, 'VS_FIXEDFILEINFO');
  const signature = f.u32le(0);
  if (signature !== VS_FFI_SIGNATURE) {
    throw new FormatError(
      'pe/bad-fixed-file-info',
      `VS_FIXEDFILEINFO signature 0x${signature.toString(16)} at ${f.base}`,
      {
        data: {
          structure: 'VS_FIXEDFILEINFO',
          offset: f.base,
          expected: VS_FFI_SIGNATURE,
          actual: signature,
        },
      },
    );
  }
  const quad = (ms: number, ls: number) => `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`;
  const mask = f.u32le(24);
  const flags = f.u32le(28);
  const fileType = f.u32le(36);
  return {
    structVersion: f.u32le(4),
    fileVersion: quad(f.u32le(8), f.u32le(12)),
    productVersion: quad(f.u32le(16), f.u32le(20)),
    fileFlagsMask: mask,
    fileFlags: flags,
    fileFlagNames: Object.entries(VS_FILE_FLAGS)
      .filter(([bit]) => (flags & mask & Number(bit)) !== 0)
      .map(([, name]) => name),
    fileOS: f.u32le(32),
    fileType,
    fileTypeName: VS_FILE_TYPES[fileType],
    fileSubtype: f.u32le(40),
    fileDateMS: f.u32le(44),
    fileDateLS: f.u32le(48),
  };
}

/**
 * Decodes one VS_VERSIONINFO resource from its bytes. `base` is their file offset, for messages.
 * Throws `pe/bad-version-info` for a block that does not fit its parent or has no key, and
 * `pe/bad-fixed-file-info` for a VS_FIXEDFILEINFO without its signature.
 */
export function decodeVersionInfo(bytes: Uint8Array, base = 0): Omit<VersionInfo, 'resource'> {
  const v = new ByteView(bytes, 'VS_VERSIONINFO', base);
  const root = block(v, 0, bytes.length);
  if (root.key !== 'VS_VERSION_INFO') {
    throw bad(`root key is "${root.key}", expected "VS_VERSION_INFO"`, {
      offset: base,
      expected: 'VS_VERSION_INFO',
      actual: root.key,
    });
  }
  let fixed: FixedFileInfo | undefined;
  let childrenFrom = root.valueOffset;
  if (root.valueLength > 0) {
    if (root.valueLength < 52 || root.valueOffset + root.valueLength > root.end) {
      throw new FormatError(
        'pe/bad-fixed-file-info',
        `VS_FIXEDFILEINFO of ${root.valueLength} bytes at ${base + root.valueOffset}`,
        {
          data: {
            structure: 'VS_FIXEDFILEINFO',
            offset: base + root.valueOffset,
            expected: 52,
            actual: root.valueLength,
          },
        },
      );
    }
    fixed = fixedFileInfo(v, root.valueOffset);
    childrenFrom = root.valueOffset + root.valueLength;
  }

  const stringTables: VersionStringTable[] = [];
  const translations: VersionTranslation[] = [];
  for (const child of children(v, root, childrenFrom)) {
    if (child.key === 'StringFileInfo') {
      // StringFileInfo and StringTable carry no value: their children follow the key.
      for (const table of children(v, child, child.valueOffset)) {
        const strings: Record<string, string> = Object.create(null);
        for (const s of children(v, table, table.valueOffset)) {
          const valueBytes = Math.max(0, s.end - s.valueOffset);
          strings[s.key] =
            s.valueOffset < s.end ? v.utf16le(s.valueOffset, valueBytes, { nulTerminated: true }) : '';
        }
        const hex = /^[0-9a-fA-F]{8}$/.test(table.key);
        stringTables.push({
          key: table.key,
          language: hex ? Number.parseInt(table.key.slice(0, 4), 16) : undefined,
          codePage: hex ? Number.parseInt(table.key.slice(4), 16) : undefined,
          strings,
        });
      }
    } else if (child.key === 'VarFileInfo') {
      for (const variable of children(v, child, child.valueOffset)) {
        if (variable.key !== 'Translation') continue;
        const end = Math.min(variable.end, variable.valueOffset + variable.valueLength);
        for (let p = variable.valueOffset; p + 4 <= end; p += 4) {
          translations.push({ language: v.u16le(p), codePage: v.u16le(p + 2) });
        }
      }
    }
    // Other keys are not defined by the format; they are skipped, as Windows' VerQueryValue does.
  }
  return { fixed, stringTables, translations };
}

/**
 * Every RT_VERSION resource of the image (one per language, normally one), decoded. Reads only the
 * resource directory tables on the way and each resource's bytes, at most 64 KiB each.
 */
export async function readVersionInfo(source: RandomAccessSource, image: PeImage): Promise<VersionInfo[]> {
  const leaves = await listResources(source, image, RT_VERSION);
  capped(leaves.length, MAX_VERSION_RESOURCES, 'RT_VERSION resources', 'resource directory');
  const out: VersionInfo[] = [];
  for (const leaf of leaves) {
    const size = Math.min(leaf.size, MAX_VERSION_RESOURCE_SIZE);
    const bytes = await readExact(source, leaf.offset, size, 'pe/truncated', 'version resource');
    out.push({
      resource: { name: leaf.name, language: leaf.language, offset: leaf.offset, size: leaf.size },
      ...decodeVersionInfo(bytes, leaf.offset),
    });
  }
  return out;
}

/**
 * The string `name` (`FileVersion`, `CompanyName`...) from the first string table whose language
 * matches `language`, else from the first table that has it.
 */
export function versionString(info: VersionInfo, name: string, language?: number): string | undefined {
  const tables =
    language === undefined
      ? info.stringTables
      : [...info.stringTables.filter((t) => t.language === language), ...info.stringTables];
  for (const t of tables) {
    const value = t.strings[name];
    if (value !== undefined) return value;
  }
  return undefined;
}
