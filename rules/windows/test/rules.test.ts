/**
 * The Windows pack's rules on fact values shaped as the plugin produces them (the plugin's own
 * tests prove the facts against real images and independent tools; these prove the decisions).
 */
import { fileURLToPath } from 'node:url';
import windowsPlugin from '@imagecheck/plugin-windows';
import { loadPack } from '@imagecheck/sdk';
import { RuleTester } from '@imagecheck/sdk/testing';
import { describe, it } from 'vitest';

const pack = await loadPack(fileURLToPath(new URL('..', import.meta.url)));
RuleTester.describe = describe;
RuleTester.it = it;
// The plugin that collects these facts in a real check: the facts each case gives by hand must
// have the shape of its fact schemas.
const ruleTester = new RuleTester({ pack, plugins: [windowsPlugin] });

const WINDOWS = { os: 'windows' };
const LINUX = { os: 'linux' };

const version = (extra: Record<string, unknown> = {}) => ({
  productName: 'Windows Server 2019 Datacenter',
  editionId: 'ServerDatacenter',
  installationType: 'Server',
  displayVersion: '1809',
  releaseId: '1809',
  majorMinor: '10.0',
  build: '17763',
  ubr: 5458,
  version: '10.0.17763.5458',
  key: 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion',
  ...extra,
});

ruleTester.run('GUESTOS.Platform', {
  valid: [],
  invalid: [
    {
      name: 'Server 2019 Datacenter',
      facts: { 'guest.os': WINDOWS, 'windows.version': version() },
      status: 'info',
      message: /edition ServerDatacenter, installation type Server/,
    },
    { name: 'a Linux guest', facts: { 'guest.os': LINUX }, status: 'skipped' },
    {
      name: 'SOFTWARE unreadable',
      facts: { 'guest.os': WINDOWS },
      unavailable: { 'windows.version': 'the SOFTWARE hive is absent' },
      status: 'error',
    },
  ],
});

ruleTester.run('GUESTOS.OSVersion', {
  valid: [],
  invalid: [
    {
      name: 'product name and build.UBR',
      facts: { 'guest.os': WINDOWS, 'windows.version': version() },
      status: 'info',
      message: /^Windows Server 2019 Datacenter 10\.0\.17763\.5458 \(feature update 1809\)/,
    },
    {
      name: 'no version numbers',
      facts: { 'guest.os': WINDOWS, 'windows.version': version({ version: null }) },
      status: 'warn',
      findings: [{ messageId: 'unknownVersion' }],
    },
  ],
});

const arch = (registry: string | null, registryArchitecture: string | null, kernel: string | null) => ({
  registry,
  registryArchitecture,
  kernelArchitecture: kernel,
  architecture: kernel ?? registryArchitecture,
});

ruleTester.run('GUESTOS.Architecture', {
  valid: [],
  invalid: [
    {
      name: 'x86_64, both agree',
      facts: { 'guest.os': WINDOWS, 'windows.architecture': arch('AMD64', 'x86_64', 'x86_64') },
      status: 'info',
      message: /^x86_64 \(ntoskrnl\.exe: x86_64; PROCESSOR_ARCHITECTURE: AMD64\)/,
    },
    {
      name: 'registry x86, kernel x86_64',
      facts: { 'guest.os': WINDOWS, 'windows.architecture': arch('x86', 'i386', 'x86_64') },
      status: 'fail',
      riskLevel: 'medium',
      findings: [{ messageId: 'mismatch' }],
    },
  ],
});

const kernel = (extra: Record<string, unknown> = {}) => ({
  path: '/Windows/System32/ntoskrnl.exe',
  present: true,
  machine: 'x86_64',
  subsystem: 'native',
  fileVersion: '10.0.17763.5458',
  productVersion: '10.0.17763.5458',
  ...extra,
});

ruleTester.run('GUESTOS.KernelVersion', {
  valid: [],
  invalid: [
    {
      name: 'file version',
      facts: { 'guest.os': WINDOWS, 'windows.kernel': kernel() },
      status: 'info',
      message: /^ntoskrnl\.exe 10\.0\.17763\.5458 \(x86_64/,
    },
    {
      name: 'ntoskrnl.exe missing',
      facts: {
        'guest.os': WINDOWS,
        'windows.kernel': kernel({
          present: false,
          machine: null,
          subsystem: null,
          fileVersion: null,
          productVersion: null,
        }),
      },
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'missing' }],
    },
  ],
});

