import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';

const HARNESS = join(import.meta.dirname, '../packages/media-client/harness');

/**
 * Serves media-client's bare call page (`packages/media-client/harness`), bundled with esbuild, on a
 * free loopback port: the engine of the web app without its screens, as the browser call test uses it.
 */
export async function serveHarness(): Promise<{ base: string; close(): Promise<void> }> {
  const bundle = await build({
    entryPoints: [join(HARNESS, 'harness.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]?.text ?? '';
  const html = await readFile(join(HARNESS, 'index.html'), 'utf8');
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/harness.js')) res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
