export { Dashboard, type DashboardProps } from './components/Dashboard.js';
export {
  applyEvent,
  failImage,
  finishImage,
  type ImageHeader,
  type ImagePhase,
  type ImageState,
  initialImage,
  type PlannedItem,
  planFor,
  planFromRules,
  startImage,
  withHeader,
} from './model.js';
export {
  type CheckHooks,
  type CheckRunner,
  type DashboardOptions,
  type DashboardResult,
  runDashboard,
} from './run.js';
export { type DashboardSnapshot, DashboardStore, type LogEntry } from './store.js';
