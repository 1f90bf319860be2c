/**
 * Ground truth for the plugin's tests, from tools that are not ours: The Sleuth Kit (fls, icat)
 * pulls files out of the images' NTFS volumes, hivexregedit exports their hives, sfdisk reads the
 * partition table, exiftool the PE version resources.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { missingPrerequisite, requireTools, run } from '../tools.js';
import { type Exported, parseExport, REG_PREFIX } from './reg.js';

export const GROUND_TRUTH_TOOLS = ['fls', 'icat', 'hivexregedit', 'sfdisk', 'exiftool'];

export function fuseAvailable(): boolean {
  return existsSync('/dev/fuse') || missingPrerequisite('/dev/fuse, which ntfs-3g mounts through');
}

/** `sfdisk -J`: the partition table as util-linux reads it (starts in sectors). */
export interface SfdiskTable {
  label: 'dos' | 'gpt';
  id: string;
  partitions: {
    node: string;
    start: number;
    size: number;
    type: string;
    uuid?: string;
    bootable?: boolean;
  }[];
}
export async function sfdisk(img: string): Promise<SfdiskTable> {
  return (JSON.parse(await run('sfdisk', ['-J', img])) as { partitiontable: SfdiskTable }).partitiontable;
}

/** `fls -r -p -o SECTOR`: lower-cased guest path -> inode address, regular files only. */
export async function fls(img: string, sector: number): Promise<Map<string, string>> {
  const out = await run('fls', ['-r', '-p', '-o', String(sector), img]);
  const files = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^r\/r (\S+):\t(.*)$/.exec(line);
    if (m?.[1] && m[2] && !m[2].startsWith('$')) files.set(m[2].toLowerCase(), m[1]);
  }
  return files;
}

/** `icat` of one file into `dir/name`. */
export async function icat(
  img: string,
  sector: number,
  inode: string,
  dir: string,
  name: string,
): Promise<string> {
  const out = join(dir, name);
  await run('sh', ['-c', 'icat -o "$0" "$1" "$2" > "$3"', String(sector), img, inode, out]);
  return out;
}

/**
 * `hivexregedit --export` of the given keys (with their subkeys; the whole hive by default); a key
 * that is not in the hive is left out. Exporting keys one by one keeps a 15 MB SYSTEM hive from
 * being written out whole.
 */
export async function exportHive(path: string, keys: readonly string[] = ['']): Promise<Exported> {
  const out: Exported = new Map();
  for (const key of keys) {
    let text: string;
    try {
      text = await run('hivexregedit', ['--export', '--prefix', REG_PREFIX, path, `\\${key}`]);
    } catch (e) {
      if (/path not found in this hive/.test(String((e as { stderr?: string }).stderr))) continue;
      throw e;
    }
    for (const [k, v] of parseExport(text)) out.set(k, v);
  }
  return out;
}

export function exported(hive: Exported, key: string, name: string) {
  return hive.get(key.toLowerCase())?.values.get(name);
}

/** exiftool's FileVersionNumber of a PE file. */
export async function exifFileVersion(path: string): Promise<string> {
  const out = JSON.parse(await run('exiftool', ['-j', '-FileVersionNumber', '-MachineType', path])) as {
    FileVersionNumber?: string;
  }[];
  return String(out[0]?.FileVersionNumber ?? '');
}

export const toolsReady = (): boolean => requireTools(...GROUND_TRUTH_TOOLS) && fuseAvailable();
