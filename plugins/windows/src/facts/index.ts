import type { Collector, FactDefinition } from '@imagecheck/sdk';
import { architectureCollector, architectureFact } from './architecture.js';
import { bcdCollector, bcdFact } from './bcd.js';
import { bootCollector, bootFact } from './boot.js';
import { kernelCollector, kernelFact } from './kernel.js';
import { registryCollector, registryFact } from './registry-health.js';
import { rtcCollector, rtcFact } from './rtc.js';
import {
  cloudAssistantCollector,
  cloudAssistantFact,
  storageDriversCollector,
  storageDriversFact,
  virtioCollector,
  virtioFact,
  xenCollector,
  xenFact,
} from './services.js';
import {
  deviceInstallCollector,
  deviceInstallFact,
  pendingCollector,
  pendingFact,
  publicDesktopCollector,
  publicDesktopFact,
} from './servicing.js';
import { sysprepCollector, sysprepFact } from './sysprep.js';
import { versionCollector, versionFact } from './version.js';

export type { WindowsArchitecture } from './architecture.js';
export type { BcdDeviceState, BcdStoreState, WindowsBcd } from './bcd.js';
export type { WindowsBoot } from './boot.js';
export { guestPathOf } from './common.js';
export type { WindowsKernel } from './kernel.js';
export type { HiveState, WindowsRegistry } from './registry-health.js';
export type { WindowsRtc } from './rtc.js';
export type {
  ServiceState,
  WindowsCloudAssistant,
  WindowsStorageDrivers,
  WindowsVirtio,
  WindowsXen,
} from './services.js';
export type { WindowsDeviceInstall, WindowsPending, WindowsPublicDesktop } from './servicing.js';
export type { WindowsSysprep } from './sysprep.js';
export type { WindowsVersion } from './version.js';

export const facts: readonly FactDefinition[] = [
  versionFact,
  architectureFact,
  kernelFact,
  registryFact,
  rtcFact,
  bootFact,
  bcdFact,
  virtioFact,
  xenFact,
  cloudAssistantFact,
  sysprepFact,
  pendingFact,
  deviceInstallFact,
  publicDesktopFact,
  storageDriversFact,
];

export const collectors: readonly Collector[] = [
  versionCollector,
  architectureCollector,
  kernelCollector,
  registryCollector,
  rtcCollector,
  bootCollector,
  bcdCollector,
  virtioCollector,
  xenCollector,
  cloudAssistantCollector,
  sysprepCollector,
  pendingCollector,
  deviceInstallCollector,
  publicDesktopCollector,
  storageDriversCollector,
];
