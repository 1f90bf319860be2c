import type { Collector, FactDefinition } from '@imagecheck/sdk';
import { driversCollector, nvmeCollector, virtioCollector } from './collect.js';
import { driversFact, nvmeDriversFact, virtioDriversFact } from './schema.js';

export { type InitramfsModules, readInitramfsModules, scanInitramfs } from './initramfs/index.js';
export type { DriverStatus } from './modules.js';
export type { DeviceDrivers, Drivers, InitramfsInfo, KernelDrivers, MissingModule } from './schema.js';

export const facts: readonly FactDefinition[] = [driversFact, virtioDriversFact, nvmeDriversFact];
export const collectors: readonly Collector[] = [driversCollector, virtioCollector, nvmeCollector];
