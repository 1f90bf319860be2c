import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingPrerequisite, requireTools, which } from '@imagecheck/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { openHive } from '../../src/index.js';
import { CORPUS_HIVES, corpusBytes } from '../helpers/corpus.js';

/**
 * Win::Hivex (libhivex's Perl binding) walks the hive and prints, per key in on-disk order, its
 * last-written FILETIME, subkey and value counts and path; then the base block's last-written time.
 */
const HIVEX_WALK = String.raw`
use Win::Hivex;
binmode STDOUT, ':encoding(UTF-8)';
my $h = Win::Hivex->open($ARGV[0]);
sub walk {
  my ($n, $path) = @_;
  my @c = $h->node_children($n);
  my @v = $h->node_values($n);
  print join("\t", $h->node_timestamp($n), scalar(@c), scalar(@v), $path), "\n";
  for my $c (@c) { walk($c, $path eq '' ? $h->node_name($c) : $path . "\\" . $h->node_name($c)); }
}
walk($h->root(), '');
print "last_modified\t", $h->last_modified(), "\n";
`;

describe.skipIf(!requireTools('perl', 'xz') || !hasPerlHivex())(
  'keys, counts and timestamps against Win::Hivex',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'regf-walk-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    for (const name of CORPUS_HIVES) {
      it(name, async () => {
        const bytes = corpusBytes(name);
        const file = join(dir, name.replace(/\.xz$/, ''));
        writeFileSync(file, bytes);
        const truth = execFileSync(which('perl') ?? 'perl', ['-e', HIVEX_WALK, file], {
          maxBuffer: 256 << 20,
        }).toString('utf8');
        const hive = await openHive(bytes);
        let ours = '';
        for (const k of hive.walk())
          ours += `${k.lastWrittenFiletime}\t${k.subkeyCount}\t${k.valueCount}\t${k.path}\n`;
        ours += `last_modified\t${hive.info.lastWrittenFiletime}\n`;
        expect(ours).toBe(truth);
      }, 120_000);
    }
  },
);

function hasPerlHivex(): boolean {
  if (!requireTools('perl')) return false;
  try {
    execFileSync(which('perl') ?? 'perl', ['-MWin::Hivex', '-e', '1'], { stdio: 'ignore' });
    return true;
  } catch {
    return missingPrerequisite('the Perl module Win::Hivex (Debian package libwin-hivex-perl)');
  }
}

describe('case-insensitive lookups', () => {
  for (const name of CORPUS_HIVES) {
    it(`${name}: every key by its path upper- and lower-cased, every value by its name`, async () => {
      const hive = await openHive(corpusBytes(name));
      let keys = 0;
      for (const k of hive.walk()) {
        keys++;
        expect(hive.key(k.path.toUpperCase())?.offset).toBe(k.offset);
        expect(hive.key(`\\${k.path.toLowerCase()}`)?.offset).toBe(k.offset);
        for (const v of k.values()) expect(k.value(v.name.toUpperCase())?.name).toBe(v.name);
        // An absent name is absent, not a neighbour found by a loose search.
        const names = new Set(k.subkeyNames().map((n) => n.toUpperCase()));
        for (const probe of ['~', '0', 'ZZZZ', `${k.subkeyNames()[0] ?? 'x'}~`]) {
          expect(k.subkey(probe) === null).toBe(!names.has(probe.toUpperCase()));
        }
      }
      expect(keys).toBeGreaterThan(1);
    }, 120_000);
  }

  it('Latin-1 and UTF-16 names match across case (ë/Ë, Привет/ПРИВЕТ)', async () => {
    const latin = await openHive(corpusBytes('yarp__ExtendedASCIIHive'));
    const k = latin.key('ËIGENAARDIG');
    expect(k?.name).toBe('ëigenaardig');
    expect(k?.value('ËIGENAARDIG')?.data.length).toBe(24);
    const uni = await openHive(corpusBytes('yarp__UnicodeHive'));
    expect(uni.key('привет')?.name).toBe('Привет');
    expect(uni.key('ПРИВЕТ\\КЛЮЧ')?.name).toBe('Ключ');
  });

  it('5,000 subkeys under an index root: first, last and absent names', async () => {
    const hive = await openHive(corpusBytes('yarp__ManySubkeysHive'));
    const k = hive.key('key_with_many_subkeys');
    expect(k?.subkeyCount).toBe(5000);
    const names = k?.subkeyNames() ?? [];
    // MANIFEST (Win::Hivex): hivex order first `1`, last `999`.
    expect(names[0]).toBe('1');
    expect(names.at(-1)).toBe('999');
    for (const n of ['1', '999', '2500', '5000', '4321']) expect(k?.subkey(n)?.name).toBe(n);
    expect(k?.subkey('5001')).toBeNull();
    expect(k?.subkey('0')).toBeNull();
  });
});

