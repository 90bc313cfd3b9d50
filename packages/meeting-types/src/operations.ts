import { Type, type Static } from 'typebox';
import { Nullable } from './common';

/** `GET /version` on both services: which build runs where (operators check rollouts with it). */
export const VersionResponseSchema = Type.Object(
  {
    /** `meeting-api` or `media-server`. */
    name: Type.String(),
    /** The service's package version. */
    version: Type.String(),
    /** Git commit the bundle was built from (`-dirty` with local changes), or null when unknown (or not shown: see `node`). */
    commit: Nullable(Type.String()),
    /** Node.js version, e.g. `v20.20.2`. Absent (and `commit` null) for callers without the metrics token in production. */
    node: Type.Optional(Type.String()),
  },
  { title: 'VersionResponse' },
);
export type VersionResponse = Static<typeof VersionResponseSchema>;