const boot = (mode: string, bios: Record<string, unknown>, uefi: Record<string, unknown>) => ({
  mode,
  bios: { partition: null, filesystem: null, bootmgr: false, bcd: false, note: 'not an MBR disk', ...bios },
  uefi: {
    partition: null,
    filesystem: null,
    bootmgfw: false,
    bcd: false,
    fallback: false,
    note: 'no EFI system partition',
    ...uefi,
  },
});
const BIOS = boot('bios', { partition: 1, filesystem: 'p1', bootmgr: true, bcd: true, note: null }, {});
const UEFI = boot(
  'uefi',
  {},
  { partition: 1, filesystem: 'p1', bootmgfw: true, bcd: true, fallback: true, note: null },
);

ruleTester.run('GUESTOS.BootMode', {
  valid: [],
  invalid: [
    { name: 'BIOS', facts: { 'guest.os': WINDOWS, 'windows.boot': BIOS }, status: 'info', message: /^bios / },
    { name: 'UEFI', facts: { 'guest.os': WINDOWS, 'windows.boot': UEFI }, status: 'info', message: /^uefi / },
    {
      name: 'neither',
      facts: {
        'guest.os': WINDOWS,
        'windows.boot': boot('none', { partition: 1, bcd: true, note: null }, {}),
      },
      status: 'fail',
      findings: [{ messageId: 'notBootable' }],
    },
  ],
});

ruleTester.run('GUESTOS.BootMgr', {
  valid: [
    { name: 'BIOS', facts: { 'guest.os': WINDOWS, 'windows.boot': BIOS } },
    { name: 'UEFI', facts: { 'guest.os': WINDOWS, 'windows.boot': UEFI } },
  ],
  invalid: [
    {
      name: 'bootmgr missing beside Boot\\BCD',
      facts: {
        'guest.os': WINDOWS,
        'windows.boot': boot('none', { partition: 1, bcd: true, note: null }, {}),
      },
      status: 'fail',
      findings: [{ messageId: 'none' }, { messageId: 'noBootmgr' }],
    },
    {
      name: 'bootmgfw.efi missing beside EFI\\Microsoft\\Boot\\BCD',
      facts: {
        'guest.os': WINDOWS,
        'windows.boot': boot('none', {}, { partition: 1, bcd: true, note: null }),
      },
      status: 'fail',
      findings: [{ messageId: 'none' }, { messageId: 'noBootmgfw' }],
    },
  ],
});

const rtc = (extra: Record<string, unknown>) => ({
  present: true,
  type: 'REG_DWORD',
  value: 1,
  mode: 'UTC',
  key: 'HKLM\\SYSTEM\\ControlSet001\\Control\\TimeZoneInformation',
  ...extra,
});

ruleTester.run('GUESTOS.RtcTimeMode', {
  valid: [{ name: 'RealTimeIsUniversal 1', facts: { 'guest.os': WINDOWS, 'windows.rtc': rtc({}) } }],
  invalid: [
    {
      name: 'absent: local time',
      facts: {
        'guest.os': WINDOWS,
        'windows.rtc': rtc({ present: false, type: null, value: null, mode: 'LOCAL' }),
      },
      status: 'fail',
      riskLevel: 'low',
      findings: [{ messageId: 'localRtc' }],
    },
  ],
});

const svc = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  present: true,
  start: 0,
  type: 1,
  group: 'SCSI miniport',
  imagePath: `system32\\drivers\\${name}.sys`,
  file: `/Windows/system32/drivers/${name}.sys`,
  fileExists: true,
  ...extra,
});
const absent = (name: string) =>
  svc(name, { present: false, start: null, type: null, group: null, imagePath: null, fileExists: false });
const virtio = (extra: Record<string, unknown> = {}) => ({
  viostor: svc('viostor'),
  vioscsi: svc('vioscsi'),
  netkvm: svc('netkvm', { start: 3, group: 'NDIS' }),
  controlSet: 'ControlSet001',
  ...extra,
});

