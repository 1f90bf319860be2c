/**
 * The Windows OS provider on the real Windows-shaped images (native backend): the root is the NTFS
 * volume holding Windows\System32\config\SYSTEM, C: is assembled from SYSTEM\MountedDevices, and
 * guest.os is described from the hives and ntoskrnl.exe. Expected values come from sfdisk (the
 * partition table), hivexregedit --export of the hives pulled out with The Sleuth Kit, and exiftool.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNative } from '@imagecheck/access-native';
import { collectFacts, type GuestAccessV2 } from '@imagecheck/sdk';
import {
  buildWindowsImage,
  exifFileVersion,
  exported,
  exportedDword,
  exportedString,
  exportHive,
  fls,
  guidBytes,
  icat,
  type SfdiskTable,
  sfdisk,
  toolsReady,
  WINDOWS_IMAGES,
  type WindowsImage,
} from '@imagecheck/test-kit/windows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plugin } from '../src/index.js';

const ready = toolsReady();

describe.skipIf(!ready)('the Windows OS provider on Windows-shaped images', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'wprov-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  for (const name of ['good-bios', 'good-uefi'] as const) {
    describe(name, () => {
      let img: WindowsImage;
      let access: GuestAccessV2;
      let table: SfdiskTable;
      let facts: Awaited<ReturnType<typeof collectFacts>>;
      let cSector: number;
      let cNumber: number;
      beforeAll(async () => {
        img = await buildWindowsImage(WINDOWS_IMAGES[name]);
        table = await sfdisk(img.rawPath);
        // The Windows volume: the partition whose NTFS holds config\SYSTEM, as The Sleuth Kit sees it.
        for (const [i, p] of table.partitions.entries()) {
          const files = await fls(img.rawPath, p.start).catch(() => new Map<string, string>());
          if (files.has('windows/system32/config/system')) {
            cSector = p.start;
            cNumber = i + 1;
          }
        }
        access = await openNative(img.path);
        facts = await collectFacts({ access, plugins: [plugin] });
      });
      afterAll(async () => {
        await access?.close();
      });

      it('finds one Windows root, on the partition holding config\\SYSTEM (fls)', () => {
        expect(facts.roots).toEqual([
          expect.objectContaining({ filesystem: `p${cNumber}`, os: 'windows', primary: true }),
        ]);
        expect(facts.roots[0]?.evidence).toContain('/Windows/System32/config/SYSTEM');
      });

      it('mounts C: at / from MountedDevices, which names this disk (hivexregedit, sfdisk)', async () => {
        const files = await fls(img.rawPath, cSector);
        const system = await icat(
          img.rawPath,
          cSector,
          files.get('windows/system32/config/system') as string,
          tmp,
          `${name}-SYSTEM`,
        );
        const mounted = await exportHive(system, ['MountedDevices', 'Select']);
        const c = exported(mounted, 'MountedDevices', '\\DosDevices\\C:');
        expect(c).toBeDefined();
        const bytes = c?.bytes as Uint8Array;
        const part = table.partitions[cNumber - 1] as SfdiskTable['partitions'][number];
        if (table.label === 'dos') {
          // 12-byte form: disk signature, then the partition's byte offset.
          expect(bytes.length).toBe(12);
          const dv = new DataView(bytes.buffer, bytes.byteOffset);
          expect(dv.getUint32(0, true)).toBe(Number.parseInt(table.id, 16));
          expect(Number(dv.getBigUint64(4, true))).toBe(part.start * 512);
        } else {
          // DMIO:ID: form: the GPT partition's unique GUID, as sfdisk reports it.
          expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe('DMIO:ID:');
          expect(Buffer.from(bytes.subarray(8, 24)).toString('hex')).toBe(
            Buffer.from(guidBytes(part.uuid as string)).toString('hex'),
          );
        }
        expect(facts.guest?.mounts).toEqual([
          { mountpoint: '/', filesystem: `p${cNumber}`, spec: '\\DosDevices\\C:' },
        ]);
        const reg = facts.facts['windows.registry'];
        expect(reg?.status).toBe('ok');
        const value = (reg as { value: { driveLetters: unknown[]; controlSet: unknown } }).value;
        expect(value.driveLetters).toEqual([
          {
            letter: 'C',
            form: table.label === 'dos' ? 'mbr' : 'gpt',
            partition: cNumber,
            filesystem: `p${cNumber}`,
          },
        ]);
        const current = exportedDword(exported(mounted, 'Select', 'Current'));
        expect(value.controlSet).toEqual({
          current,
          name: `ControlSet${String(current).padStart(3, '0')}`,
          exists: true,
        });
      });

      it('describes guest.os from SOFTWARE and ntoskrnl.exe (hivexregedit, exiftool)', async () => {
        const files = await fls(img.rawPath, cSector);
        const software = await icat(
          img.rawPath,
          cSector,
          files.get('windows/system32/config/software') as string,
          tmp,
          `${name}-SOFTWARE`,
        );
        const kernel = await icat(
          img.rawPath,
          cSector,
          files.get('windows/system32/ntoskrnl.exe') as string,
          tmp,
          `${name}-ntoskrnl.exe`,
        );
        const cv = await exportHive(software, ['Microsoft\\Windows NT\\CurrentVersion']);
        const key = 'Microsoft\\Windows NT\\CurrentVersion';
        const major = exportedDword(exported(cv, key, 'CurrentMajorVersionNumber'));
        const minor = exportedDword(exported(cv, key, 'CurrentMinorVersionNumber'));
        const build = exportedString(exported(cv, key, 'CurrentBuildNumber'));
        const ubr = exportedDword(exported(cv, key, 'UBR'));
        const os = facts.facts['guest.os'];
        expect(os).toMatchObject({
          status: 'ok',
          value: {
            os: 'windows',
            family: 'windows',
            distribution: exportedString(exported(cv, key, 'InstallationType'))?.toLowerCase(),
            version: `${major}.${minor}.${build}.${ubr}`,
            architecture: 'x86_64',
          },
        });
        expect(facts.facts['windows.kernel']).toMatchObject({
          status: 'ok',
          value: { present: true, machine: 'x86_64', fileVersion: await exifFileVersion(kernel) },
        });
      });
    });
  }
});
