export {
  baseName,
  escapeControls,
  formatBytes,
  formatEvidenceLocation,
  type RenderOptions,
  STATUS_ORDER,
  sortItems,
} from './common.js';
export {
  DETECTION_ERROR_RISK_CODE,
  type DetectionItem,
  type DetectionResult,
  renderDetection,
  toDetection,
} from './detection.js';
export { renderJson, toJsonReport } from './json.js';
export { renderJunit } from './junit.js';
export { renderReport } from './render.js';
export { collectRepairScript, type RepairScripts } from './repair.js';
export { guestPathToUri, renderSarif, SARIF_FINGERPRINT_KEY, SARIF_URI_BASE_ID } from './sarif.js';
export { renderText, STATUS_GLYPHS } from './text.js';
