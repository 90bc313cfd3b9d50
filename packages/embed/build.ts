/** Builds `dist/meeting-embed.js`: one script a page loads with `<script src>` (sets `window.MeetingEmbed`). */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const EMBED_SOURCE = fileURLToPath(new URL('./src/index.ts', import.meta.url));
export const EMBED_BUNDLE = fileURLToPath(new URL('./dist/meeting-embed.js', import.meta.url));

export async function buildEmbed(outfile = EMBED_BUNDLE): Promise<void> {
  await build({ entryPoints: [EMBED_SOURCE], bundle: true, format: 'iife', globalName: 'MeetingEmbed', target: 'es2020', minify: true, outfile, logLevel: 'warning' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildEmbed();
