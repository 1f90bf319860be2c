import { defineConfig } from 'vitest/config';

// `npm run test:boot`: boots the real Debian images under QEMU (TCG) one after another.
export default defineConfig({
  test: {
    include: ['test/boot-slow/**/*.slow-test.ts'],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 1_800_000,
  },
});
