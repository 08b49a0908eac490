import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The dashboard: built into web/dist, served by src/http/routes/dashboard.ts under the API's own origin. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Everything is a file under /assets: the Content-Security-Policy allows no data: URLs.
    assetsInlineLimit: 0,
    // Flat asset names: the server serves /assets/:file and nothing deeper.
    assetsDir: 'assets',
  },
  server: {
    // `npx vite --config web/vite.config.ts` during development: the API runs on its own port.
    // The browser's Host is passed on (Vite's shorthand would rewrite it), so the API's check that
    // a cookie write's Origin is the host it was sent to holds for the dev server's pages too.
    proxy: { '/api': { target: 'http://127.0.0.1:8080', changeOrigin: false }, '/healthz': 'http://127.0.0.1:8080' },
  },
});
