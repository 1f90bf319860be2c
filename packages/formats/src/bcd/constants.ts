/**
 * BCD identifiers and bit fields.
 *
 * Sources: the element type bit fields and element names are Microsoft's `BcdElementType`
 * (BCD WMI provider documentation) with names as Geoff Chappell lists them ("BCD Elements",
 * geoffchappell.com/notes/windows/boot/bcd/elements.htm); the well-known object GUIDs are the
 * `GUID_*` identifiers of Microsoft's BCD headers as published in the BCD WMI documentation and
 * repeated by bcdedit's `/? ID` aliases ({bootmgr}, {fwbootmgr}, ...); the object type bit fields
 * are Microsoft's `BcdObjectType` (bits 28-31 object type, 20-23 image type or inheritance
 * class, 0-19 application type), as ReactOS `boot/environ/include/bcd.h` also defines them.
 */

/** Well-known objects by GUID (lower case, in braces) and their bcdedit alias. */
export const WELL_KNOWN_OBJECTS: Readonly<Record<string, string>> = {
  '{9dea862c-5cdd-4e70-acc1-f32b344d4795}': 'bootmgr',
  '{a5a30fa2-3d06-4e9f-b5f4-a01df9d1fcba}': 'fwbootmgr',
  '{b2721d73-1db4-4c62-bf78-c548a880142d}': 'memdiag',
  '{466f5a88-0af2-4f76-9038-095b170dc21c}': 'ntldr',
  '{fa926493-6f1c-4193-a414-58f0b2456d1e}': 'current',
  '{1cae1eb7-a0df-4d4d-9851-4860e34ef535}': 'default',
  '{5189b25c-5558-4bf2-bca4-289b11bd29e2}': 'badmemory',
  '{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}': 'bootloadersettings',
  '{4636856e-540f-4170-a130-a84776f4c654}': 'dbgsettings',
  '{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9}': 'emssettings',
  '{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}': 'globalsettings',
  '{1afa9c49-16ab-4a5c-901b-212802da9460}': 'resumeloadersettings',
  '{7ff607e0-4395-11db-b0de-0800200c9a66}': 'hypervisorsettings',
  '{ae5534e0-a924-466c-b836-758539a3ee3a}': 'ramdiskoptions',
  '{7254a080-1510-4e85-ac0f-e7fb3d444736}': 'setup-efi',
  '{cbd971bf-b7b8-4885-951a-fa03044f5d71}': 'setup-pcat',
  '{b012b84d-c47c-4ed5-b722-c0c42163e569}': 'os-target-template-efi',
  '{a1943bbc-ea85-487c-97c7-c9ede908a38a}': 'os-target-template-pcat',
};

export const BOOTMGR_ID = '{9dea862c-5cdd-4e70-acc1-f32b344d4795}';
export const FWBOOTMGR_ID = '{a5a30fa2-3d06-4e9f-b5f4-a01df9d1fcba}';

/** Element types the decoder names (Geoff Chappell's names; DiscUtils' WellKnownElement ids). */
export const ELEMENT_NAMES: Readonly<Record<number, string>> = {
  285212673: 'device',
  301989890: 'path',
  301989892: 'description',
  301989893: 'locale',
  335544326: 'inherit',
  335544328: 'recoverysequence',
  369098761: 'recoveryenabled',
  369098822: 'graphicsmodedisabled',
  369098824: 'nointegritychecks',
  369098825: 'testsigning',
  553648129: 'osdevice',
  570425346: 'systemroot',
  587202563: 'default',
  587202566: 'resumeobject',
  603979777: 'displayorder',
  603979778: 'bootsequence',
  603979792: 'toolsdisplayorder',
  620756996: 'timeout',
  620757024: 'nx',
  620757120: 'safeboot',
  637534368: 'debug',
};

/** Element type bits 28-31 (BcdElementType "Class"). */
export const ELEMENT_CLASSES: Readonly<Record<number, string>> = {
  1: 'library',
  2: 'application',
  3: 'device',
  4: 'template',
};

/** Element type bits 24-27 (BcdElementType "Format"). */
export const ELEMENT_FORMATS: Readonly<Record<number, BcdElementFormat>> = {
  1: 'device',
  2: 'string',
  3: 'object',
  4: 'object-list',
  5: 'integer',
  6: 'boolean',
  7: 'integer-list',
};

export type BcdElementFormat =
  | 'device'
  | 'string'
  | 'object'
  | 'object-list'
  | 'integer'
  | 'boolean'
  | 'integer-list';

/** Object type bits 28-31. */
export const OBJECT_KINDS: Readonly<Record<number, 'application' | 'inherit' | 'device'>> = {
  1: 'application',
  2: 'inherit',
  3: 'device',
};

/** Application objects: image type, bits 20-23. */
export const IMAGE_TYPES: Readonly<Record<number, string>> = {
  1: 'firmware',
  2: 'boot-app',
  3: 'legacy-loader',
  4: 'real-mode',
};

/** Application objects: application type, bits 0-19 (0xFFFFF: a firmware boot entry). */
export const APPLICATION_TYPES: Readonly<Record<number, string>> = {
  1: 'fwbootmgr',
  2: 'bootmgr',
  3: 'osloader',
  4: 'resume',
  5: 'memdiag',
  6: 'ntldr',
  7: 'setupldr',
  8: 'bootsector',
  9: 'startup',
  10: 'bootapp',
  1048575: 'firmware-entry',
};

/**
 * Caps. A real store holds tens of objects with tens of elements each; the caps stop a crafted
 * one from making the decoder build millions of them.
 */
export const MAX_BCD_OBJECTS = 4096;
export const MAX_BCD_ELEMENTS = 1024;
/** An integer list element: real ones (displayorder-like lists of ids) hold a handful. */
export const MAX_INTEGER_LIST = 4096;
/** Device records nest through a file's (or ramdisk image's) parent device; Windows uses one level. */
export const MAX_DEVICE_NESTING = 4;
