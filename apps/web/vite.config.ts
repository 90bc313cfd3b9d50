import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w web` proxies the API (started with `npm run start:api`) so the session cookie stays same-origin.
const api = process.env.VITE_API_ORIGIN ?? 'http://127.0.0.1:8081';
const apiPaths = ['/api', '/login', '/session', '/logout', '/profile', '/openapi.json'];

export default defineConfig({
  plugins: [react()],
  // Source maps are the whole client source: only in a build asked for them (WEB_SOURCEMAP=true), never by default.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: process.env.WEB_SOURCEMAP === 'true' },
  server: { proxy: Object.fromEntries(apiPaths.map((p) => [p, { target: api, changeOrigin: false }])) },
});
