-- API keys and join links: a team's backend calls the API with a key, and puts its own
-- users into its meetings with signed links.

-- Only a SHA-256 of each secret is kept: a copy of the database cannot call the API.
CREATE TABLE api_keys (
  id           VARCHAR(32)  PRIMARY KEY,
  name         VARCHAR(100) NOT NULL,
  secret_hash  CHAR(64)     NOT NULL,
  created_by   VARCHAR(255),
  created_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  last_used_at TIMESTAMPTZ,
  revoked_at   TIMESTAMPTZ
);
CREATE UNIQUE INDEX api_keys_secret_hash_key ON api_keys (secret_hash);

-- Which key created a meeting (null: a person did). A key sees and manages only these.
ALTER TABLE meetings ADD COLUMN IF NOT EXISTS created_by_key_id VARCHAR(32);
CREATE INDEX IF NOT EXISTS meetings_created_by_key_idx
  ON meetings (created_by_key_id, created_at DESC, id DESC)
  WHERE deleted_at IS NULL AND created_by_key_id IS NOT NULL;

-- A join link names one meeting instance (meetings.id, not the reusable room id).
CREATE TABLE join_links (
  id                VARCHAR(32)  PRIMARY KEY,
  meeting_id        INTEGER      NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  identity          VARCHAR(255) NOT NULL,
  display_name      VARCHAR(255) NOT NULL,
  role              VARCHAR(20)  NOT NULL CONSTRAINT join_links_role_check CHECK (role IN ('host', 'cohost', 'attendee')),
  skip_waiting_room BOOLEAN      NOT NULL DEFAULT false,
  created_by        VARCHAR(255) NOT NULL,
  created_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
  expires_at        TIMESTAMPTZ  NOT NULL,
  revoked_at        TIMESTAMPTZ
);
CREATE INDEX join_links_meeting_idx ON join_links (meeting_id);

-- Sessions redeemed from a link: kind `link`, revoked with their link.
ALTER TABLE sessions DROP CONSTRAINT sessions_kind_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_kind_check CHECK (kind IN ('oidc', 'dev', 'guest', 'link'));
ALTER TABLE sessions ADD COLUMN link_id VARCHAR(32);
CREATE INDEX sessions_link_id_idx ON sessions (link_id) WHERE link_id IS NOT NULL;
