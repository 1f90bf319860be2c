/**
 * Pack-declared registry facts on the real Windows-shaped images: a pack (test/packs/registry-facts)
 * declares a value, a key's values and a key's subkeys in SYSTEM and SOFTWARE, the engine collects
 * them through the plugin's `registry` source, and every expected value is read from
 * `hivexregedit --export` of the same hives pulled out of the image with The Sleuth Kit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openNative } from '@imagecheck/access-native';
import {
  collectFacts,
  declaredFacts,
  type FactResult,
  type GuestAccessV2,
  type LoadedPack,
  loadPack,
} from '@imagecheck/sdk';
import { evaluateCase } from '@imagecheck/sdk/testing';
import {
  buildWindowsImage,
  type Exported,
  type ExportedValue,
  exported,
  exportedDword,
  exportHive,
  fls,
  icat,
  sfdisk,
  toolsReady,
  WINDOWS_IMAGES,
} from '@imagecheck/test-kit/windows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plugin } from '../src/index.js';

const ready = toolsReady();
const PACK_DIR = fileURLToPath(new URL('./packs/registry-facts', import.meta.url));

/** The data hivexregedit exported, in the form the fact documents (text, number, list, hex). */
function truthData(v: ExportedValue): string | number | string[] {
  const text = (): string => Buffer.from(v.bytes).toString('utf16le');
  switch (v.type) {
    case 1:
    case 2:
    case 6:
      return text().split('\0')[0] as string;
    case 7: {
      const all = text().split('\0');
      const end = all.indexOf('');
      return end < 0 ? all : all.slice(0, end);
    }
    case 4:
      return exportedDword(v) as number;
    case 5:
      return new DataView(v.bytes.buffer, v.bytes.byteOffset).getUint32(0, false);
    case 11:
      return Number(new DataView(v.bytes.buffer, v.bytes.byteOffset).getBigUint64(0, true));
    default:
      return Buffer.from(v.bytes).toString('hex');
  }
}

const TYPE_NAMES: Record<number, string> = {
  0: 'REG_NONE',
  1: 'REG_SZ',
  2: 'REG_EXPAND_SZ',
  3: 'REG_BINARY',
  4: 'REG_DWORD',
  5: 'REG_DWORD_BIG_ENDIAN',
  6: 'REG_LINK',
  7: 'REG_MULTI_SZ',
  11: 'REG_QWORD',
};

function valuesOf(hive: Exported, key: string): { name: string; type: string; data: unknown }[] {
  const k = hive.get(key.toLowerCase());
  if (k === undefined) throw new Error(`hivexregedit exported no ${key}`);
  return [...k.values].map(([name, v]) => ({
    name,
    type: TYPE_NAMES[v.type] ?? String(v.type),
    data: truthData(v),
  }));
}

/** Names of the direct subkeys of `key`, as hivexregedit exported them. */
function subkeysOf(hive: Exported, key: string): string[] {
  const prefix = `${key.toLowerCase()}\\`;
  return [...hive.entries()]
    .filter(([k]) => k.startsWith(prefix) && !k.slice(prefix.length).includes('\\'))
    .map(([, v]) => v.path.split('\\').at(-1) as string);
}

function ok(r: FactResult | undefined): Record<string, unknown> {
  if (r?.status !== 'ok') throw new Error(`fact not ok: ${JSON.stringify(r)}`);
  return r.value as Record<string, unknown>;
}

const byName = (a: { name: string }, b: { name: string }): number =>
  a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0;

