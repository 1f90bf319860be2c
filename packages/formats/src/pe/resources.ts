import { FormatError } from '@imagecheck/access';
import { ByteView, capped } from '@imagecheck/binary';
import { type RandomAccessSource, readExact } from '../source.js';
import { type PeImage, rvaToOffset, sectionAt } from './headers.js';
import { DIRECTORY_RESOURCE } from './names.js';

/*
 * The resource tree (PE Format, "The .rsrc Section"): three levels of IMAGE_RESOURCE_DIRECTORY
 * tables (type, then name, then language), each a 16-byte header (NumberOfNamedEntries u16 at 12,
 * NumberOfIdEntries u16 at 14) followed by 8-byte entries: Name/ID u32 (high bit: offset of a
 * counted UTF-16 name) and OffsetToData u32 (high bit: offset of a subdirectory, else of a 16-byte
 * IMAGE_RESOURCE_DATA_ENTRY: DataRVA, Size, CodePage, Reserved). Offsets are from the start of the
 * resource directory; DataRVA is an RVA.
 *
 * The walk follows exactly type -> name -> language, so a directory that points back at itself or
 * an ancestor cannot loop: at the wrong level it is the wrong kind of entry and fails as such.
 */

/** Entries per directory table. Type tables hold a few dozen; one type holds at most a few thousand names. */
export const MAX_RESOURCE_DIRECTORY_ENTRIES = 8192;
/** Leaves collected for one type (e.g. version resources in several languages). */
export const MAX_RESOURCE_LEAVES = 1024;
/** Resource names are short identifiers; a counted name longer than this is damage. */
export const MAX_RESOURCE_NAME_CHARS = 256;

export const RT_VERSION = 16;

export interface ResourceLeaf {
  /** Level-2 name or ID (VERSIONINFO resources are normally ID 1). */
  name: number | string;
  /** Level-3 language ID (0x409 en-US; 0 neutral). */
  language: number;
  /** RVA and size of the data, from the data entry. */
  dataRva: number;
  size: number;
  codePage: number;
  /** File offset of the data. */
  offset: number;
}

interface DirEntry {
  /** The numeric ID, or undefined for a named entry (its name string is at `nameOffset`). */
  name: number | undefined;
  nameOffset: number;
  isDirectory: boolean;
  target: number;
}

class ResourceReader {
  private readonly base: number;
  private readonly limit: number;

  constructor(
    private readonly source: RandomAccessSource,
    private readonly image: PeImage,
    rva: number,
  ) {
    // Tables may not lie inside the data directory's Size (some linkers set it to the tables only),
    // but they lie in the section that holds the directory: bound every table read by its file data.
    const section = sectionAt(image, rva);
    if (section === undefined) {
      throw new FormatError(
        'pe/bad-rva',
        `resource directory RVA 0x${rva.toString(16)} is in no section's file data`,
        {
          data: { structure: 'resource directory', rva },
        },
      );
    }
    this.base = rvaToOffset(image, rva, 16, 'resource directory');
    this.limit = Math.min(image.fileSize, section.pointerToRawData + section.sizeOfRawData);
  }

  private async read(rel: number, length: number, structure: string): Promise<ByteView> {
    const offset = this.base + rel;
    if (offset + length > this.limit) {
      throw new FormatError(
        'pe/bad-resource-tree',
        `${structure} at ${offset} runs past the resource section's end at ${this.limit}`,
        {
          data: { structure, offset, size: length, expected: this.limit, actual: offset + length },
        },
      );
    }
    return new ByteView(
      await readExact(this.source, offset, length, 'pe/truncated', structure),
      structure,
      offset,
    );
  }

