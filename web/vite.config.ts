import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The live page served by the aggregator at `/`: `vite build --config web/vite.config.ts` writes web/dist. */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy: { '/graphql': { target: 'http://127.0.0.1:8080', ws: true } } },
});
