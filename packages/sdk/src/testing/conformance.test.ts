/**
 * The in-memory guest against the access contract's conformance suite, on the same manifests the
 * native backend's real images are built from: once with the boot facts a backend reads from
 * sector 0 described, once without them (then the guest must say they are unknown).
 */
import {
  CONFORMANCE_FIXTURES,
  type ConformanceFixture,
  describeBackendConformance,
} from '@imagecheck/access/conformance';
import { createMemoryBackend, type MemoryGuestDescription } from './memory-guest.js';

function describe(fixture: ConformanceFixture, withBoot: boolean): MemoryGuestDescription {
  return {
    disk: { ...fixture.disk },
    // No typeName: the guest names each type itself, as a backend reading the table would.
    partitions: fixture.partitions.map(({ typeName: _name, ...p }) => p),
    volumes: fixture.volumes,
    filesystems: fixture.filesystems.map((f) => ({
      id: f.id,
      type: f.type,
      uuid: f.uuid,
      label: f.label,
      size: f.size,
      location: f.location,
      readable: f.readable,
      ...(f.caseSensitive === undefined ? {} : { caseSensitive: f.caseSensitive }),
      ...(f.posixMetadata === undefined ? {} : { posixMetadata: f.posixMetadata }),
      ...(f.files === undefined ? {} : { files: f.files }),
    })),
    ...(withBoot ? { boot: fixture.boot } : {}),
  };
}

const images = (withBoot: boolean) =>
  Object.fromEntries(CONFORMANCE_FIXTURES.map((f) => [`memory:${f.name}`, describe(f, withBoot)]));

describeBackendConformance('memory (boot facts described)', {
  backend: createMemoryBackend(images(true)),
  imagePath: (fixture) => `memory:${fixture.name}`,
});

describeBackendConformance('memory (no sector 0)', {
  backend: createMemoryBackend(images(false)),
  imagePath: (fixture) => `memory:${fixture.name}`,
});
