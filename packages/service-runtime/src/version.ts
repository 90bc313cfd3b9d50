/** What `GET /version` answers on both services: which build is running where. */
export interface VersionInfo {
  /** Service name (`meeting-api`, `media-server`). */
  name: string;
  /** The service's package version. */
  version: string;
  /** Git commit the bundle was built from (`-dirty` with uncommitted changes), or null when unknown. */
  commit: string | null;
  /** Node.js version running it. */
  node: string;
}

// Replaced by scripts/bundle.ts at bundle time; absent when running from TypeScript (tests, tsx).
declare const __GIT_COMMIT__: string | null | undefined;

/** The commit baked into the bundle, if any. */
export function bundledCommit(): string | null {
  return typeof __GIT_COMMIT__ === 'string' && __GIT_COMMIT__ !== '' ? __GIT_COMMIT__ : null;
}

/** `commitOverride` (the `GIT_COMMIT` variable) wins over the commit recorded at bundle time. */
export function versionInfo(name: string, version: string, commitOverride?: string): VersionInfo {
  return { name, version, commit: commitOverride ?? bundledCommit(), node: process.version };
}
