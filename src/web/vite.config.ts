import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web portal build (issue 4): React 19 compiled by Vite's own esbuild JSX transform (no
 * @vitejs/plugin-react needed for a production build), from src/web/portal into src/web/dist,
 * which src/web/serve-portal.ts serves on the API's origin.
 */
export default defineConfig({
  root: fileURLToPath(new URL('./portal/', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: fileURLToPath(new URL('./dist/', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // Everything in one small chunk: no inline module-preload script, which the CSP would refuse.
    modulePreload: false,
    target: 'es2022',
  },
});