ruleTester.run('GUESTOS.Virtio', {
  valid: [
    {
      name: 'viostor and vioscsi boot-start, netkvm',
      facts: { 'guest.os': WINDOWS, 'windows.virtio': virtio() },
    },
    {
      name: 'vioscsi alone is enough for storage',
      facts: { 'guest.os': WINDOWS, 'windows.virtio': virtio({ viostor: absent('viostor') }) },
    },
  ],
  invalid: [
    {
      name: 'no virtio drivers',
      facts: {
        'guest.os': WINDOWS,
        'windows.virtio': virtio({
          viostor: absent('viostor'),
          vioscsi: absent('vioscsi'),
          netkvm: absent('netkvm'),
        }),
      },
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'noStorage' }, { messageId: 'noNetkvm' }],
    },
    {
      name: 'storage drivers on demand (Start 3)',
      facts: {
        'guest.os': WINDOWS,
        'windows.virtio': virtio({
          viostor: svc('viostor', { start: 3 }),
          vioscsi: svc('vioscsi', { start: 3 }),
        }),
      },
      status: 'fail',
      findings: [{ messageId: 'noStorage' }],
    },
    {
      name: 'boot-start but the driver files are missing',
      facts: {
        'guest.os': WINDOWS,
        'windows.virtio': virtio({
          viostor: svc('viostor', { fileExists: false }),
          vioscsi: svc('vioscsi', { fileExists: false }),
        }),
      },
      status: 'fail',
      findings: [{ messageId: 'noStorage' }],
    },
  ],
});

const device = (partition: number | null, matches: boolean | null) => ({
  kind: 'partition',
  text: 'MBR disk 1e2d3c4b, partition at byte 17825792',
  partition,
  filesystem: partition === null ? null : `p${partition}`,
  matches,
});
const store = (extra: Record<string, unknown> = {}) => ({
  firmware: 'bios',
  partition: 1,
  filesystem: 'p1',
  path: '/Boot/BCD',
  bootManager: true,
  present: true,
  parsed: true,
  error: null,
  defaultId: '{1b67bffd-e290-11eb-8ffa-f459a0d9b879}',
  defaultExists: true,
  description: 'Windows 10',
  device: device(2, true),
  osDevice: device(2, true),
  applicationPath: '\\windows\\system32\\winload.exe',
  applicationPathExists: true,
  systemRoot: '\\windows',
  bootManagerDevice: device(1, true),
  ...extra,
});
const bcd = (...stores: unknown[]) => ({ 'guest.os': WINDOWS, 'windows.bcd': { stores } });

ruleTester.run('GUESTOS.BCD', {
  valid: [
    { name: 'default object on this disk', facts: bcd(store()) },
    {
      name: 'a locate device cannot be checked offline and is not a failure',
      facts: bcd(store({ device: { ...device(null, null), kind: 'locate' }, applicationPathExists: null })),
    },
  ],
  invalid: [
    { name: 'no boot partition at all', facts: bcd(), status: 'fail', findings: [{ messageId: 'noStore' }] },
    {
      name: 'bootmgr without its store',
      facts: bcd(store({ present: false, parsed: false, defaultExists: false, defaultId: null })),
      status: 'fail',
      findings: [{ messageId: 'noStore' }, { messageId: 'missing' }],
    },
    {
      name: 'truncated store',
      facts: bcd(
        store({ parsed: false, error: 'regf/truncated: ...', defaultExists: false, defaultId: null }),
      ),
      status: 'fail',
      findings: [{ messageId: 'damaged' }],
    },
    {
      name: 'default object deleted',
      facts: bcd(store({ defaultExists: false, device: null, osDevice: null, applicationPathExists: null })),
      status: 'fail',
      findings: [{ messageId: 'noDefault' }],
    },
    {
      name: 'device and osdevice name another disk',
      facts: bcd(
        store({ device: device(null, false), osDevice: device(null, false), applicationPathExists: null }),
      ),
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'otherDevice' }, { messageId: 'otherOsDevice' }],
    },
    {
      name: 'winload.exe missing',
      facts: bcd(store({ applicationPathExists: false })),
      status: 'fail',
      findings: [{ messageId: 'noLoader' }],
    },
  ],
});

