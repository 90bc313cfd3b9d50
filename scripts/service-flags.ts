/**
 * Node flags each service runs with: `npm start`, `npm run start:api` and the bench use these,
 * and the README's "run it yourself" commands spell them out.
 *
 * The Meeting API caps V8's young generation (semi-spaces of 4 MB instead of 16 MB): under a
 * poll load the default lets it grow by ~45 MB that is garbage between scavenges (API on
 * PostgreSQL: ~200 → ~120 MB under load, same request rate). 2 MB saved little more.
 */
export const SERVICE_NODE_FLAGS = {
  'meeting-api': ['--max-semi-space-size=4'],
  'media-server': [],
} as const satisfies Record<string, readonly string[]>;

/**
 * On the embedded database (no `DATABASE_URL`) the API also runs `--optimize-for-size`: PGlite's
 * WebAssembly memory takes ~145 MB of the 200 MB budget, and V8's old generation otherwise
 * peaks ~50 MB above its live size under load (bench `embedded`, 15 s at 50 connections:
 * 218–227 MB → 159 MB, ~7 % fewer requests). Not on PostgreSQL, where it costs about half the
 * poll throughput.
 */
export const EMBEDDED_API_NODE_FLAGS: readonly string[] = ['--optimize-for-size'];

/** The Meeting API's flags, for the database it will use. */
export function apiNodeFlags(embedded: boolean): string[] {
  return [...SERVICE_NODE_FLAGS['meeting-api'], ...(embedded ? EMBEDDED_API_NODE_FLAGS : [])];
}

export const API_NODE_FLAGS: string[] = apiNodeFlags(false);
