/**
 * What tools that are not ours say about a PE file: `objdump -p`/`-h` from MinGW binutils for the
 * headers and sections, `exiftool -n` for the machine, subsystem, fixed version info and the first
 * string table, and pefile (`python3-pefile`) for every string table.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingPrerequisite, requireTools, run } from '@imagecheck/test-kit';

export const GROUND_TRUTH_TOOLS = [
  'x86_64-w64-mingw32-objdump',
  'i686-w64-mingw32-objdump',
  'exiftool',
  'python3',
];

/** pefile is a Python module: the tool is `python3` with it importable. */
export async function hasPefile(): Promise<boolean> {
  if (!requireTools('python3')) return false;
  try {
    await run('/usr/bin/python3', ['-c', 'import pefile']);
    return true;
  } catch {
    return missingPrerequisite('the Python module pefile (Debian package python3-pefile)');
  }
}

export interface ObjdumpHeaders {
  magic: number;
  subsystem: number;
  imageBase: bigint;
  entryPoint: number;
  sizeOfImage: number;
  sizeOfHeaders: number;
  checkSum: number;
  characteristics: number;
  dllCharacteristics: number;
  numberOfRvaAndSizes: number;
  majorSubsystemVersion: number;
  minorSubsystemVersion: number;
  directories: { rva: number; size: number }[];
  sections: { name: string; vma: bigint; fileOffset: number }[];
}

export async function objdump(path: string, arch: 'x86_64' | 'i686'): Promise<ObjdumpHeaders> {
  const tool = `${arch}-w64-mingw32-objdump`;
  const p = await run(tool, ['-p', path]);
  const field = (name: string) => {
    const m = new RegExp(`^${name}\\s+([0-9a-fA-F]+)`, 'm').exec(p);
    if (!m?.[1]) throw new Error(`objdump -p printed no ${name}`);
    return m[1];
  };
  const hex = (name: string) => Number.parseInt(field(name), 16);
  const directories = [...p.matchAll(/^Entry ([0-9a-f]) ([0-9a-f]+) ([0-9a-f]+) /gm)].map((m) => ({
    rva: Number.parseInt(m[2] as string, 16),
    size: Number.parseInt(m[3] as string, 16),
  }));
  const h = await run(tool, ['-h', path]);
  const sections = [
    ...h.matchAll(/^\s+\d+ (\S+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s/gm),
  ].map((m) => ({
    name: m[1] as string,
    vma: BigInt(`0x${m[2]}`),
    fileOffset: Number.parseInt(m[3] as string, 16),
  }));
  return {
    magic: hex('Magic'),
    subsystem: hex('Subsystem'),
    imageBase: BigInt(`0x${field('ImageBase')}`),
    entryPoint: hex('AddressOfEntryPoint'),
    sizeOfImage: hex('SizeOfImage'),
    sizeOfHeaders: hex('SizeOfHeaders'),
    checkSum: hex('CheckSum'),
    characteristics: Number.parseInt(/^Characteristics 0x([0-9a-f]+)/m.exec(p)?.[1] ?? 'x', 16),
    dllCharacteristics: hex('DllCharacteristics'),
    numberOfRvaAndSizes: hex('NumberOfRvaAndSizes'),
    majorSubsystemVersion: Number(field('MajorSubsystemVersion')),
    minorSubsystemVersion: Number(field('MinorSubsystemVersion')),
    directories,
    sections,
  };
}

/** `exiftool -j -n` of one file: numeric values, the first string table's strings. */
export async function exiftool(path: string): Promise<Record<string, unknown>> {
  const [doc] = JSON.parse(await run('exiftool', ['-j', '-n', '-EXE:all', path])) as Record<
    string,
    unknown
  >[];
  return doc ?? {};
}

export interface PefileDump {
  tables: { key: string; strings: Record<string, string> }[];
  translation: string | null;
  fixed: {
    FileVersionMS: number;
    FileVersionLS: number;
    ProductVersionMS: number;
    ProductVersionLS: number;
    FileFlags: number;
    FileOS: number;
    FileType: number;
    FileSubtype: number;
  } | null;
}

const here = dirname(fileURLToPath(import.meta.url));

export async function pefile(path: string): Promise<PefileDump> {
  // Debian's interpreter, where python3-pefile installs: not a pyenv or venv python on PATH.
  return JSON.parse(await run('/usr/bin/python3', [join(here, 'pefile_dump.py'), path])) as PefileDump;
}
