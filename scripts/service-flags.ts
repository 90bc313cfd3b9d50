/**
 * Node flags each service runs with: `npm start`, `npm run start:api` and the bench use these,
 * and the README's "run it yourself" commands spell them out.
 *
 * The Meeting API caps V8's young generation (semi-spaces of 4 MB instead of 16 MB): under a
 * poll load the default lets it grow by ~45 MB that is garbage between scavenges, which took
 * the embedded default past its 200 MB budget (208–241 MB; 188 MB with the cap, at the same
 * request rate). 2 MB saved little more and cost throughput.
 */
export const SERVICE_NODE_FLAGS = {
  'meeting-api': ['--max-semi-space-size=4'],
  'media-server': [],
} as const satisfies Record<string, readonly string[]>;

export const API_NODE_FLAGS: string[] = [...SERVICE_NODE_FLAGS['meeting-api']];
