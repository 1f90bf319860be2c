/**
 * Human names for partition types (`PartitionInfoV2.typeName`), spelled as util-linux
 * `sfdisk`/`fdisk` print them, so that `imagecheck facts` reads like the tools an administrator
 * already knows. One table for every backend: the native readers and the in-memory guest name a
 * type alike.
 */

/** GPT partition type GUIDs (UEFI 2.10 §5.3.3, the Discoverable Partitions Specification, vendor lists). */
export const GPT_TYPE_NAMES: Readonly<Record<string, string>> = {
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B': 'EFI System',
  '024DEE41-33E7-11D3-9D69-0008C781F39F': 'MBR partition scheme',
  'D3BFE2DE-3DAF-11DF-BA40-E3A556D89593': 'Intel Fast Flash',
  '21686148-6449-6E6F-744E-656564454649': 'BIOS boot',
  'E3C9E316-0B5C-4DB8-817D-F92DF00215AE': 'Microsoft reserved',
  'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7': 'Microsoft basic data',
  '5808C8AA-7E8F-42E0-85D2-E1E90434CFB3': 'Microsoft LDM metadata',
  'AF9B60A0-1431-4F62-BC68-3311714A69AD': 'Microsoft LDM data',
  'DE94BBA4-06D1-4D40-A16A-BFD50179D6AC': 'Windows recovery environment',
  'E75CAF8F-F680-4CEE-AFA3-B001E56EFC2D': 'Microsoft Storage Spaces',
  '0FC63DAF-8483-4772-8E79-3D69D8477DE4': 'Linux filesystem',
  '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F': 'Linux swap',
  'E6D6D379-F507-44C2-A23C-238F2A3DF928': 'Linux LVM',
  'A19D880F-05FC-4D3B-A006-743F0F84911E': 'Linux RAID',
  '933AC7E1-2EB4-4F13-B844-0E14E2AEF915': 'Linux home',
  '3B8F8425-20E0-4F3B-907F-1A25A76F98E8': 'Linux server data',
  'BC13C2FF-59E6-4262-A352-B275FD6F7172': 'Linux extended boot',
  'CA7D7CCB-63ED-4C53-861C-1742536059CC': 'Linux LUKS',
  '7FFEC5C9-2D00-49B7-8941-3EA10A5586B7': 'Linux dm-crypt',
  '8DA63339-0007-60C0-C436-083AC8230908': 'Linux reserved',
  '4D21B016-B534-45C2-A9FB-5C16E091FD2D': 'Linux variable data',
  '7EC6F557-3BC5-4ACA-B293-16EF5DF639D1': 'Linux temporary data',
  '44479540-F297-41B2-9AF7-D131D5F0458A': 'Linux root (x86)',
  '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709': 'Linux root (x86-64)',
  '69DAD710-2CE4-4E3C-B16C-21A1D49ABED3': 'Linux root (ARM)',
  'B921B045-1DF0-41C3-AF44-4C6F280D3FAE': 'Linux root (ARM-64)',
  '8484680C-9521-48C6-9C11-B0720656F69E': 'Linux /usr (x86-64)',
  'B0E01050-EE5F-4390-949A-9101B17104E9': 'Linux /usr (ARM-64)',
  '516E7CB4-6ECF-11D6-8FF8-00022D09712B': 'FreeBSD data',
  '83BD6B9D-7F41-11DC-BE0B-001560B84F0F': 'FreeBSD boot',
  '516E7CB5-6ECF-11D6-8FF8-00022D09712B': 'FreeBSD swap',
  '516E7CB6-6ECF-11D6-8FF8-00022D09712B': 'FreeBSD UFS',
  '516E7CBA-6ECF-11D6-8FF8-00022D09712B': 'FreeBSD ZFS',
  '48465300-0000-11AA-AA11-00306543ECAC': 'Apple HFS/HFS+',
  '7C3457EF-0000-11AA-AA11-00306543ECAC': 'Apple APFS',
  '6A898CC3-1DD2-11B2-99A6-080020736631': 'Solaris /usr & Apple ZFS',
  '9E1A2D38-C612-4316-AA26-8B49521E5A8B': 'PowerPC PReP boot',
  'AA31E02A-400F-11DB-9590-000C2911D1B8': 'VMware VMFS',
  'BEAEC34B-8442-439B-A40B-984381ED097D': 'ChromeOS kernel',
  '3CB8E202-3B7E-47DD-8A3C-7FF2A13CFCEC': 'ChromeOS root fs',
};

/** MBR partition type bytes. */
export const MBR_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Empty',
  1: 'FAT12',
  4: 'FAT16 <32M',
  5: 'Extended',
  6: 'FAT16',
  7: 'HPFS/NTFS/exFAT',
  11: 'W95 FAT32',
  12: 'W95 FAT32 (LBA)',
  14: 'W95 FAT16 (LBA)',
  15: "W95 Ext'd (LBA)",
  17: 'Hidden FAT12',
  18: 'Compaq diagnostics',
  20: 'Hidden FAT16 <32M',
  22: 'Hidden FAT16',
  23: 'Hidden HPFS/NTFS',
  27: 'Hidden W95 FAT32',
  28: 'Hidden W95 FAT32 (LBA)',
  30: 'Hidden W95 FAT16 (LBA)',
  39: 'Hidden NTFS WinRE',
  66: 'SFS',
  130: 'Linux swap / Solaris',
  131: 'Linux',
  133: 'Linux extended',
  134: 'NTFS volume set',
  135: 'NTFS volume set',
  142: 'Linux LVM',
  165: 'FreeBSD',
  166: 'OpenBSD',
  168: 'Darwin UFS',
  169: 'NetBSD',
  171: 'Darwin boot',
  175: 'HFS / HFS+',
  190: 'Solaris boot',
  191: 'Solaris',
  218: 'Non-FS data',
  222: 'Dell Utility',
  238: 'GPT',
  239: 'EFI (FAT-12/16/32)',
  251: 'VMware VMFS',
  252: 'VMware VMKCORE',
  253: 'Linux raid autodetect',
};

/** The name of a `PartitionInfoV2.type`: a GPT type GUID or an MBR type as `0x83`. */
export function partitionTypeName(type: string): string | undefined {
  const mbr = /^0x([0-9a-f]{2})$/i.exec(type);
  if (mbr?.[1] !== undefined) return MBR_TYPE_NAMES[Number.parseInt(mbr[1], 16)];
  return GPT_TYPE_NAMES[type.toUpperCase()];
}
