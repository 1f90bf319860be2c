export {
  APPLICATION_TYPES,
  type BcdElementFormat,
  BOOTMGR_ID,
  ELEMENT_NAMES,
  FWBOOTMGR_ID,
  MAX_BCD_ELEMENTS,
  MAX_BCD_OBJECTS,
  MAX_DEVICE_NESTING,
  MAX_INTEGER_LIST,
  WELL_KNOWN_OBJECTS,
} from './constants.js';
export { type BcdDevice, type BcdDeviceValue, parseDeviceElement } from './device.js';
export {
  type BcdElement,
  type BcdElementValue,
  type BcdObject,
  type BcdStore,
  decodeBcd,
  openBcd,
} from './store.js';
