import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools, runBytes } from '@imagecheck/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { type BcdDevice, type BcdStore, openBcd, openHive, parseDeviceElement } from '../../src/index.js';
import { CORPUS_BCD, corpusBytes } from '../helpers/corpus.js';

/** The facts the corpus MANIFEST records for each store (from Win::Hivex and hivexregedit). */
const MANIFEST: Record<
  (typeof CORPUS_BCD)[number],
  { objects: number; defaultId: string; description: string; path: string; timeout: number | null }
> = {
  'EricZimmerman-Registry__BCD': {
    objects: 9,
    defaultId: '{7619dcc9-fafe-11d9-b411-000476eba25f}',
    description: 'Windows Setup',
    path: '\\windows\\system32\\boot\\winload.efi',
    // The MANIFEST says "no timeout element", but hivexregedit shows 25000004 = hex(3):1e under
    // {bootmgr}; the export below is the ground truth, and it says 30.
    timeout: 30,
  },
  'regipy__BCD.xz': {
    objects: 17,
    defaultId: '{733b62e5-f608-11eb-825c-c112f60133ab}',
    description: 'Windows 10',
    path: '\\Windows\\system32\\winload.efi',
    timeout: 30,
  },
  'windeploy-linux__BCD': {
    objects: 11,
    defaultId: '{1b67bffd-e290-11eb-8ffa-f459a0d9b879}',
    description: 'Windows 10',
    path: '\\windows\\system32\\winload.exe',
    timeout: 30,
  },
  'windeploy-linux__BCD-efi': {
    objects: 3,
    defaultId: '{d65367c7-3fb7-11ec-8288-eab76d76405a}',
    description: 'Windows 10 Pro',
    path: '\\Windows\\system32\\winload.efi',
    timeout: 30,
  },
};

describe('BCD stores: MANIFEST facts', () => {
  for (const name of CORPUS_BCD) {
    it(name, async () => {
      const store = await openBcd(corpusBytes(name));
      const m = MANIFEST[name];
      expect(store.objects.length).toBe(m.objects);
      expect(store.defaultId).toBe(m.defaultId);
      expect(store.default?.description).toBe(m.description);
      expect(store.default?.applicationPath).toBe(m.path);
      expect(store.default?.kind).toBe('application');
      expect(store.default?.applicationType).toBe('osloader');
      expect(store.timeout).toBe(m.timeout);
      expect(store.displayOrder).toContain(m.defaultId);
      expect(store.bootManager?.description).toBe('Windows Boot Manager');
      expect(store.bootManager?.type).toBe(0x10100002);
      expect(store.bootManager?.applicationType).toBe('bootmgr');
      expect(store.warnings).toEqual([]);
    });
  }

  it('regipy (UEFI + systemd-boot): firmware entries and the firmware boot manager', async () => {
    const store = await openBcd(corpusBytes('regipy__BCD.xz'));
    expect(store.firmwareBootManager?.type).toBe(0x10100001);
    const fw = store.objects
      .filter((o) => o.applicationType === 'firmware-entry')
      .map((o) => [o.description, o.applicationPath]);
    expect(fw).toEqual(
      expect.arrayContaining([
        ['Linux Boot Manager', '\\EFI\\systemd\\systemd-bootx64.efi'],
        ['UEFI OS', '\\EFI\\BOOT\\BOOTX64.EFI'],
      ]),
    );
    expect(store.bootManager?.applicationPath).toBe('\\EFI\\Microsoft\\Boot\\bootmgfw.efi');
    expect(store.default?.element(0x12000005)?.value).toEqual({ format: 'string', value: 'en-US' });
  });

  it('windeploy BIOS: the resume object and the locale', async () => {
    const store = await openBcd(corpusBytes('windeploy-linux__BCD'));
    const resume = store.objects.find((o) => o.applicationType === 'resume');
    expect(resume?.description).toBe('Windows Resume Application');
    expect(resume?.applicationPath).toBe('\\windows\\system32\\winresume.exe');
    expect(store.default?.element(0x12000005)?.value).toEqual({ format: 'string', value: 'cs-cz' });
  });

  it('EricZimmerman (setup media): the ramdisk options object and the memtest path', async () => {
    const store = await openBcd(corpusBytes('EricZimmerman-Registry__BCD'));
    expect(store.object('{7619DCC8-FAFE-11D9-B411-000476EBA25F}')?.type).toBe(0x30000000);
    expect(store.object('{b2721d73-1db4-4c62-bf78-c548a880142d}')?.applicationPath).toBe(
      '\\efi\\microsoft\\boot\\memtest.efi',
    );
    expect(store.bootManager?.element(0x24000010)?.value).toEqual({
      format: 'object-list',
      value: ['{b2721d73-1db4-4c62-bf78-c548a880142d}'],
    });
  });
});