describe('base block and hive facts (MANIFEST, from Win::Hivex)', () => {
  it('Windows 10 1709 SYSTEM: dirty (4317 != 4316, no logs), opens, reports that values may be stale', async () => {
    const hive = await openHive(corpusBytes('regipy__SYSTEM_WIN_10_1709.xz'));
    expect(hive.info).toMatchObject({
      version: '1.5',
      sequence1: 4317,
      sequence2: 4316,
      dirty: true,
      dirtyReasons: ['sequence-mismatch'],
      recovered: false,
      recovery: null,
      mayBeStale: true,
    });
    expect(hive.info.checksum.valid).toBe(true);
    expect(hive.root.name).toBe('ROOT');
    expect(hive.key('Select')?.value('Current')?.asNumber()).toBe(1);
    expect(
      hive.key('ControlSet001\\Control\\ComputerName\\ComputerName')?.value('ComputerName')?.asString(),
    ).toBe('DESKTOP-2KGM189');
    expect(
      hive.key('ControlSet001\\Control\\TimeZoneInformation')?.value('TimeZoneKeyName')?.asString(),
    ).toBe('Pacific Standard Time');
    expect(hive.key('ControlSet001\\Services')?.subkeyCount).toBe(737);
    const big = hive.key('ControlSet001\\Control\\Session Manager\\AppCompatCache')?.value('AppCompatCache');
    expect(big?.data.length).toBe(269_986);
    expect(big?.storage).toBe('big-data');
    await expect(
      openHive(corpusBytes('regipy__SYSTEM_WIN_10_1709.xz'), { strict: true }),
    ).rejects.toMatchObject({
      code: 'regf/dirty',
    });
  });

  it('Windows 7 SYSTEM: clean, 30,756 keys and 73,456 values, a 197,444-byte big-data value', async () => {
    const hive = await openHive(corpusBytes('regipy__SYSTEM.xz'));
    expect(hive.info).toMatchObject({
      version: '1.5',
      sequence1: 13983,
      sequence2: 13983,
      dirty: false,
      mayBeStale: false,
    });
    expect(hive.root.name).toBe('CMI-CreateHive{F10156BE-0E87-4EFB-969E-5DA29D131144}');
    let keys = 0;
    let values = 0;
    for (const k of hive.walk()) {
      keys++;
      values += k.valueCount;
    }
    expect([keys, values]).toEqual([30_756, 73_456]);
    expect(hive.root.subkeyNames()).toEqual([
      'ControlSet001',
      'ControlSet002',
      'MountedDevices',
      'RNG',
      'Select',
      'Setup',
      'Software',
      'WPA',
    ]);
    const boot = hive.key('ControlSet002\\services\\rdyboost\\Parameters')?.value('BootPlan');
    expect(boot?.data.length).toBe(197_444);
    expect(boot?.storage).toBe('big-data');
    // The boot key's scrambled parts live in the class names of four Lsa subkeys: 8 hex digits each.
    for (const part of ['JD', 'Skew1', 'GBG', 'Data']) {
      expect(hive.key(`ControlSet001\\Control\\Lsa\\${part}`)?.className).toMatch(/^[0-9a-f]{8}$/i);
    }
  });

  it('BigDataHive: both big values assemble to the MANIFEST sizes and hashes', async () => {
    const hive = await openHive(corpusBytes('yarp__BigDataHive'));
    const k = hive.key('key_with_bigdata');
    const sha = (b: Uint8Array | undefined): string =>
      createHash('sha256')
        .update(b ?? new Uint8Array())
        .digest('hex');
    const def = k?.value('');
    const v = k?.value('v');
    expect([def?.data.length, v?.data.length]).toEqual([16_345, 81_725]);
    expect(sha(def?.data).startsWith('ba358647')).toBe(true);
    expect(sha(v?.data).startsWith('198272eb')).toBe(true);
    expect(v?.storage).toBe('big-data');
  });

  it('key and value counts of the other hives', async () => {
    const expected: Record<string, [number, number]> = {
      'EricZimmerman-Registry__BCD': [66, 46],
      'aiowinreg__nt4_software.reg': [2221, 3198],
      'aiowinreg__nt4_system.reg': [1971, 5841],
      'regipy__BCD.xz': [132, 103],
      'regipy__SYSTEM_WIN_10_1709.xz': [43_211, 90_307],
      'windeploy-linux__BCD': [78, 55],
      'windeploy-linux__BCD-efi': [32, 27],
    };
    for (const [name, counts] of Object.entries(expected)) {
      const hive = await openHive(corpusBytes(name));
      let keys = 0;
      let values = 0;
      for (const k of hive.walk()) {
        keys++;
        values += k.values().length;
      }
      expect([name, keys, values]).toEqual([name, ...counts]);
    }
  });
});

describe('reading from a random-access source', () => {
  it('reads the base block and the hive bins, not the padding after them', async () => {
    const bytes = corpusBytes('yarp__UnicodeHive');
    const reads: [number, number][] = [];
    const source = {
      size: bytes.length,
      read: async (offset: number, length: number) => {
        reads.push([offset, length]);
        return bytes.slice(offset, offset + length);
      },
    };
    const hive = await openHive(source);
    expect(hive.key('Привет\\Ключ')?.name).toBe('Ключ');
    const total = reads.reduce((n, [, l]) => n + l, 0);
    // 262,144-byte file; 4096 of base block and 4096 of hive bins (MANIFEST: 3 keys).
    expect(hive.info.loadedBytes).toBe(8192);
    expect(total).toBe(4096 + 8192);
  });

  it('a source that returns short reads is a typed error', async () => {
    const bytes = corpusBytes('yarp__UnicodeHive');
    const source = { size: bytes.length, read: async (o: number, l: number) => bytes.slice(o, o + l - 1) };
    await expect(openHive(source)).rejects.toMatchObject({ code: 'formats/short-input' });
  });
});
