import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  // TypeBox is about 700 modules: loaded one by one they cost a check 0.1 s of CPU and 20 MiB at
  // start-up, bundled a few milliseconds. Its types still come from the dependency.
  noExternal: ['typebox'],
});
