/**
 * The PE reader against MinGW-built images (x86_64 and i686; console, GUI, DLL, native driver, EFI
 * application; version resources in several languages and codepages, a 6,000-character string),
 * compared field by field with objdump (headers, sections, data directories), exiftool (machine,
 * subsystem, fixed version info, first string table) and pefile (every string table).
 */
import { readFile } from 'node:fs/promises';
import { requireTools } from '@imagecheck/test-kit';
import { describe, expect, it } from 'vitest';
import { bytesSource, probePe, readPe, readVersionInfo, versionString } from '../../src/index.js';
import { BIG_PE, buildPe, hasPeTools, LONG_COMMENT, PE_FIXTURES } from '../fixtures/pe.js';
import { openFileSource } from '../helpers/file-source.js';
import { exiftool, GROUND_TRUTH_TOOLS, hasPefile, objdump, pefile } from '../helpers/ground-truth.js';

const ready = hasPeTools() && requireTools(...GROUND_TRUTH_TOOLS) && (await hasPefile());

const quad = (ms: number, ls: number) => `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}`;

describe.skipIf(!ready)('PE reader on MinGW-built images', () => {
  for (const spec of PE_FIXTURES) {
    describe(spec.name, () => {
      it('headers and sections match objdump -p / -h', async () => {
        const path = await buildPe(spec);
        const src = await openFileSource(path);
        try {
          expect(await probePe(src)).toBe(true);
          const pe = await readPe(src);
          const od = await objdump(path, spec.arch);
          expect(pe.format).toBe(od.magic === 0x20b ? 'PE32+' : 'PE32');
          expect(pe.subsystem).toBe(od.subsystem);
          expect(pe.imageBase).toBe(od.imageBase);
          expect(pe.addressOfEntryPoint).toBe(od.entryPoint);
          expect(pe.sizeOfImage).toBe(od.sizeOfImage);
          expect(pe.sizeOfHeaders).toBe(od.sizeOfHeaders);
          expect(pe.checkSum).toBe(od.checkSum);
          expect(pe.characteristics).toBe(od.characteristics);
          expect(pe.dllCharacteristics).toBe(od.dllCharacteristics);
          expect(pe.numberOfRvaAndSizes).toBe(od.numberOfRvaAndSizes);
          expect(pe.subsystemVersion).toEqual({
            major: od.majorSubsystemVersion,
            minor: od.minorSubsystemVersion,
          });
          expect(pe.dataDirectories.map((d) => ({ rva: d.virtualAddress, size: d.size }))).toEqual(
            od.directories.slice(0, pe.dataDirectories.length),
          );
          expect(
            pe.sections.map((s) => ({
              name: s.name,
              vma: pe.imageBase + BigInt(s.virtualAddress),
              fileOffset: s.sizeOfRawData === 0 ? 0 : s.pointerToRawData,
            })),
          ).toEqual(od.sections);
          // The subsystem the build asked for, by name.
          const expected = {
            console: 'windows-cui',
            gui: 'windows-gui',
            dll: 'windows-cui',
            native: 'native',
            efi: 'efi-application',
          };
          expect(pe.subsystemName).toBe(expected[spec.kind]);
          expect(pe.isDll).toBe(spec.kind === 'dll');
          if (spec.unstripped) expect(pe.sections.some((s) => s.name.startsWith('.debug_'))).toBe(true);
        } finally {
          await src.close();
        }
      });

      it('machine, subsystem and version resource match exiftool and pefile', async () => {
        const path = await buildPe(spec);
        const src = await openFileSource(path);
        try {
          const pe = await readPe(src);
          const infos = await readVersionInfo(src, pe);
          const ex = await exiftool(path);
          expect(pe.machine).toBe(ex.MachineType);
          expect(pe.machineName).toBe(spec.arch === 'x86_64' ? 'x86_64' : 'i386');
          expect(pe.format === 'PE32+' ? 0x20b : 0x10b).toBe(ex.PEType);
          expect(pe.subsystem).toBe(ex.Subsystem);
          const pf = await pefile(path);
          if (spec.rc === undefined) {
            expect(infos).toEqual([]);
            expect(ex.FileVersionNumber).toBeUndefined();
            expect(pf.fixed).toBeNull();
            return;
          }
          expect(infos).toHaveLength(1);
          const info = infos[0];
          if (info === undefined) throw new Error('unreachable');
          // Fixed part: exiftool and pefile.
          expect(info.fixed?.fileVersion).toBe(ex.FileVersionNumber);
          expect(info.fixed?.productVersion).toBe(ex.ProductVersionNumber);
          expect(info.fixed?.fileFlagsMask).toBe(ex.FileFlagsMask);
          expect(info.fixed?.fileFlags).toBe(ex.FileFlags);
          expect(info.fixed?.fileOS).toBe(ex.FileOS);
          expect(info.fixed?.fileType).toBe(ex.ObjectFileType);
          expect(info.fixed?.fileSubtype).toBe(ex.FileSubtype);
          expect(pf.fixed).not.toBeNull();
          if (pf.fixed) {
            expect(info.fixed?.fileVersion).toBe(quad(pf.fixed.FileVersionMS, pf.fixed.FileVersionLS));
            expect(info.fixed?.productVersion).toBe(
              quad(pf.fixed.ProductVersionMS, pf.fixed.ProductVersionLS),
            );
          }
          // First table: exiftool's language and character set come from its key.
          const first = info.stringTables[0];
          expect(first?.key.slice(0, 4).toUpperCase()).toBe(String(ex.LanguageCode).toUpperCase());
          expect(first?.key.slice(4).toUpperCase()).toBe(String(ex.CharacterSet).toUpperCase());
          for (const [name, tag] of [
            ['CompanyName', 'CompanyName'],
            ['FileDescription', 'FileDescription'],
            ['FileVersion', 'FileVersion'],
            ['ProductName', 'ProductName'],
            ['ProductVersion', 'ProductVersion'],
            ['OriginalFilename', 'OriginalFileName'],
          ] as const) {
            const value = first?.strings[name];
            if (ex[tag] === undefined) expect(value).toBeUndefined();
            else expect(value).toBe(String(ex[tag]));
          }
          // Every table: pefile.
          expect(info.stringTables.map((t) => ({ key: t.key, strings: { ...t.strings } }))).toEqual(
            pf.tables,
          );
          // pefile keeps the last Translation pair only.
          const last = info.translations.at(-1);
          expect(
            last &&
              `0x${last.language.toString(16).padStart(4, '0')} 0x${last.codePage.toString(16).padStart(4, '0')}`,
          ).toBe(pf.translation);
        } finally {
          await src.close();
        }
      });
    });
  }

  it('reads every language, codepage and a 6,000-character string of cmd-x64.exe', async () => {
    const spec = PE_FIXTURES.find((s) => s.name === 'cmd-x64.exe');
    if (!spec) throw new Error('fixture missing');
    const path = await buildPe(spec);
    const [info] = await readVersionInfo(
      bytesSource(await readFile(path)),
      await readPe(bytesSource(await readFile(path))),
    );
    if (!info) throw new Error('no version info');
    const pf = await pefile(path);
    expect(info.stringTables.map((t) => [t.language, t.codePage])).toEqual(
      pf.tables.map((t) => [Number.parseInt(t.key.slice(0, 4), 16), Number.parseInt(t.key.slice(4), 16)]),
    );
    expect(info.translations.length).toBe(3);
    expect(info.fixed?.fileFlagNames).toEqual(['prerelease', 'patched']);
    expect(versionString(info, 'Comments')).toBe(pf.tables[0]?.strings.Comments);
    expect(versionString(info, 'Comments')?.length).toBe(LONG_COMMENT.length);
    expect(versionString(info, 'FileDescription', 0x411)).toBe(
      pf.tables.find((t) => t.key.startsWith('0411'))?.strings.FileDescription,
    );
  });

  it('reads a 10 MiB image through a few small reads', async () => {
    const path = await buildPe(BIG_PE);
    const src = await openFileSource(path);
    try {
      expect(src.size).toBeGreaterThan(10 * 1024 * 1024);
      const pe = await readPe(src);
      const [info] = await readVersionInfo(src, pe);
      const ex = await exiftool(path);
      expect(info?.fixed?.fileVersion).toBe(ex.FileVersionNumber);
      expect(info?.stringTables[0]?.strings.FileDescription).toBe(ex.FileDescription);
      // Headers, the resource tables on the way to RT_VERSION and the resource itself.
      expect(src.bytesRead).toBeLessThan(8 * 1024);
      expect(src.reads).toBeLessThan(16);
    } finally {
      await src.close();
    }
  });
});