const hive = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  path: `/Windows/System32/config/${name}`,
  present: true,
  parsed: true,
  error: null,
  dirty: false,
  dirtyReasons: [],
  recovered: false,
  mayBeStale: false,
  logs: [],
  ...extra,
});
const registry = (hives: unknown[], controlSet = { current: 1, name: 'ControlSet001', exists: true }) => ({
  'guest.os': WINDOWS,
  'windows.registry': { hives, damaged: [], controlSet, driveLetters: [] },
});
const NAMES = ['SYSTEM', 'SOFTWARE', 'SAM', 'SECURITY', 'DEFAULT'];

ruleTester.run('GUESTOS.Registry', {
  valid: [
    { name: 'five clean hives', facts: registry(NAMES.map((n) => hive(n))) },
    {
      name: 'dirty SYSTEM recovered from its logs',
      facts: registry(
        NAMES.map((n) =>
          n === 'SYSTEM'
            ? hive(n, { dirty: true, dirtyReasons: ['sequence-mismatch'], recovered: true })
            : hive(n),
        ),
      ),
    },
  ],
  invalid: [
    {
      name: 'SAM missing',
      facts: registry(NAMES.map((n) => (n === 'SAM' ? hive(n, { present: false, parsed: false }) : hive(n)))),
      status: 'fail',
      findings: [{ messageId: 'missing' }],
    },
    {
      name: 'SECURITY checksum fails',
      facts: registry(
        NAMES.map((n) =>
          n === 'SECURITY' ? hive(n, { parsed: false, error: 'regf/bad-checksum: ...' }) : hive(n),
        ),
      ),
      status: 'fail',
      findings: [{ messageId: 'damaged' }],
    },
    {
      name: 'SYSTEM dirty without logs',
      facts: registry(
        NAMES.map((n) =>
          n === 'SYSTEM'
            ? hive(n, { dirty: true, dirtyReasons: ['sequence-mismatch'], mayBeStale: true })
            : hive(n),
        ),
      ),
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'dirty' }],
    },
    {
      name: 'Select\\Current names a missing control set',
      facts: registry(
        NAMES.map((n) => hive(n)),
        { current: 9, name: 'ControlSet009', exists: false },
      ),
      status: 'fail',
      findings: [{ messageId: 'noControlSet' }],
    },
  ],
});

const sysprep = (extra: Record<string, unknown> = {}) => ({
  'guest.os': WINDOWS,
  'windows.sysprep': {
    generalizationState: 7,
    cleanupState: 2,
    systemSetupInProgress: 0,
    oobeInProgress: 0,
    setupType: 0,
    imageState: 'IMAGE_STATE_COMPLETE',
    setupErrors: { path: '/Windows/System32/Sysprep/Panther/setuperr.log', present: false, errors: [] },
    ...extra,
  },
});

ruleTester.run('GUESTOS.Sysprep', {
  valid: [
    { name: 'sysprep finished or never run', facts: sysprep() },
    { name: 'no SysprepStatus key', facts: sysprep({ generalizationState: null, cleanupState: null }) },
  ],
  invalid: [
    {
      name: 'generalized, specialize pending',
      facts: sysprep({ generalizationState: 4 }),
      status: 'fail',
      findings: [{ messageId: 'generalizePending' }],
    },
    {
      name: 'Setup and OOBE in progress',
      facts: sysprep({ systemSetupInProgress: 1, oobeInProgress: 1 }),
      status: 'fail',
      findings: [{ messageId: 'setupInProgress' }],
    },
    {
      name: 'setuperr.log has SYSPRP errors',
      facts: sysprep({
        setupErrors: {
          path: '/Windows/System32/Sysprep/Panther/setuperr.log',
          present: true,
          errors: [
            '2024-01-15 10:21:33, Error SYSPRP Failed to remove apps for the current user: 0x80073cf2.',
          ],
        },
      }),
      status: 'fail',
      findings: [{ messageId: 'sysprepErrors' }],
    },
  ],
});

