import { defineConfig } from 'vitest/config';

// The Windows plugin is written later; for now this runs its fixture builder's own test.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 300_000 },
});
