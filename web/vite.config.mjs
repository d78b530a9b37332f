import { defineConfig } from 'vite';

/**
 * The console: Preact + TypeScript, built into dist/web, which the server serves at /.
 * No plugin is needed for Preact: Vite's own transform compiles its JSX.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // Browsers the console supports all preload modules natively.
    modulePreload: { polyfill: false },
    sourcemap: false,
    // One small app: a single chunk loads fastest over one connection.
    chunkSizeWarningLimit: 200,
  },
  server: {
    // `npx vite web` while `npm start` runs: API calls go to the service.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
