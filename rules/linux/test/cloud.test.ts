import { fileURLToPath } from 'node:url';
import linuxPlugin from '@imagecheck/plugin-linux';
import { loadPack } from '@imagecheck/sdk';
import { RuleTester } from '@imagecheck/sdk/testing';
import { describe, it } from 'vitest';

const pack = await loadPack(fileURLToPath(new URL('..', import.meta.url)));
RuleTester.describe = describe;
RuleTester.it = it;
// The plugin that collects these facts in a real check: the facts each case gives by hand must
// have the shape of its fact schemas.
const ruleTester = new RuleTester({ pack, plugins: [linuxPlugin] });

const OS = { os: 'linux', family: 'debian', distribution: 'debian', version: '12', architecture: 'x86_64' };
const NOWHERE = { path: null, line: null };
const UNITS = ['cloud-init-local', 'cloud-init', 'cloud-config', 'cloud-final'];

/** A linux.cloudInit value as the collector shapes it for a good Debian 12 image; `over` breaks it. */
function cloudInit(over: Record<string, unknown> = {}) {
  return {
    'guest.os': OS,
    'linux.cloudInit': {
      installed: true,
      executable: '/usr/bin/cloud-init',
      pythonPackage: '/usr/lib/python3/dist-packages/cloudinit',
      version: '22.4.2',
      initSystem: 'systemd',
      units: UNITS.map((u) => ({
        name: `${u}.service`,
        present: true,
        enabled: true,
        masked: false,
        via: `/etc/systemd/system/cloud-init.target.wants/${u}.service`,
      })),
      unitsEnabled: true,
      notEnabledUnits: [],
      disabledBy: null,
      disabledWhere: NOWHERE,
      kernelCmdline: 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-13-amd64 root=UUID=x ro console=ttyS0',
      configFiles: ['/etc/cloud/cloud.cfg'],
      active: true,
      rendersNetwork: true,
      networkConfigDisabled: false,
      networkConfigWhere: NOWHERE,
      growpart: { listed: true, mode: 'auto', devices: ['/'], where: NOWHERE, enabled: true },
      resizeRootfs: { listed: true, value: 'true', where: NOWHERE, enabled: true },
      growroot: {
        growpartBinary: '/usr/bin/growpart',
        initramfsTools: null,
        dracut: null,
        systemdRepart: null,
        systemdGrowfs: null,
      },
      onlineResize: { ok: true, by: ['cloud-init'], problems: [] },
      ...over,
    },
  };
}
const NOT_INSTALLED = {
  installed: false,
  executable: null,
  pythonPackage: null,
  version: null,
  units: [],
  unitsEnabled: false,
  notEnabledUnits: [],
  active: false,
  rendersNetwork: false,
};

function agents(ca: Record<string, unknown> = {}, sc: Record<string, unknown> = {}) {
  return {
    'guest.os': { os: 'linux', family: 'rhel', distribution: 'alinux', version: '3' },
    'linux.agents': {
      cloudAssistant: {
        installed: true,
        binary: '/usr/local/share/aliyun-assist/2.5.3.606/aliyun-service',
        version: '2.5.3.606',
        service: {
          unit: 'aliyun.service',
          present: true,
          enabled: true,
          masked: false,
          via: '/etc/systemd/system/multi-user.target.wants/aliyun.service',
        },
        ...ca,
      },
      securityCenter: {
        installed: true,
        path: '/usr/local/aegis',
        client: '/usr/local/aegis/aegis_client/aegis_11_91',
        version: '11.91',
        service: { unit: 'aegis.service', present: true, enabled: true, masked: false, via: null },
        ...sc,
      },
    },
  };
}

