/**
 * Bundles each service's TypeScript into plain JavaScript under `services/<name>/dist/`,
 * so production runs on `node` alone (no TypeScript loader: faster start-up and
 * about 40 MB less memory per process). npm dependencies stay external; the
 * workspace packages (meeting-client, meeting-types, service-runtime) are bundled in.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const WORKSPACE_PACKAGES = new Set(['meeting-client', 'meeting-types', 'service-runtime']);

const externalizeNpmPackages: Plugin = {
  name: 'externalize-npm-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0]!;
      return WORKSPACE_PACKAGES.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

/** The commit being bundled, `-dirty` with uncommitted changes; null outside a git checkout. */
export function gitCommit(): string | null {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? commit : `${commit}-dirty`;
  } catch {
    return null;
  }
}

export const SERVICES = {
  'meeting-api': 'services/meeting-api',
  'media-server': 'services/media-server',
} as const;

export async function bundle(names: (keyof typeof SERVICES)[] = Object.keys(SERVICES) as (keyof typeof SERVICES)[]) {
  // GET /version reports it; GIT_COMMIT at run time overrides it (images built without .git).
  const commit = gitCommit();
  for (const name of names) {
    const dir = SERVICES[name];
    await build({
      entryPoints: [`${dir}/src/server.ts`],
      outdir: `${dir}/dist`,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      // Separate chunks keep dynamic imports lazy (the API loads PGlite only when it is used).
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: true,
      logLevel: 'warning',
      plugins: [externalizeNpmPackages],
      define: { __GIT_COMMIT__: JSON.stringify(commit) },
    });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const requested = process.argv.slice(2) as (keyof typeof SERVICES)[];
  await bundle(requested.length > 0 ? requested : undefined);
}
