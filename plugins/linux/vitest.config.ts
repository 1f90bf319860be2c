import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The boot suite (test/boot-slow, files *.slow-test.ts) boots real images under QEMU for many
    // minutes: `npm run test:boot` only.
    exclude: ['**/node_modules/**', 'test/boot-slow/**'],
    testTimeout: 120_000,
    hookTimeout: 1_800_000,
  },
});