/** Elements as hivexregedit exports them: `[\Objects\{id}\Elements\<type>]` then `"Element"=hex(N):..`. */
function parseExport(reg: string): Map<string, { regType: number; data: Buffer }> {
  const out = new Map<string, { regType: number; data: Buffer }>();
  let key = '';
  for (const line of reg.split('\n')) {
    if (line.startsWith('[')) key = line.slice(1, -1);
    const m = /^"Element"=hex\(([0-9a-f]+)\):(.*)$/.exec(line);
    if (m !== null) {
      const bytes = (m[2] ?? '') === '' ? [] : (m[2] ?? '').split(',').map((h) => Number.parseInt(h, 16));
      out.set(key.toLowerCase(), { regType: Number.parseInt(m[1] ?? '', 16), data: Buffer.from(bytes) });
    }
  }
  return out;
}

const le32 = (b: Buffer, o: number): number => b.readUInt32LE(o);

/** The GUID at `o` in its registry text form, from the bytes hivexregedit printed. */
function guidAt(b: Buffer, o: number): string {
  const h = (i: number): string => (b[o + i] as number).toString(16).padStart(2, '0');
  return `${h(3)}${h(2)}${h(1)}${h(0)}-${h(5)}${h(4)}-${h(7)}${h(6)}-${h(8)}${h(9)}-${[10, 11, 12, 13, 14, 15].map(h).join('')}`;
}

/** Checks a decoded device against the bytes hivexregedit exported at the documented offsets. */
function checkDevice(device: BcdDevice, data: Buffer, at: number): void {
  const type = le32(data, at);
  switch (device.kind) {
    case 'boot':
      expect(type).toBe(5);
      break;
    case 'partition':
      expect(type).toBe(6);
      if (device.style === 'mbr') {
        expect(le32(data, at + 36)).toBe(1);
        expect(device.diskId).toBe(
          data
            .subarray(at + 40, at + 44)
            .reverse()
            .toString('hex'),
        );
        expect(device.partitionOffset).toBe(Number(data.readBigUInt64LE(at + 16)));
      } else {
        expect(le32(data, at + 36)).toBe(0);
        expect(device.diskId).toBe(guidAt(data, at + 40));
        expect(device.partitionGuid).toBe(guidAt(data, at + 16));
      }
      break;
    case 'ramdisk': {
      expect([type, le32(data, at + 16)]).toEqual([0, 3]);
      const parentAt = at + 40 + 12;
      checkDevice(device.parent, data, parentAt);
      const pathAt = parentAt + le32(data, parentAt + 8);
      expect(`${device.imagePath}\0`).toBe(
        data.subarray(pathAt, at + 40 + le32(data, at + 44)).toString('utf16le'),
      );
      break;
    }
    case 'locate':
      expect(type).toBe(8);
      expect(device.elementType).toBe(le32(data, at + 20));
      break;
    case 'unknown':
      expect(device.deviceType).toBe(type);
      break;
  }
}

// Ground truth: the raw bytes of every element as hivexregedit exports them. Each decoded value
// must be what those bytes say at the documented offsets, and every element must be accounted for.
describe.skipIf(!requireTools('hivexregedit', 'xz'))('BCD elements against hivexregedit --export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bcd-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of CORPUS_BCD) {
    it(name, async () => {
      const bytes = corpusBytes(name);
      const file = join(dir, name.replace(/\.xz$/, ''));
      writeFileSync(file, bytes);
      const exported = parseExport(
        (await runBytes('hivexregedit', ['--export', file, '\\'])).toString('latin1'),
      );
      const store: BcdStore = await openBcd(bytes);
      let seen = 0;
      for (const o of store.objects) {
        for (const e of o.elements) {
          const key = `\\objects\\${o.id}\\elements\\${e.type.toString(16).padStart(8, '0')}`;
          const truth = exported.get(key);
          expect(truth, key).toBeDefined();
          if (truth === undefined) continue;
          seen++;
          const v = e.value;
          switch (v.format) {
            case 'string':
            case 'object':
              expect(truth.regType).toBe(1);
              expect(v.value.toLowerCase()).toBe(
                truth.data.toString('utf16le').replace(/\0.*$/s, '').toLowerCase(),
              );
              break;
            case 'object-list':
              expect(truth.regType).toBe(7);
              expect(v.value).toEqual(
                truth.data
                  .toString('utf16le')
                  .split('\0')
                  .filter((s) => s !== '')
                  .map((s) => s.toLowerCase()),
              );
              break;
            case 'integer': {
              expect(truth.regType).toBe(3);
              const padded = Buffer.concat([truth.data, Buffer.alloc(8 - truth.data.length)]);
              expect(v.value).toBe(padded.readBigUInt64LE(0));
              break;
            }
            case 'boolean':
              expect(truth.regType).toBe(3);
              expect(v.value).toBe(truth.data.some((b) => b !== 0));
              break;
            case 'integer-list':
              expect(v.value.length * 8).toBe(truth.data.length);
              break;
            case 'device':
              expect(truth.regType).toBe(3);
              expect(v.value.associatedObject ?? '{00000000-0000-0000-0000-000000000000}').toBe(
                `{${guidAt(truth.data, 0)}}`,
              );
              checkDevice(v.value.device, truth.data, 16);
              break;
            case 'unknown':
              throw new Error(`${key} not decoded: ${v.reason}`);
          }
        }
      }
      expect(seen).toBe(exported.size);
    });
  }
});

