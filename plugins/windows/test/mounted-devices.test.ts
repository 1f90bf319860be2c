/**
 * Drive letters from a real Windows 10 1709 SYSTEM hive (corpus, see the test kit's corpus/windows/ATTRIBUTION.md):
 * its MountedDevices has C: and E: on one MBR disk, F: on another disk and D: as a CD-ROM device
 * path. Ground truth: hivexregedit --export of the same hive; the layout is this disk as those
 * values describe it (signature and partition offsets), so C: and E: must match and D:, F: not.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHive } from '@imagecheck/formats';
import type { ImageLayoutV2 } from '@imagecheck/sdk';
import { requireTools, run } from '@imagecheck/test-kit';
import { exportHive, windowsCorpusFile } from '@imagecheck/test-kit/windows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveLetters, parseIdentity } from '../src/provider/index.js';

const CORPUS = windowsCorpusFile('regipy__SYSTEM_WIN_10_1709.xz');
const ready = requireTools('xz', 'hivexregedit');

describe.skipIf(!ready)('MountedDevices of a real Windows 10 SYSTEM hive', () => {
  let tmp: string;
  let hivePath: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'wmd-'));
    hivePath = join(tmp, 'SYSTEM');
    await run('sh', ['-c', 'xz -dc "$0" > "$1"', CORPUS, hivePath]);
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('parses every \\DosDevices\\X: value as hivexregedit exports it', async () => {
    const exported = (await exportHive(hivePath, ['MountedDevices'])).get('mounteddevices');
    const letters = [...(exported?.values ?? new Map())].filter(([n]) => /^\\DosDevices\\[A-Z]:$/i.test(n));
    expect(letters.map(([n]) => n).sort()).toEqual([
      '\\DosDevices\\C:',
      '\\DosDevices\\D:',
      '\\DosDevices\\E:',
      '\\DosDevices\\F:',
    ]);
    // The disk of C:, described from the exported bytes: MBR signature and each partition's offset.
    const mbr = letters.filter(([, v]) => v.bytes.length === 12);
    const cBytes = exported?.values.get('\\DosDevices\\C:')?.bytes as Uint8Array;
    const sig = Buffer.from(cBytes.subarray(0, 4)).readUInt32LE(0);
    const onDisk = mbr.filter(([, v]) => Buffer.from(v.bytes).readUInt32LE(0) === sig);
    const partitions = onDisk.map(([, v], i) => ({
      number: i + 1,
      start: Number(Buffer.from(v.bytes).readBigUInt64LE(4)),
      size: 1 << 20,
      type: '0x07',
    }));
    const layout = {
      disk: {
        format: 'raw',
        virtualSize: 1 << 40,
        sectorSize: 512,
        partitionTable: 'mbr',
        diskId: sig.toString(16).padStart(8, '0'),
        partitions,
        boot: {},
      },
      volumes: [],
      filesystems: partitions.map((p) => ({
        id: `p${p.number}`,
        type: 'ntfs',
        size: p.size,
        location: { kind: 'partition', partition: p.number },
        readable: true,
      })),
      warnings: [],
    } as unknown as ImageLayoutV2;

    const hive = await openHive(new Uint8Array(await readFile(hivePath)));
    const got = driveLetters(hive, layout);
    expect(got.map((l) => l.letter)).toEqual(['C', 'D', 'E', 'F']);
    for (const l of got) {
      const raw = exported?.values.get(l.valueName)?.bytes as Uint8Array;
      const b = Buffer.from(raw);
      if (raw.length !== 12) {
        expect(l.identity).toEqual({ form: 'unknown', length: raw.length });
        expect(l.partition).toBeNull();
        continue;
      }
      expect(l.identity).toEqual({
        form: 'mbr',
        diskSignature: b.readUInt32LE(0).toString(16).padStart(8, '0'),
        partitionOffset: Number(b.readBigUInt64LE(4)),
      });
      const p = partitions.find((x) => b.readUInt32LE(0) === sig && x.start === Number(b.readBigUInt64LE(4)));
      expect(l.partition).toBe(p?.number ?? null);
      expect(l.filesystem).toBe(p ? `p${p.number}` : null);
    }
    // C: and E: are on this disk, F: on another.
    expect(got.filter((l) => l.partition !== null).map((l) => l.letter)).toEqual(['C', 'E']);
  });

  it('reads the GPT form: DMIO:ID: and the partition GUID as stored', () => {
    const guid = Buffer.from('c0c0000000000080004000000000d0eb', 'hex');
    const bytes = new Uint8Array([...Buffer.from('DMIO:ID:', 'latin1'), ...guid]);
    expect(parseIdentity(bytes)).toEqual({
      form: 'gpt',
      partitionGuid: '0000c0c0-0000-8000-0040-00000000d0eb',
    });
    expect(parseIdentity(bytes.subarray(0, 20))).toEqual({ form: 'unknown', length: 20 });
  });
});
