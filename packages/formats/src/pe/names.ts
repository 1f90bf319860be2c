/**
 * Names for the numeric fields of PE headers, from the Microsoft "PE Format" documentation
 * (sections "Machine Types", "Windows Subsystem", "Characteristics", "DLL Characteristics").
 * An unknown number keeps its value and gets no name; the reader never refuses one.
 */

/** COFF file header `Machine` values. */
export const PE_MACHINES: Readonly<Record<number, string>> = {
  0: 'unknown',
  332: 'i386',
  354: 'r3000',
  358: 'r4000',
  360: 'r10000',
  361: 'wcemipsv2',
  388: 'alpha',
  418: 'sh3',
  422: 'sh4',
  448: 'arm',
  450: 'thumb',
  452: 'armnt',
  496: 'powerpc',
  512: 'ia64',
  644: 'alpha64',
  20530: 'riscv32',
  20580: 'riscv64',
  25138: 'loongarch32',
  25188: 'loongarch64',
  34404: 'x86_64',
  42561: 'arm64ec',
  42574: 'arm64x',
  43620: 'arm64',
  3772: 'ebc',
};

/** Optional header `Subsystem` values. */
export const PE_SUBSYSTEMS: Readonly<Record<number, string>> = {
  0: 'unknown',
  1: 'native',
  2: 'windows-gui',
  3: 'windows-cui',
  5: 'os2-cui',
  7: 'posix-cui',
  8: 'native-windows',
  9: 'windows-ce-gui',
  10: 'efi-application',
  11: 'efi-boot-service-driver',
  12: 'efi-runtime-driver',
  13: 'efi-rom',
  14: 'xbox',
  16: 'windows-boot-application',
};

/** COFF `Characteristics` bits. */
export const IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002;
export const IMAGE_FILE_DLL = 0x2000;

/** Data directory indexes (optional header data directories, in this order). */
export const DIRECTORY_NAMES = [
  'export',
  'import',
  'resource',
  'exception',
  'certificate',
  'base-relocation',
  'debug',
  'architecture',
  'global-ptr',
  'tls',
  'load-config',
  'bound-import',
  'iat',
  'delay-import',
  'clr-runtime-header',
  'reserved',
] as const;
export const DIRECTORY_RESOURCE = 2;
export const DIRECTORY_CERTIFICATE = 4;

/** `VS_FIXEDFILEINFO.dwFileFlags` bits (VerRsrc.h). */
export const VS_FILE_FLAGS: Readonly<Record<number, string>> = {
  1: 'debug',
  2: 'prerelease',
  4: 'patched',
  8: 'privatebuild',
  16: 'infoinferred',
  32: 'specialbuild',
};

/** `VS_FIXEDFILEINFO.dwFileType` values (VerRsrc.h). */
export const VS_FILE_TYPES: Readonly<Record<number, string>> = {
  0: 'unknown',
  1: 'app',
  2: 'dll',
  3: 'drv',
  4: 'font',
  5: 'vxd',
  7: 'static-lib',
};