const xen = (services: unknown[], classFilters: unknown[] = [], hideDevices: string | null = null) => ({
  'guest.os': WINDOWS,
  'windows.xen': { services, classFilters, hideDevices, controlSet: 'ControlSet001' },
});

ruleTester.run('GUESTOS.Xen', {
  valid: [
    { name: 'no Xen drivers', facts: xen([]) },
    { name: 'Xen drivers disabled', facts: xen([svc('xenbus', { start: 4 }), svc('xenvbd', { start: 4 })]) },
  ],
  invalid: [
    {
      name: 'xenbus and xenfilt boot-start, XENFILT in the System class filters',
      facts: xen(
        [svc('xenbus'), svc('xenfilt'), svc('xennet', { start: 3 })],
        [
          {
            class: 'System',
            guid: '{4d36e97d-e325-11ce-bfc1-08002be10318}',
            list: 'UpperFilters',
            driver: 'XENFILT',
          },
        ],
      ),
      status: 'fail',
      riskLevel: 'high',
      findings: [
        { messageId: 'active' },
        { messageId: 'active' },
        { messageId: 'active' },
        { messageId: 'filter' },
      ],
    },
    {
      name: 'hide_devices set',
      facts: xen([], [], 'ide0'),
      status: 'fail',
      findings: [{ messageId: 'hideDevices' }],
    },
  ],
});

const assistant = (extra: Record<string, unknown> = {}) => ({
  'guest.os': WINDOWS,
  'windows.cloudAssistant': {
    service: svc('AliyunService', {
      start: 2,
      type: 16,
      group: null,
      imagePath: '"C:\\ProgramData\\aliyun\\assist\\aliyun_assist_service.exe"',
      file: '/ProgramData/aliyun/assist/aliyun_assist_service.exe',
      ...extra,
    }),
  },
});

ruleTester.run('GUESTOS.CloudAssistant', {
  valid: [{ name: 'installed', facts: assistant() }],
  invalid: [
    {
      name: 'not installed',
      facts: assistant({ present: false, start: null, imagePath: null, file: null, fileExists: false }),
      status: 'fail',
      riskLevel: 'low',
      findings: [{ messageId: 'missing' }],
    },
    {
      name: 'disabled',
      facts: assistant({ start: 4 }),
      status: 'fail',
      findings: [{ messageId: 'missing' }],
    },
  ],
});

const pending = (extra: Record<string, unknown> = {}) => ({
  'guest.os': WINDOWS,
  'windows.pending': {
    updateRebootRequired: false,
    cbsRebootPending: false,
    cbsRebootInProgress: false,
    cbsPackagesPending: false,
    pendingFileRenames: [],
    pendingXml: false,
    sha2: { needed: false, installed: [], packages: [] },
    ...extra,
  },
});
const SHA2 = 'Package_for_KB4474419~31bf3856ad364e35~x86~~6.1.3.2';

ruleTester.run('GUESTOS.Update', {
  valid: [{ name: 'nothing pending', facts: pending() }],
  invalid: [
    {
      name: 'RebootRequired',
      facts: pending({ updateRebootRequired: true }),
      status: 'fail',
      riskLevel: 'medium',
      findings: [{ messageId: 'rebootRequired' }],
    },
    {
      name: 'pending file renames',
      facts: pending({ pendingFileRenames: ['\\??\\C:\\Windows\\System32\\drivers\\new.sys'] }),
      status: 'fail',
      findings: [{ messageId: 'pendingRenames' }],
    },
  ],
});