ruleTester.run('GUESTOS.CloudInit', {
  valid: [{ name: 'Debian 12: installed and enabled', facts: cloudInit() }],
  invalid: [
    {
      name: 'not installed',
      facts: cloudInit(NOT_INSTALLED),
      status: 'fail',
      riskLevel: 'medium',
      findings: [{ messageId: 'notInstalled' }],
    },
    {
      name: 'disabled by the marker file',
      facts: cloudInit({
        disabledBy: 'file',
        disabledWhere: { path: '/etc/cloud/cloud-init.disabled', line: null },
        active: false,
      }),
      status: 'fail',
      findings: [{ messageId: 'disabledByFile' }],
    },
    {
      name: 'disabled on the kernel command line',
      facts: cloudInit({
        disabledBy: 'cmdline',
        disabledWhere: { path: '/boot/grub/grub.cfg', line: 12 },
        kernelCmdline: 'ro cloud-init=disabled',
      }),
      status: 'fail',
      findings: [{ messageId: 'disabledByCmdline', line: 12 }],
    },
    {
      name: 'units not enabled',
      facts: cloudInit({
        unitsEnabled: false,
        notEnabledUnits: ['cloud-init.service', 'cloud-config.service'],
      }),
      status: 'fail',
      findings: [{ messageId: 'unitsNotEnabled' }],
      message: /cloud-init.service, cloud-config.service will not start/,
    },
    {
      name: 'fact unreadable',
      facts: { 'guest.os': OS },
      unavailable: { 'linux.cloudInit': 'cloud-init/bad-yaml: /etc/cloud/cloud.cfg: bad indentation' },
      status: 'error',
    },
  ],
});

ruleTester.run('GUESTOS.OnlineResizeFS', {
  valid: [
    { name: 'cloud-init growpart and resizefs', facts: cloudInit() },
    {
      name: 'dracut growroot without cloud-init',
      facts: cloudInit({
        ...NOT_INSTALLED,
        onlineResize: { ok: true, by: ['dracut growroot'], problems: [] },
      }),
    },
  ],
  invalid: [
    {
      name: 'growpart off and resize_rootfs false in a drop-in',
      facts: cloudInit({
        onlineResize: {
          ok: false,
          by: [],
          problems: [
            { reason: 'growpart mode is off', path: '/etc/cloud/cloud.cfg.d/90-off.cfg', line: 3 },
            { reason: 'resize_rootfs is false', path: '/etc/cloud/cloud.cfg.d/90-off.cfg', line: 4 },
          ],
        },
      }),
      status: 'fail',
      riskLevel: 'low',
      findings: [
        { messageId: 'notGrown', line: 3 },
        { messageId: 'notGrown', line: 4 },
      ],
    },
    {
      name: 'growpart tool missing',
      facts: cloudInit({
        onlineResize: {
          ok: false,
          by: [],
          problems: [
            {
              reason: 'the growpart tool is missing (package cloud-guest-utils or cloud-utils-growpart)',
              path: '/usr/bin/growpart',
              line: null,
            },
          ],
        },
      }),
      status: 'fail',
      findings: [{ messageId: 'notGrown' }],
      message: /growpart tool is missing/,
    },
    {
      name: 'no cloud-init and nothing else',
      facts: cloudInit({
        ...NOT_INSTALLED,
        onlineResize: {
          ok: false,
          by: [],
          problems: [{ reason: 'cloud-init is not installed', path: '/usr/bin/cloud-init', line: null }],
        },
      }),
      status: 'fail',
      findings: [{ messageId: 'notGrown' }],
    },
    {
      name: 'fact unreadable',
      facts: { 'guest.os': OS },
      unavailable: { 'linux.cloudInit': 'guest/EFBIG: /etc/cloud/cloud.cfg' },
      status: 'error',
    },
  ],
});

ruleTester.run('GUESTOS.CloudAssistant', {
  valid: [{ name: 'installed and enabled', facts: agents() }],
  invalid: [
    {
      name: 'not installed',
      facts: agents({
        installed: false,
        binary: null,
        version: null,
        service: { unit: 'aliyun.service', present: false, enabled: false, masked: false, via: null },
      }),
      status: 'fail',
      riskLevel: 'low',
      findings: [{ messageId: 'notInstalled' }],
    },
    {
      name: 'installed, not enabled',
      facts: agents({
        service: { unit: 'aliyun.service', present: true, enabled: false, masked: false, via: null },
      }),
      status: 'fail',
      findings: [{ messageId: 'notEnabled' }],
    },
    {
      name: 'fact unreadable',
      facts: { 'guest.os': OS },
      unavailable: { 'linux.agents': 'linux/no-guest' },
      status: 'error',
    },
  ],
});

ruleTester.run('GUESTOS.SecurityCenterAgent', {
  valid: [{ name: 'installed', facts: agents() }],
  invalid: [
    {
      name: 'not installed',
      facts: agents({}, { installed: false, client: null, version: null }),
      status: 'fail',
      riskLevel: 'low',
      findings: [{ messageId: 'notInstalled' }],
    },
    {
      name: 'fact unreadable',
      facts: { 'guest.os': OS },
      unavailable: { 'linux.agents': 'linux/no-guest' },
      status: 'error',
    },
  ],
});