  /** The entries of one directory table. A named entry's name is its string's offset until `entryName` reads it. */
  async directory(rel: number, level: string): Promise<DirEntry[]> {
    const structure = `resource directory (${level})`;
    const head = await this.read(rel, 16, structure);
    const count = capped(
      head.u16le(12) + head.u16le(14),
      MAX_RESOURCE_DIRECTORY_ENTRIES,
      'NumberOfNamedEntries + NumberOfIdEntries',
      structure,
    );
    const table = await this.read(rel + 16, count * 8, `${structure} entries`);
    const entries: DirEntry[] = [];
    for (let i = 0; i < count; i++) {
      const nameField = table.u32le(i * 8);
      const dataField = table.u32le(i * 8 + 4);
      entries.push({
        name: nameField & 0x80000000 ? undefined : nameField & 0xffff,
        nameOffset: nameField & 0x7fffffff,
        isDirectory: (dataField & 0x80000000) !== 0,
        target: dataField & 0x7fffffff,
      });
    }
    return entries;
  }

  /** An entry's ID, or its name (IMAGE_RESOURCE_DIR_STRING_U: Length u16 in UTF-16 code units, then the characters). */
  async entryName(entry: DirEntry): Promise<number | string> {
    if (entry.name !== undefined) return entry.name;
    const rel = entry.nameOffset;
    const head = await this.read(rel, 2, 'resource name');
    const chars = capped(head.u16le(0), MAX_RESOURCE_NAME_CHARS, 'Length', 'resource name');
    return (await this.read(rel + 2, chars * 2, 'resource name')).utf16le(0, chars * 2);
  }

  async dataEntry(rel: number): Promise<{ dataRva: number; size: number; codePage: number }> {
    const v = await this.read(rel, 16, 'resource data entry');
    return { dataRva: v.u32le(0), size: v.u32le(4), codePage: v.u32le(8) };
  }

  fileOffset(rva: number, size: number, structure: string): number {
    return rvaToOffset(this.image, rva, size, structure);
  }
}

function wrongKind(level: string, entry: DirEntry, expected: string): FormatError {
  return new FormatError(
    'pe/bad-resource-tree',
    `resource ${level} entry ${entry.name ?? `named at ${entry.nameOffset}`} points at a ${entry.isDirectory ? 'directory' : 'data entry'}, expected a ${expected}`,
    {
      data: {
        structure: `resource directory (${level})`,
        offset: entry.target,
        expected,
        actual: entry.isDirectory ? 'directory' : 'data entry',
      },
    },
  );
}

/**
 * The resources of one type (`RT_VERSION` = 16 by default), every name and language, without
 * reading their data. An image without a resource directory has none.
 */
export async function listResources(
  source: RandomAccessSource,
  image: PeImage,
  type: number = RT_VERSION,
): Promise<ResourceLeaf[]> {
  const dir = image.dataDirectories[DIRECTORY_RESOURCE];
  if (dir === undefined || dir.virtualAddress === 0 || dir.size === 0) return [];
  const reader = new ResourceReader(source, image, dir.virtualAddress);
  const leaves: ResourceLeaf[] = [];
  // Directory tables read below the type level: each costs a read, so their number is capped too
  // (a crafted tree can have thousands of names each with an empty language table).
  let tables = 0;
  for (const typeEntry of await reader.directory(0, 'type')) {
    if (typeEntry.name !== type) continue;
    if (!typeEntry.isDirectory) throw wrongKind('type', typeEntry, 'directory');
    capped(++tables, MAX_RESOURCE_LEAVES, 'directory tables of one type', 'resource directory');
    for (const nameEntry of await reader.directory(typeEntry.target, 'name')) {
      if (!nameEntry.isDirectory) throw wrongKind('name', nameEntry, 'directory');
      capped(++tables, MAX_RESOURCE_LEAVES, 'directory tables of one type', 'resource directory');
      for (const langEntry of await reader.directory(nameEntry.target, 'language')) {
        if (langEntry.isDirectory) throw wrongKind('language', langEntry, 'data entry');
        if (langEntry.name === undefined) throw wrongKind('language', langEntry, 'numeric language ID');
        capped(leaves.length + 1, MAX_RESOURCE_LEAVES, 'resources of one type', 'resource directory');
        const data = await reader.dataEntry(langEntry.target);
        leaves.push({
          name: await reader.entryName(nameEntry),
          language: langEntry.name,
          ...data,
          offset: reader.fileOffset(data.dataRva, data.size, 'resource data'),
        });
      }
    }
  }
  return leaves;
}
