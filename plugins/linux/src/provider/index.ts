export { LINUX_ROOT_MARKERS, linuxOsProvider } from './provider.js';
