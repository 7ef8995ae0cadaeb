import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Run from the repository root (npm run build:renderer). Relative asset URLs,
// so the same files load from app://netdisk in Electron and from
// `netdisk-sync --ui`.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // No inline scripts or data-URL modules: the CSP allows 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