ruleTester.run('GUESTOS.Hotfix', {
  valid: [
    { name: 'Windows 10, nothing pending', facts: pending() },
    {
      name: 'Windows 7 with KB4474419 installed',
      facts: pending({ sha2: { needed: true, installed: [SHA2], packages: [SHA2] } }),
    },
  ],
  invalid: [
    {
      name: 'CBS RebootPending',
      facts: pending({ cbsRebootPending: true }),
      status: 'fail',
      findings: [{ messageId: 'rebootPending' }],
    },
    {
      name: 'CBS PackagesPending',
      facts: pending({ cbsPackagesPending: true }),
      status: 'fail',
      findings: [{ messageId: 'packagesPending' }],
    },
    {
      name: 'pending.xml',
      facts: pending({ pendingXml: true }),
      status: 'fail',
      findings: [{ messageId: 'pendingXml' }],
    },
    {
      name: 'Windows 7 without the SHA-2 update',
      facts: pending({ sha2: { needed: true, installed: [], packages: [] } }),
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'noSha2' }],
    },
    {
      name: 'Windows 7, SHA-2 package staged but not installed',
      facts: pending({ sha2: { needed: true, installed: [], packages: [SHA2] } }),
      status: 'fail',
      findings: [{ messageId: 'noSha2' }],
    },
  ],
});

const deviceInstall = (extra: Record<string, unknown> = {}) => ({
  'guest.os': WINDOWS,
  'windows.deviceInstall': {
    deviceInstallDisabled: null,
    restrictions: [],
    plugPlay: svc('PlugPlay', { start: 3, type: 32, group: null }),
    deviceInstall: svc('DeviceInstall', { start: 3, type: 32, group: null }),
    ...extra,
  },
});

ruleTester.run('GUESTOS.Server', {
  valid: [
    { name: 'nothing blocks driver installation', facts: deviceInstall() },
    { name: 'DeviceInstallDisabled 0', facts: deviceInstall({ deviceInstallDisabled: 0 }) },
  ],
  invalid: [
    {
      name: 'DeviceInstallDisabled 1',
      facts: deviceInstall({ deviceInstallDisabled: 1 }),
      status: 'fail',
      riskLevel: 'medium',
      findings: [{ messageId: 'disabled' }],
    },
    {
      name: 'DenyUnspecified policy',
      facts: deviceInstall({ restrictions: ['DenyUnspecified'] }),
      status: 'fail',
      findings: [{ messageId: 'policy' }],
    },
    {
      name: 'PlugPlay disabled',
      facts: deviceInstall({ plugPlay: svc('PlugPlay', { start: 4, type: 32 }) }),
      status: 'fail',
      findings: [{ messageId: 'plugPlayDisabled' }],
    },
  ],
});

ruleTester.run('GUESTOS.DesktopConfig', {
  valid: [
    {
      name: 'present',
      facts: {
        'guest.os': WINDOWS,
        'windows.publicDesktop': { path: '/Users/Public/Desktop/desktop.ini', desktopIni: true },
      },
    },
  ],
  invalid: [
    {
      name: 'missing',
      facts: {
        'guest.os': WINDOWS,
        'windows.publicDesktop': { path: '/Users/Public/Desktop/desktop.ini', desktopIni: false },
      },
      status: 'fail',
      riskLevel: 'low',
      findings: [{ messageId: 'missing' }],
    },
  ],
});

const storage = (extra: Record<string, unknown> = {}) => ({
  'guest.os': WINDOWS,
  'windows.storageDrivers': {
    controlSet: 'ControlSet001',
    bootStartCount: 95,
    bootStartMissing: [],
    classFilters: [
      {
        class: 'DiskDrive',
        guid: '{4d36e967-e325-11ce-bfc1-08002be10318}',
        list: 'UpperFilters',
        driver: 'partmgr',
        service: svc('partmgr'),
      },
    ],
    ...extra,
  },
});

ruleTester.run('GUESTOS.Disk', {
  valid: [{ name: 'every boot driver and filter installed', facts: storage() }],
  invalid: [
    {
      name: 'a boot-start driver without its file',
      facts: storage({ bootStartMissing: [svc('oldstor', { fileExists: false })] }),
      status: 'fail',
      riskLevel: 'high',
      findings: [{ messageId: 'bootFileMissing' }],
    },
    {
      name: 'a residual filter whose service is gone',
      facts: storage({
        classFilters: [
          {
            class: 'DiskDrive',
            guid: '{4d36e967-e325-11ce-bfc1-08002be10318}',
            list: 'UpperFilters',
            driver: 'avfilter',
            service: absent('avfilter'),
          },
        ],
      }),
      status: 'fail',
      findings: [{ messageId: 'residualFilter' }],
    },
  ],
});
