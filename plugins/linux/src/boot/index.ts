import type { Collector, FactDefinition } from '@imagecheck/sdk';
import { bootModeCollector, bootModeFact } from './boot-mode.js';
import { bootloaderCollector, bootloaderFact } from './bootloader.js';
import { kernelsCollector, kernelsFact } from './kernels.js';
import { systemImageCollector, systemImageFact } from './system-image.js';

export type { BootCodeKind, BootMode } from './boot-mode.js';
export type { Bootloader } from './bootloader.js';
export { resolveGrubDevice, resolveLinuxDevice } from './devices.js';
export type { DefaultKernel, InstalledKernel, Kernels } from './kernels.js';
export type { SystemImage } from './system-image.js';

export const facts: readonly FactDefinition[] = [kernelsFact, bootloaderFact, bootModeFact, systemImageFact];
export const collectors: readonly Collector[] = [
  kernelsCollector as Collector,
  bootloaderCollector as Collector,
  bootModeCollector as Collector,
  systemImageCollector as Collector,
];