describe('device elements of the corpus stores', () => {
  const dev = async (name: string, id: string, type: number): Promise<unknown> => {
    const store = await openBcd(corpusBytes(name));
    const v = store.object(id)?.element(type)?.value;
    return v?.format === 'device' ? v.value : v;
  };

  it('BIOS store: an MBR partition by disk signature and byte offset, and the boot device', async () => {
    expect(await dev('windeploy-linux__BCD', '{1b67bffc-e290-11eb-8ffa-f459a0d9b879}', 0x11000001)).toEqual({
      associatedObject: null,
      device: { kind: 'partition', style: 'mbr', diskId: 'ddba6bbb', partitionOffset: 1_048_576 },
    });
    expect(await dev('windeploy-linux__BCD', '{1b67bffd-e290-11eb-8ffa-f459a0d9b879}', 0x21000001)).toEqual({
      associatedObject: null,
      device: { kind: 'boot' },
    });
  });

  it('UEFI store: GPT partitions by disk and partition GUID; WinRE as a ramdisk on the recovery partition', async () => {
    expect(await dev('regipy__BCD.xz', '{733b62e5-f608-11eb-825c-c112f60133ab}', 0x21000001)).toEqual({
      associatedObject: null,
      device: {
        kind: 'partition',
        style: 'gpt',
        diskId: '0b2394a9-095e-487d-8d48-719ecd4d78ca',
        partitionGuid: '8e0f2c38-e4ea-47ba-b7fc-9d8c74dccf0b',
      },
    });
    expect(await dev('regipy__BCD.xz', '{733b62e6-f608-11eb-825c-c112f60133ab}', 0x11000001)).toEqual({
      associatedObject: '{733b62e7-f608-11eb-825c-c112f60133ab}',
      device: {
        kind: 'ramdisk',
        imagePath: '\\Recovery\\WindowsRE\\Winre.wim',
        imageOffset: 0,
        parent: {
          kind: 'partition',
          style: 'gpt',
          diskId: '0b2394a9-095e-487d-8d48-719ecd4d78ca',
          partitionGuid: '6cdfcd69-de75-4490-8f99-5a84bf264917',
        },
      },
    });
  });

  it('setup media: a ramdisk of \\sources\\boot.wim on the boot device; template: locate devices', async () => {
    expect(
      await dev('EricZimmerman-Registry__BCD', '{7619dcc9-fafe-11d9-b411-000476eba25f}', 0x21000001),
    ).toEqual({
      associatedObject: '{7619dcc8-fafe-11d9-b411-000476eba25f}',
      device: { kind: 'ramdisk', imagePath: '\\sources\\boot.wim', imageOffset: 0, parent: { kind: 'boot' } },
    });
    expect(
      await dev('windeploy-linux__BCD-efi', '{d65367c7-3fb7-11ec-8288-eab76d76405a}', 0x11000001),
    ).toEqual({
      associatedObject: null,
      device: { kind: 'locate', elementType: 0x12000002 },
    });
    expect(
      await dev('windeploy-linux__BCD-efi', '{d65367c7-3fb7-11ec-8288-eab76d76405a}', 0x21000001),
    ).toEqual({
      associatedObject: null,
      device: { kind: 'locate', elementType: 0x22000002 },
    });
  });

  it('a hive that is not a BCD store is bcd/not-a-store', async () => {
    const { decodeBcd } = await import('../../src/index.js');
    const hive = await openHive(corpusBytes('yarp__UnicodeHive'));
    expect(() => decodeBcd(hive)).toThrow(expect.objectContaining({ code: 'bcd/not-a-store' }));
  });
});

describe('hostile device elements: decoded or unknown, never thrown', () => {
  it('every corpus device element, mutated by fast-check, and random bytes', async () => {
    const fc = (await import('fast-check')).default;
    const samples: Uint8Array[] = [];
    for (const name of CORPUS_BCD) {
      const store = await openBcd(corpusBytes(name));
      for (const o of store.objects) {
        for (const e of o.elements)
          if (e.format === 'device')
            samples.push(
              store.hive
                .key(`Objects\\${o.id}\\Elements\\${e.type.toString(16).padStart(8, '0')}`)
                ?.value('Element')?.data ?? new Uint8Array(),
            );
      }
    }
    expect(samples.length).toBeGreaterThan(10);
    const kinds = new Set<string>();
    fc.assert(
      fc.property(
        fc.nat({ max: samples.length - 1 }),
        fc.array(fc.tuple(fc.nat({ max: 255 }), fc.nat({ max: 255 })), { maxLength: 6 }),
        fc.nat({ max: 300 }),
        (i, flips, cut) => {
          const data = (samples[i] as Uint8Array).slice(0, cut);
          for (const [at, x] of flips) if (at < data.length) data[at] = x;
          const v = parseDeviceElement(data);
          kinds.add(v.device.kind);
          if (v.device.kind === 'unknown') expect(v.device.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 2000, seed: 0xbcd },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => void parseDeviceElement(b)),
      { numRuns: 500, seed: 1 },
    );
    expect(kinds.has('unknown') && kinds.has('partition')).toBe(true);
  });
});