describe.skipIf(!ready)('declared registry facts on Windows-shaped images', () => {
  let tmp: string;
  let pack: LoadedPack;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'wreg-'));
    pack = await loadPack(PACK_DIR);
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** Facts of the pack on one of the damaged images. */
  async function damagedFacts(
    name:
      | 'registry-sam-missing'
      | 'registry-security-corrupt'
      | 'registry-ccs-unresolvable'
      | 'registry-system-dirty',
  ) {
    const img = await buildWindowsImage(WINDOWS_IMAGES[name]);
    const access = await openNative(img.path);
    try {
      const ids = declaredFacts(pack.namespace, pack.declaredFacts).definitions.map((d) => d.id);
      return (await collectFacts({ access, plugins: [plugin], packs: [pack], ids })).facts;
    } finally {
      await access.close();
    }
  }

  describe('damaged and incomplete registries', () => {
    it('a missing SAM is hivePresent: false, not an error', async () => {
      const facts = await damagedFacts('registry-sam-missing');
      expect(ok(facts['regfacts.sam-domains'])).toEqual({
        present: false,
        hive: '/Windows/System32/config/SAM',
        hivePresent: false,
        key: 'HKLM\\SAM\\SAM\\Domains',
        keyPresent: false,
        subkeys: [],
      });
      expect(ok(facts['regfacts.rtc-universal']).present).toBe(true);
    });

    it('a SECURITY hive whose checksum fails is read, and its evidence says why it may be stale', async () => {
      const facts = await damagedFacts('registry-security-corrupt');
      const policy = facts['regfacts.security-policy'];
      expect(ok(policy)).toMatchObject({ present: true, hive: '/Windows/System32/config/SECURITY' });
      expect(policy?.evidence[0]?.note).toMatch(/dirty \(bad-checksum\).*may be stale/);
      expect(facts['regfacts.sam-domains']?.evidence[0]?.note).toBeUndefined();
    });

    it('Select\\Current naming a control set that does not exist: the key is absent', async () => {
      const facts = await damagedFacts('registry-ccs-unresolvable');
      expect(ok(facts['regfacts.rtc-universal'])).toMatchObject({
        present: false,
        hivePresent: true,
        keyPresent: false,
        key: 'HKLM\\SYSTEM\\ControlSet009\\Control\\TimeZoneInformation',
        value: null,
      });
    });

    it('a dirty SYSTEM without logs: values are read, and the evidence says they may be stale', async () => {
      const facts = await damagedFacts('registry-system-dirty');
      const services = facts['regfacts.services'];
      expect(ok(services).present).toBe(true);
      expect(services?.evidence[0]?.note).toMatch(/dirty \(sequence-mismatch\).*may be stale/);
      expect(facts['regfacts.build']?.evidence[0]?.note).toBeUndefined();
    });
  });

  for (const name of ['good-bios', 'win7-bios-sha2'] as const) {
    describe(name, () => {
      let access: GuestAccessV2;
      let facts: Record<string, FactResult>;
      let system: Exported;
      let software: Exported;
      let sam: Exported;
      let defaultHive: Exported;
      let ccs: string;
      beforeAll(async () => {
        const img = await buildWindowsImage(WINDOWS_IMAGES[name]);
        const table = await sfdisk(img.rawPath);
        let hives: { system: string; software: string; sam: string; default: string } | undefined;
        for (const p of table.partitions) {
          const files = await fls(img.rawPath, p.start).catch(() => new Map<string, string>());
          const sys = files.get('windows/system32/config/system');
          const soft = files.get('windows/system32/config/software');
          const samFile = files.get('windows/system32/config/sam');
          const def = files.get('windows/system32/config/default');
          if (sys === undefined || soft === undefined || samFile === undefined || def === undefined) continue;
          hives = {
            system: await icat(img.rawPath, p.start, sys, tmp, `${name}-SYSTEM`),
            software: await icat(img.rawPath, p.start, soft, tmp, `${name}-SOFTWARE`),
            sam: await icat(img.rawPath, p.start, samFile, tmp, `${name}-SAM`),
            default: await icat(img.rawPath, p.start, def, tmp, `${name}-DEFAULT`),
          };
        }
        if (hives === undefined) throw new Error('no partition holds config\\SYSTEM (fls)');
        const select = await exportHive(hives.system, ['Select']);
        const current = exportedDword(exported(select, 'Select', 'Current'));
        ccs = `ControlSet${String(current).padStart(3, '0')}`;
        system = await exportHive(hives.system, [`${ccs}\\Control\\TimeZoneInformation`, `${ccs}\\Services`]);
        software = await exportHive(hives.software, ['Microsoft\\Windows NT\\CurrentVersion']);
        sam = await exportHive(hives.sam, ['SAM\\Domains']);
        // The root: every key of the hive, from which its top keys are read.
        defaultHive = await exportHive(hives.default, ['']);
        access = await openNative(img.path);
        const ids = declaredFacts(pack.namespace, pack.declaredFacts).definitions.map((d) => d.id);
        facts = (await collectFacts({ access, plugins: [plugin], packs: [pack], ids })).facts;
      });
      afterAll(async () => {
        await access?.close();
      });

      it('a value: RealTimeIsUniversal, typed, CurrentControlSet resolved (hivexregedit)', () => {
        const tz = `${ccs}\\Control\\TimeZoneInformation`;
        const truth = exported(system, tz, 'RealTimeIsUniversal') as ExportedValue;
        expect(truth).toBeDefined();
        expect(ok(facts['regfacts.rtc-universal'])).toEqual({
          present: true,
          hive: '/Windows/System32/config/SYSTEM',
          hivePresent: true,
          key: `HKLM\\SYSTEM\\${tz}`,
          keyPresent: true,
          value: { name: 'RealTimeIsUniversal', type: TYPE_NAMES[truth.type], data: truthData(truth) },
        });
        expect(facts['regfacts.rtc-universal']?.evidence).toEqual([
          expect.objectContaining({
            kind: 'registry',
            key: `HKLM\\SYSTEM\\${tz}`,
            valueName: 'RealTimeIsUniversal',
          }),
        ]);
      });

      it("a key's values, in SYSTEM and in SOFTWARE (hivexregedit)", () => {
        const tz = ok(facts['regfacts.time-zone']);
        const tzTruth = valuesOf(system, `${ccs}\\Control\\TimeZoneInformation`);
        expect(tzTruth.length).toBeGreaterThan(0);
        expect([...(tz.values as { name: string }[])].sort(byName)).toEqual([...tzTruth].sort(byName));
        expect(tz.data).toEqual(Object.fromEntries(tzTruth.map((v) => [v.name, v.data])));

        const cv = ok(facts['regfacts.current-version']);
        const cvTruth = valuesOf(software, 'Microsoft\\Windows NT\\CurrentVersion');
        expect(cvTruth.length).toBeGreaterThan(1);
        expect(cv).toMatchObject({
          present: true,
          hive: '/Windows/System32/config/SOFTWARE',
          key: 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion',
        });
        expect([...(cv.values as { name: string }[])].sort(byName)).toEqual([...cvTruth].sort(byName));
        const build = ok(facts['regfacts.build']).value as { type: string; data: unknown };
        expect(build).toEqual({
          name: 'CurrentBuildNumber',
          type: 'REG_SZ',
          data: cvTruth.find((v) => v.name === 'CurrentBuildNumber')?.data,
        });
      });

      it("a key's subkeys: the Services of the current control set (hivexregedit)", () => {
        const truth = subkeysOf(system, `${ccs}\\Services`);
        expect(truth.length).toBeGreaterThan(2);
        const v = ok(facts['regfacts.services']);
        expect(v).toMatchObject({ present: true, keyPresent: true, key: `HKLM\\SYSTEM\\${ccs}\\Services` });
        expect([...(v.subkeys as string[])].sort()).toEqual([...truth].sort());
      });

      it('SAM, and a hive named by its path (hivexregedit)', () => {
        const domains = subkeysOf(sam, 'SAM\\Domains');
        expect(domains.length).toBeGreaterThan(0);
        const v = ok(facts['regfacts.sam-domains']);
        expect(ok(facts['regfacts.security-policy'])).toMatchObject({ present: true, keyPresent: true });
        expect(v).toMatchObject({ present: true, hive: '/Windows/System32/config/SAM' });
        expect([...(v.subkeys as string[])].sort()).toEqual([...domains].sort());

        const top = [...defaultHive.values()].map((k) => k.path).filter((p) => p !== '' && !p.includes('\\'));
        expect(top.length).toBeGreaterThan(0);
        const d = ok(facts['regfacts.default-hive-by-path']);
        expect(d).toMatchObject({
          present: true,
          hive: '/Windows/System32/config/DEFAULT',
          key: '/Windows/System32/config/DEFAULT',
          keyPresent: true,
        });
        expect([...(d.subkeys as string[])].sort()).toEqual([...top].sort());
      });

      it('an absent value, key or hive is present: false, as an absent file is', () => {
        expect(ok(facts['regfacts.no-such-value'])).toMatchObject({
          present: false,
          keyPresent: true,
          value: null,
        });
        expect(ok(facts['regfacts.no-such-key'])).toMatchObject({
          present: false,
          hivePresent: true,
          keyPresent: false,
          subkeys: [],
        });
        // The images carry no user profile: the user hive is absent, and so reported.
        expect(ok(facts['regfacts.default-user-run'])).toEqual({
          present: false,
          hive: '/Users/Default/NTUSER.DAT',
          hivePresent: false,
          key: '/Users/Default/NTUSER.DAT\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
          keyPresent: false,
          values: [],
          data: {},
        });
      });

      it('a rule over the declared value passes on the image and fails on a local-time clock', () => {
        const rule = pack.rules.find((r) => r.id === 'REGFACTS.RtcUniversal');
        if (rule === undefined) throw new Error('the pack has no REGFACTS.RtcUniversal');
        const rtc = ok(facts['regfacts.rtc-universal']);
        const guestOs = { os: 'windows', family: 'windows' };
        const local = { ...rtc, value: { ...(rtc.value as object), data: 0 } };
        const pass = evaluateCase(rule, { facts: { 'guest.os': guestOs, 'regfacts.rtc-universal': rtc } });
        const fail = evaluateCase(rule, { facts: { 'guest.os': guestOs, 'regfacts.rtc-universal': local } });
        expect(pass.status).toBe('pass');
        expect(fail.status).toBe('fail');
        expect(fail.findings?.[0]?.message).toContain('RealTimeIsUniversal is not 1');
      });
    });
  }
});
