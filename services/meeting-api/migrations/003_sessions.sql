-- Sign-in sessions (the sign-in extension). A session JWT names its row by `sid`;
-- logout sets revoked_at, which every API instance picks up (see src/auth/revocations.ts).
CREATE TABLE sessions (
  id          VARCHAR(64)  PRIMARY KEY,
  subject     VARCHAR(255) NOT NULL,
  kind        VARCHAR(16)  NOT NULL CONSTRAINT sessions_kind_check CHECK (kind IN ('oidc', 'dev', 'guest')),
  created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
  expires_at  TIMESTAMPTZ  NOT NULL,
  revoked_at  TIMESTAMPTZ
);
-- The revocation poll: "revoked since …" on every instance, every few seconds.
CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Pending OIDC sign-ins: state, nonce and PKCE verifier kept server-side,
-- consumed once by the callback, useless after expires_at (10 minutes).
CREATE TABLE login_requests (
  state          VARCHAR(128)  PRIMARY KEY,
  nonce          VARCHAR(128)  NOT NULL,
  code_verifier  VARCHAR(128)  NOT NULL,
  redirect_uri   VARCHAR(2048) NOT NULL,
  return_to      VARCHAR(2048) NOT NULL,
  created_at     TIMESTAMPTZ   NOT NULL DEFAULT now(),
  expires_at     TIMESTAMPTZ   NOT NULL
);
CREATE INDEX login_requests_expires_at_idx ON login_requests (expires_at);
