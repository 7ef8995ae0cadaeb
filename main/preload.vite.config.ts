import { defineConfig } from 'vite';

// A sandboxed preload can require only 'electron', so main/preload.ts and what
// it imports (the bridge contract) are bundled into one CommonJS file.
export default defineConfig({
  build: {
    outDir: 'dist/main',
    emptyOutDir: false,
    minify: false,
    sourcemap: false,
    target: 'chrome140',
    lib: { entry: 'main/preload.ts', formats: ['cjs'], fileName: () => 'preload.cjs' },
    rollupOptions: { external: ['electron'] },
  },
});
